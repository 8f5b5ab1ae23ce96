package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import java.nio.file.Files;
import java.util.List;
import org.inferis.backend.Fixtures;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** DAG pipelines: the image pipeline of make_pipeline.py, local tensors, PERSIST, and RedisAI's errors. */
class DagIT {
    @RegisterExtension
    static final RunningServer server = new RunningServer();

    private static final String PIPELINE = "pipeline_script.py";
    private StatefulRedisConnection<String, String> c;
    private JsonObject expected;

    @BeforeEach
    void setUp() throws Exception {
        c = server.connect(ProtocolVersion.RESP2);
        c.sync().flushall();
        expected = JsonParser.parseString(Files.readString(Fixtures.MODELS.resolve("pipeline.json"))).getAsJsonObject();
        TestModels.store(c, "cnn", "mnist_cnn.pt");
        assertEquals("OK", Ai.status(c, "AI.SCRIPTSTORE", "pipe", "CPU", "ENTRY_POINTS", 2, "pre", "post", "SOURCE",
                Files.readString(Fixtures.MODELS.resolve(PIPELINE))));
        JsonArray pixels = expected.getAsJsonArray("image");
        byte[] image = new byte[pixels.size()];
        for (int i = 0; i < image.length; i++) {
            image[i] = (byte) pixels.get(i).getAsInt();
        }
        assertEquals("OK", Ai.status(c, "AI.TENSORSET", "image", "UINT8", 28, 28, 3, "BLOB", image));
    }

    private static final Object[] IMAGE_PIPELINE = {"|>", "AI.SCRIPTEXECUTE", "pipe", "pre", "INPUTS", 1, "image",
        "OUTPUTS", 1, "batch", "|>", "AI.MODELEXECUTE", "cnn", "INPUTS", 1, "batch", "OUTPUTS", 1, "logits",
        "|>", "AI.SCRIPTEXECUTE", "pipe", "post", "INPUTS", 1, "logits", "OUTPUTS", 1, "label",
        "|>", "AI.TENSORGET", "label", "VALUES", "|>", "AI.TENSORGET", "logits", "VALUES"};

    private static Object[] concat(Object[] head, Object... tail) {
        Object[] all = java.util.Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }

    private void assertPipelineReply(List<Object> reply) {
        assertEquals(List.of("OK", "OK", "OK"), reply.subList(0, 3));
        assertEquals(List.of(expected.getAsJsonArray("label").get(0).getAsLong()), reply.get(3));
        List<?> logits = (List<?>) reply.get(4);
        JsonArray expectedLogits = expected.getAsJsonArray("log_probs");
        assertEquals(expectedLogits.size(), logits.size());
        for (int i = 0; i < logits.size(); i++) {
            assertEquals(expectedLogits.get(i).getAsDouble(), Double.parseDouble((String) logits.get(i)), 1e-4);
        }
    }

    @Test
    void theImagePipelineRunsInOneCommand() {
        List<Object> reply = Ai.array(c, "AI.DAGEXECUTE", concat(new Object[] {"LOAD", 1, "image", "PERSIST", 1, "label"},
                IMAGE_PIPELINE));
        assertPipelineReply(reply);
        assertEquals(List.of(expected.getAsJsonArray("label").get(0).getAsLong()),
                Ai.array(c, "AI.TENSORGET", "label", "VALUES"), "PERSIST wrote the label");
        assertEquals(0L, c.sync().exists("batch", "logits"), "other DAG tensors stay local");
        List<Object> cnnInfo = Ai.array(c, "AI.INFO", "cnn");
        assertEquals(1L, cnnInfo.get(cnnInfo.indexOf("calls") + 1));
        List<Object> scriptInfo = Ai.array(c, "AI.INFO", "pipe");
        assertEquals(2L, scriptInfo.get(scriptInfo.indexOf("calls") + 1), "each DAG step counts");
    }

