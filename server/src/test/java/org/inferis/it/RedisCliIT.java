package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.inferis.backend.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The real redis-cli: plain commands, RESP3 (-3), a BLOB from stdin (-x) and inline commands (--pipe). */
class RedisCliIT {
    @RegisterExtension
    static final RunningServer server = new RunningServer();

    private static String cli(String... args) throws Exception {
        return RedisCli.run(server.port(), args);
    }

    @Test
    void plainCommands() throws Exception {
        assertEquals("PONG\n", cli("PING"));
        assertEquals("OK\n", cli("SET", "greeting", "hello world"));
        assertEquals("hello world\n", cli("GET", "greeting"));
        assertEquals("OK\n", cli("AI.TENSORSET", "t", "FLOAT", "2", "2", "VALUES", "1", "2", "3", "4.5"));
        assertEquals("1\n2\n3\n4.5\n", cli("AI.TENSORGET", "t", "VALUES"));
        assertEquals("dtype\nFLOAT\nshape\n2\n2\n", cli("AI.TENSORGET", "t", "META"));
        assertEquals("AI_TENSOR\n", cli("TYPE", "t"));
        assertEquals("ERR tensor key is empty or in a different shard", cli("AI.TENSORGET", "missing").trim());
        assertTrue(cli("COMMAND", "DOCS", "get").contains("summary"));
    }

    @Test
    void resp3Mode() throws Exception {
        assertTrue(cli("-3", "CLIENT", "INFO").contains("resp=3"));
        cli("AI.TENSORSET", "t3", "DOUBLE", "2", "VALUES", "0.5", "-1");
        assertEquals("0.5\n-1\n", cli("-3", "AI.TENSORGET", "t3", "VALUES"));
        assertEquals("maxclients 10000\n", cli("-3", "CONFIG", "GET", "maxclients"));
    }

    @Test
    void blobFromStdin() throws Exception {
        ByteBuffer floats = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                .putFloat(1.5f).putFloat(-2).putFloat(0).putFloat(1024);
        String reply = RedisCli.run(server.port(), floats.array(), "-x", "AI.TENSORSET", "img", "FLOAT", "1", "4", "BLOB");
        assertEquals("OK\n", reply);
        assertEquals("1.5\n-2\n0\n1024\n", cli("AI.TENSORGET", "img", "VALUES"));
    }

    @Test
    void modelFromStdinRunsToItsRecordedOutputs() throws Exception {
        for (String file : List.of("add_mul.pt", "add_mul.onnx")) {
            String backend = file.endsWith(".pt") ? "TORCH" : "ONNX";
            byte[] model = java.nio.file.Files.readAllBytes(Fixtures.MODELS.resolve(file));
            assertEquals("OK\n", RedisCli.run(server.port(), model, "-x", "AI.MODELSTORE", "m", backend, "CPU", "BLOB"));
            assertEquals("OK\n", cli("AI.TENSORSET", "a", "FLOAT", "2", "2", "VALUES", "1", "2", "3", "4"));
            assertEquals("OK\n", cli("AI.TENSORSET", "b", "FLOAT", "2", "2", "VALUES", "5", "6", "7", "8"));
            assertEquals("OK\n", cli("AI.MODELEXECUTE", "m", "INPUTS", "2", "a", "b", "OUTPUTS", "2", "s", "p"));
            String expectedSum = Arrays.stream(Fixtures.values(Fixtures.outputs("add_mul").get(0)))
                    .mapToObj(v -> Long.toString((long) v) + "\n").collect(Collectors.joining());
            assertEquals(expectedSum, cli("AI.TENSORGET", "s", "VALUES"), backend);
            assertEquals("5\n12\n21\n32\n", cli("AI.TENSORGET", "p", "VALUES"), backend);
            assertEquals("AI__MODEL\n", cli("TYPE", "m"));
        }
    }

    @Test
    void tfGraphFromStdinRunsByItsNodeNames() throws Exception {
        byte[] graph = java.nio.file.Files.readAllBytes(Fixtures.MODELS.resolve("tf_mul.pb"));
        assertEquals("OK\n", RedisCli.run(server.port(), graph, "-x", "AI.MODELSTORE", "tf", "TF", "CPU",
                "INPUTS", "2", "a", "b", "OUTPUTS", "1", "mul", "BLOB"));
        assertEquals("OK\n", cli("AI.TENSORSET", "ta", "FLOAT", "2", "VALUES", "2", "3"));
        assertEquals("OK\n", cli("AI.TENSORSET", "tb", "FLOAT", "2", "VALUES", "3", "5"));
        assertEquals("OK\n", cli("AI.MODELEXECUTE", "tf", "INPUTS", "2", "ta", "tb", "OUTPUTS", "1", "tc"));
        assertEquals("6\n15\n", cli("AI.TENSORGET", "tc", "VALUES"));
        assertEquals("ERR Input node named \"x\" not found in TF graph.", RedisCli.run(server.port(), graph, "-x",
                "AI.MODELSTORE", "tf", "TF", "CPU", "INPUTS", "1", "x", "OUTPUTS", "1", "mul", "BLOB").trim());
    }

    @Test
    void inlineCommandsThroughPipeMode() throws Exception {
        byte[] inline = "SET inline-key \"two words\"\r\nLPUSH inline-list a b c\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII);
        String summary = RedisCli.run(server.port(), inline, "--pipe");
        assertTrue(summary.contains("errors: 0, replies: 3"), summary);
        assertEquals("two words\n", cli("GET", "inline-key"));
        assertEquals("3\n", cli("LLEN", "inline-list"));
    }
}
