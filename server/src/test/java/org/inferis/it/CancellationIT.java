package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A client that leaves takes its work with it: a blocked pop is withdrawn, so the element stays in the list, and a
 * queued run or DAG is dropped before it runs (counted in INFO), so its outputs are never written. Runs are held in
 * their queue by MINBATCHSIZE, so the test knows they have not started when their client leaves.
 */
class CancellationIT {
    private static final Path DIR = temporaryDirectory();

    @RegisterExtension
    static final RunningServer server = new RunningServer("--dir", DIR.toString(), "--appendonly", "yes",
            "--appendfsync", "always");

    private static Path temporaryDirectory() {
        try {
            Path dir = Files.createTempDirectory("inferis-cancel");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aBlockedPopWhoseClientLeftLeavesTheElementInTheList() throws Exception {
        StatefulRedisConnection<String, String> c = server.connect(ProtocolVersion.RESP2);
        StatefulRedisConnection<String, String> leaving = server.connect(ProtocolVersion.RESP2);
        leaving.sync().clientSetname("leaving");
        leaving.async().brpop(0, "q");
        Await.until(() -> c.sync().clientList().contains("name=leaving") && c.sync().clientList().matches(
                "(?s).*name=leaving[^\n]*flags=b.*"), "the client is blocked");
        leaving.close();
        Await.until(() -> !c.sync().clientList().contains("name=leaving"), "the client is gone");
        assertEquals(1L, c.sync().lpush("q", "job"));
        assertEquals(1L, c.sync().llen("q"), "the element went to nobody");
        assertEquals("job", c.sync().rpop("q"));
    }

    @Test
    void aQueuedRunOrDagWhoseClientLeftNeverRuns() throws Exception {
        StatefulRedisConnection<String, String> c = server.connect(ProtocolVersion.RESP2);
        TestModels.store(c, "held", "linear_relu.onnx", "BATCHSIZE", 4, "MINBATCHSIZE", 4);
        Ai.status(c, "AI.TENSORSET", "x", "FLOAT", 1, 4, "VALUES", 1, 2, 3, 4);
        long droppedBefore = Await.info(c, "ai_runs_dropped");

        StatefulRedisConnection<String, String> runner = server.connect(ProtocolVersion.RESP2);
        runner.sync().clientSetname("left-runner");
        Ai.statusAsync(runner, "AI.MODELEXECUTE", "held", "INPUTS", 1, "x", "OUTPUTS", 1, "left-run");
        StatefulRedisConnection<String, String> dagger = server.connect(ProtocolVersion.RESP2);
        dagger.sync().clientSetname("left-dagger");
        RedisFuture<String> dag = Ai.statusAsync(dagger, "AI.DAGEXECUTE", "LOAD", 1, "x", "PERSIST", 1, "left-dag",
                "|>", "AI.MODELEXECUTE", "held", "INPUTS", 1, "x", "OUTPUTS", 1, "left-dag");
        Await.until(() -> Await.info(c, "ai_queue_depth") == 2, "both runs wait for a full batch");
        runner.close();
        dagger.close();
        Await.until(() -> !c.sync().clientList().contains("name=left-"), "both clients are gone");
        assertTrue(!dag.isDone() || dag.toCompletableFuture().isCompletedExceptionally(), "the DAG was not answered");

        // four samples from a client that stays make the batch; the two left behind are not in it
        StatefulRedisConnection<String, String> stays = server.connect(ProtocolVersion.RESP2);
        Ai.status(c, "AI.TENSORSET", "four", "FLOAT", 4, 4);
        assertEquals("OK", Ai.status(stays, "AI.MODELEXECUTE", "held", "INPUTS", 1, "four", "OUTPUTS", 1, "stayed"));
        assertEquals(1L, c.sync().exists("stayed"));
        assertEquals(0L, c.sync().exists("left-run", "left-dag"), "no output of a dropped run was written");
        assertEquals(droppedBefore + 2, Await.info(c, "ai_runs_dropped"));
        assertEquals(0L, Await.info(c, "ai_queue_depth"));
    }



    @Test
    void runsPipelinedByAClientThatLeftAreAllDropped() throws Exception {
        StatefulRedisConnection<String, String> c = server.connect(ProtocolVersion.RESP2);
        TestModels.store(c, "held-pipelined", "linear_relu.onnx", "BATCHSIZE", 16, "MINBATCHSIZE", 16);
        Ai.status(c, "AI.TENSORSET", "x", "FLOAT", 1, 4, "VALUES", 1, 2, 3, 4);
        long droppedBefore = Await.info(c, "ai_runs_dropped");
        StringBuilder pipeline = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            pipeline.append(RawConnection.command("AI.MODELEXECUTE", "held-pipelined", "INPUTS", "1", "x",
                    "OUTPUTS", "1", "left-pipelined" + i));
        }
        try (RawConnection leaving = new RawConnection(server.port())) {
            leaving.send(pipeline.toString());
            // all eight started at once behind each other, and wait for a full batch
            Await.until(() -> Await.info(c, "ai_queue_depth") == 8, "the pipelined runs all queued");
        }
        Await.until(() -> Await.info(c, "ai_runs_dropped") == droppedBefore + 8 || Await.info(c, "ai_queue_depth") == 0,
                "the runs of the client that left");
        StatefulRedisConnection<String, String> stays = server.connect(ProtocolVersion.RESP2);
        Ai.status(c, "AI.TENSORSET", "sixteen", "FLOAT", 16, 4);
        assertEquals("OK", Ai.status(stays, "AI.MODELEXECUTE", "held-pipelined", "INPUTS", 1, "sixteen", "OUTPUTS", 1,
                "stayed16"));
        for (int i = 0; i < 8; i++) {
            assertEquals(0L, c.sync().exists("left-pipelined" + i), "no output of a dropped run was written");
        }
        assertEquals(droppedBefore + 8, Await.info(c, "ai_runs_dropped"));
    }
}