    @Test
    void theImagePipelineThroughRedisCli() throws Exception {
        String[] args = new String[IMAGE_PIPELINE.length + 4];
        String[] head = {"AI.DAGEXECUTE_RO", "LOAD", "1", "image"};
        System.arraycopy(head, 0, args, 0, 4);
        for (int i = 0; i < IMAGE_PIPELINE.length; i++) {
            args[4 + i] = String.valueOf(IMAGE_PIPELINE[i]);
        }
        // read-only: no SCRIPTEXECUTE allowed, so the CLI runs the read-only variant to show its error first
        String refused = RedisCli.run(server.port(), args);
        assertTrue(refused.contains("AI.SCRIPTEXECUTE command cannot be specified in a read-only DAG"), refused);
        args[0] = "AI.DAGEXECUTE";
        String[] lines = RedisCli.run(server.port(), args).split("\n");
        assertEquals(List.of("OK", "OK", "OK", expected.getAsJsonArray("label").get(0).getAsString()),
                List.of(lines).subList(0, 4));
    }

    @Test
    void deprecatedDagRunWithModelRunAndScriptRun() {
        assertEquals("OK", Ai.status(c, "AI.SCRIPTSET", "old", "CPU", "SOURCE",
                "def half(x):\n    return x / 2\n"));
        Ai.status(c, "AI.SCRIPTEXECUTE", "pipe", "pre", "INPUTS", 1, "image", "OUTPUTS", 1, "batch");
        List<Object> reply = Ai.array(c, "AI.DAGRUN", "LOAD", 1, "batch", "|>", "AI.MODELRUN", "cnn", "INPUTS",
                "batch", "OUTPUTS", "logits", "|>", "AI.SCRIPTRUN", "old", "half", "INPUTS", "logits", "OUTPUTS",
                "halved", "|>", "AI.TENSORGET", "halved", "META");
        assertEquals(List.of("OK", "OK"), reply.subList(0, 2));
        assertEquals(List.of("dtype", "FLOAT", "shape", List.of(1L, 10L)), reply.get(2));
    }

    @Test
    void aFailingStepLeavesLaterStepsUnrunAndPersistsNothing() throws Exception {
        // Lettuce turns an error inside an array into an exception for the whole reply: read the wire instead
        try (RawConnection raw = new RawConnection(server.port())) {
            raw.send(RawConnection.command("AI.DAGEXECUTE", "LOAD", "1", "image", "PERSIST", "1", "label",
                    "|>", "AI.TENSORSET", "wrong", "FLOAT", "1", "3", "5", "5",
                    "|>", "AI.MODELEXECUTE", "cnn", "INPUTS", "1", "wrong", "OUTPUTS", "1", "logits",
                    "|>", "AI.SCRIPTEXECUTE", "pipe", "post", "INPUTS", "1", "logits", "OUTPUTS", "1", "label"));
            assertEquals("*3", raw.readLine());
            assertEquals("+OK", raw.readLine());
            String failure = raw.readLine();
            assertTrue(failure.startsWith("-ERR ") && failure.contains("channels"), failure);
            assertEquals("+NA", raw.readLine());
            raw.send(RawConnection.command("AI.DAGEXECUTE", "LOAD", "1", "image",
                    "|>", "AI.SCRIPTEXECUTE", "pipe", "nope", "INPUTS", "1", "image", "OUTPUTS", "1", "x"));
            assertEquals("*1", raw.readLine());
            assertEquals("-ERR Function does not exist: nope", raw.readLine());
        }
        assertEquals(0L, c.sync().exists("label", "x"), "nothing was persisted");
    }

    private String error(Object... args) {
        return assertThrows(RedisCommandExecutionException.class,
                () -> Ai.array(c, (String) args[0], java.util.Arrays.copyOfRange(args, 1, args.length))).getMessage();
    }

