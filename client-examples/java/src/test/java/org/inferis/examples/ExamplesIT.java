package org.inferis.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.inferis.config.ServerConfig;
import org.inferis.server.InferisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Runs every client example, Java, Python and shell, against a real server, as a newcomer would. */
class ExamplesIT {
    private static final Path EXAMPLES = Path.of(System.getProperty("examples.home", "..")).toAbsolutePath().normalize();
    private static final Path MODELS = EXAMPLES.resolveSibling("backends/src/test/resources/models");
    private static InferisServer server;
    private static int port;

    @BeforeAll
    static void startServer() throws Exception {
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        Path data = Files.createTempDirectory("inferis-examples");
        server = new InferisServer(ServerConfig.fromArguments(new String[] {"--port", Integer.toString(port),
                "--dir", data.toString(), "--save", ""}), Clock.systemUTC());
        server.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!server.context().isReady() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    @AfterAll
    static void stopServer() {
        server.stop();
    }

    @Test
    void theJavaExampleRuns() throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try {
            Example.main(new String[] {uri(), MODELS.toString()});
        } finally {
            System.setOut(original);
        }
        String output = printed.toString(StandardCharsets.UTF_8);
        assertTrue(output.contains("CNN scores [1, 10]"), output);
        assertTrue(output.contains("DAG replies [OK, OK, OK], row_sum [2, 1]"), output);
    }

    @Test
    void theJavaHelperRoundTripsTensorsAndRunsModels() throws Exception {
        try (InferisClient inferis = InferisClient.connect(uri())) {
            inferis.tensorSet("floats", new long[] {2, 2}, 1.5f, -2f, 3f, 4f);
            InferisClient.Tensor floats = inferis.tensorGet("floats");
            assertEquals("FLOAT", floats.dtype());
            assertArrayEquals(new long[] {2, 2}, floats.shape());
            assertArrayEquals(new float[] {1.5f, -2f, 3f, 4f}, floats.floats());

            ByteBuffer int64 = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-7).putLong(1L << 40).flip();
            inferis.tensorSet("longs", "INT64", new long[] {2}, int64);
            assertEquals(int64, inferis.tensorGet("longs").data().order(ByteOrder.LITTLE_ENDIAN));

            inferis.modelStore("add_mul", "ONNX", "CPU", MODELS.resolve("add_mul.onnx"));
            inferis.tensorSet("a", new long[] {2, 2}, 1, 2, 3, 4);
            inferis.tensorSet("b", new long[] {2, 2}, 5, 6, 7, 8);
            inferis.modelExecute("add_mul", List.of("a", "b"), List.of("sum", "product"));
            assertArrayEquals(new float[] {6, 8, 10, 12}, inferis.tensorGet("sum").floats());

            List<Object> replies = inferis.dag().load("a").persist("kept")
                    .tensorSet("b", new long[] {2, 2}, 1, 1, 1, 1)
                    .modelExecute("add_mul", List.of("a", "b"), List.of("kept", "p"))
                    .tensorGet("p")
                    .execute();
            assertEquals(List.of("OK", "OK"), replies.subList(0, 2));
            assertArrayEquals(new float[] {1, 2, 3, 4}, ((InferisClient.Tensor) replies.get(2)).floats());
            assertArrayEquals(new float[] {2, 3, 4, 5}, inferis.tensorGet("kept").floats());
        }
    }

    @Test
    void thePythonExamplesRun() throws Exception {
        String output = run(EXAMPLES.resolve("python/run.sh"));
        assertTrue(output.contains("models.py: OK, TorchScript and ONNX agree, tensors stored in one transaction"), output);
        assertTrue(output.contains("dag.py: OK"), output);
        assertTrue(output.contains("40 jobs through 2 workers"), output);
        assertTrue(output.contains("queue_worker.py: OK"), output);
    }

    @Test
    void theShellWalkthroughRuns() throws Exception {
        String output = run(EXAMPLES.resolve("shell/walkthrough.sh"));
        assertTrue(output.contains("walkthrough.sh: OK"), output);
        assertTrue(output.contains("shape\n2\n3\nvalues\n"), "TENSORGET META VALUES of the 2x3 result:\n" + output);
    }

    private static String run(Path script) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(script.toString()).redirectErrorStream(true);
        builder.environment().putAll(Map.of("INFERIS_PORT", Integer.toString(port)));
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(300, TimeUnit.SECONDS), script + " finished");
        assertEquals(0, process.exitValue(), script + " failed:\n" + output);
        return output;
    }

    private static String uri() {
        return "redis://127.0.0.1:" + port;
    }
}