    @Test
    void malformedDagsAreRefusedBeforeAnythingRuns() {
        assertEquals("ERR PERSIST key cannot be found in DAG", error("AI.DAGEXECUTE", "LOAD", 1, "image", "PERSIST", 1,
                "never", "|>", "AI.TENSORGET", "image", "META"));
        assertEquals("ERR PERSIST cannot be specified in a read-only DAG", error("AI.DAGEXECUTE_RO", "PERSIST", 1, "x",
                "|>", "AI.TENSORSET", "x", "FLOAT", 1));
        assertEquals("ERR tensor key is empty or in a different shard", error("AI.DAGEXECUTE", "LOAD", 1, "missing",
                "|>", "AI.TENSORGET", "missing", "META"));
        assertEquals("ERR TIMEOUT not allowed within a DAG command", error("AI.DAGEXECUTE", "LOAD", 1, "image",
                "|>", "AI.MODELEXECUTE", "cnn", "INPUTS", 1, "image", "OUTPUTS", 1, "o", "TIMEOUT", 100));
        assertEquals("ERR INPUT key cannot be found in DAG", error("AI.DAGEXECUTE", "LOAD", 1, "image",
                "|>", "AI.MODELEXECUTE", "cnn", "INPUTS", 1, "nowhere", "OUTPUTS", 1, "o"));
        assertEquals("Number of keys given as INPUTS here does not match model definition", error("AI.DAGEXECUTE",
                "LOAD", 1, "image", "|>", "AI.MODELEXECUTE", "cnn", "INPUTS", 2, "image", "image", "OUTPUTS", 1, "o"));
        assertEquals("ERR Deprecated AI.MODELRUN cannot be used in AI.DAGEXECUTE command", error("AI.DAGEXECUTE",
                "LOAD", 1, "image", "|>", "AI.MODELRUN", "cnn", "INPUTS", "image", "OUTPUTS", "o"));
        assertEquals("Unsupported command within DAG", error("AI.DAGEXECUTE", "LOAD", 1, "image", "|>", "SET", "a", "b"));
        assertEquals("ERR DAG is empty", error("AI.DAGEXECUTE", "ROUTING", "x", "LOAD", 1, "image"));
        assertEquals("ERR AI.DAGEXECUTE and AI.DAGEXECUTE_RO commands must contain at least one out of ROUTING, LOAD, "
                + "PERSIST keywords", error("AI.DAGEXECUTE", "|>", "AI.TENSORSET", "a", "FLOAT", 1));
        assertEquals("ERR Invalid DAG command. Unexpected argument:  BAD_ARG", error("AI.DAGEXECUTE", "PERSIST", 1, "a",
                "BAD_ARG"));
        assertEquals("ERR missing arguments after LOAD keyword in DAG command", error("AI.DAGEXECUTE", "LOAD"));
        assertEquals("ERR number of keys to LOAD into DAG does not match the number of given arguments",
                error("AI.DAGEXECUTE", "LOAD", 3, "image"));
        assertEquals("ERR wrong number of arguments for 'AI.TENSORGET' command", error("AI.DAGEXECUTE", "LOAD", 1,
                "image", "|>", "AI.TENSORGET"));
        assertEquals(0L, c.sync().exists("x", "a", "o"), "nothing ran");
    }

    @Test
    void aDagTimeoutAnswersTimedout() throws Exception {
        var busy = TestModels.occupyTheWorker(server, c);
        assertEquals("TIMEDOUT", Ai.status(c, "AI.DAGEXECUTE", "LOAD", 1, "image", "PERSIST", 1, "label", "TIMEOUT", 1,
                "|>", "AI.SCRIPTEXECUTE", "pipe", "pre", "INPUTS", 1, "image", "OUTPUTS", 1, "batch",
                "|>", "AI.MODELEXECUTE", "cnn", "INPUTS", 1, "batch", "OUTPUTS", 1, "logits",
                "|>", "AI.SCRIPTEXECUTE", "pipe", "post", "INPUTS", 1, "logits", "OUTPUTS", 1, "label"));
        assertEquals(0L, c.sync().exists("label"));
        assertEquals("OK", busy.get(30, java.util.concurrent.TimeUnit.SECONDS));
    }
}
