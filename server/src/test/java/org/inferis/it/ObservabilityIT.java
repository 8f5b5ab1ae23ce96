package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.inferis.config.ServerConfig;
import org.inferis.server.InferisServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** SLOWLOG, MONITOR (through redis-cli) and readiness. */
class ObservabilityIT {
    @RegisterExtension
    static final RunningServer server = new RunningServer();
    /** Holds the start-up of the servers made by {@link #heldAtStartUp}. */
    private final CountDownLatch enginesUp = new CountDownLatch(1);

    private StatefulRedisConnection<String, String> c;

    @BeforeEach
    void setUp() {
        c = server.connect(ProtocolVersion.RESP2);
        c.sync().flushall();
        c.sync().configSet("slowlog-log-slower-than", "10000");
        Ai.status(c, "SLOWLOG", "RESET");
    }

    @Test
    void slowlogRecordsWhatTookLongerThanTheThreshold() {
        assertEquals(0L, Ai.integer(c, "SLOWLOG", "LEN"));
        c.sync().configSet("slowlog-log-slower-than", "0");
        c.sync().set("k", "v");
        TestModels.store(c, "m", "linear_relu.onnx");
        Ai.status(c, "AI.TENSORSET", "x", "FLOAT", 1, 4);
        Ai.status(c, "AI.MODELEXECUTE", "m", "INPUTS", 1, "x", "OUTPUTS", 1, "y");
        c.sync().configSet("slowlog-log-slower-than", "10000");
        List<Object> entries = Ai.array(c, "SLOWLOG", "GET", -1);
        // the last CONFIG SET raised the threshold before it was timed, so the run is the newest entry
        List<?> run = (List<?>) entries.get(0);
        assertEquals(6, run.size());
        assertEquals(List.of("AI.MODELEXECUTE", "m", "INPUTS", "1", "x", "OUTPUTS", "1", "y"), run.get(3));
        assertTrue((Long) run.get(2) >= 0 && (Long) run.get(1) > 1_700_000_000L);
        assertTrue(((String) run.get(4)).startsWith("127.0.0.1:"));
        assertTrue(entries.stream().anyMatch(e -> ((List<?>) e).get(3).equals(List.of("SET", "k", "v"))));
        assertEquals(2, Ai.array(c, "SLOWLOG", "GET", 2).size());
        assertEquals("OK", Ai.status(c, "SLOWLOG", "RESET"));
        assertEquals(0L, Ai.integer(c, "SLOWLOG", "LEN"));
        c.sync().configSet("slowlog-max-len", "3");
        c.sync().configSet("slowlog-log-slower-than", "0");
        for (int i = 0; i < 10; i++) {
            c.sync().get("k");
        }
        assertEquals(3L, Ai.integer(c, "SLOWLOG", "LEN"));
        c.sync().configSet("slowlog-log-slower-than", "10000");
        c.sync().configSet("slowlog-max-len", "128");
    }

    @Test
    void infoReportsKnownWorkThroughRedisCli() throws Exception {
        TestModels.store(c, "m", "linear_relu.onnx");
        Ai.status(c, "AI.TENSORSET", "x", "FLOAT", 1, 4);
        Ai.status(c, "AI.MODELEXECUTE", "m", "INPUTS", 1, "x", "OUTPUTS", 1, "y");
        String info = RedisCli.run(server.port(), "INFO");
        for (String pattern : List.of("redis_version:\\d+\\.\\d+\\.\\d+", "run_id:[0-9a-f]{40}", "multiplexing_api:(epoll|nio)",
                "connected_clients:\\d+", "used_memory:\\d+", "used_memory_rss:[1-9]\\d*", "used_memory_peak:[1-9]\\d*",
                "total_commands_processed:[1-9]\\d*", "instantaneous_ops_per_sec:\\d+", "loading:0",
                "db0:keys=3,expires=0,avg_ttl=0", "ai_models:1", "ai_tensors:2", "ai_runs:1", "ai_batches:1", "ai_run_errors:0",
                "ai_queue_depth:0", "ai_queue_depth_cpu:0", "ai_worker_spin_us:\\d+", "ai_loop_spin_us:\\d+", "ai_awaited_runs:0")) {
            assertTrue(java.util.regex.Pattern.compile("(?m)^" + pattern + "\\r?$").matcher(info).find(),
                    pattern + " in\n" + info);
        }
    }

    @Test
    void workersAndEventLoopsSpinOnlyAsLongAsRunSpinAllows() {
        assertEquals("100", c.sync().configGet("run-spin").get("run-spin"));
        assertEquals("OK", c.sync().configSet("run-spin", "0"));
        long spunBefore = Await.info(c, "ai_worker_spin_us");
        long loopsSpunBefore = Await.info(c, "ai_loop_spin_us");
        TestModels.store(c, "m", "linear_relu.onnx");
        Ai.status(c, "AI.TENSORSET", "x", "FLOAT", 1, 4);
        for (int i = 0; i < 50; i++) { // one client, one run at a time: what spinning serves, when it may
            Ai.status(c, "AI.MODELEXECUTE", "m", "INPUTS", 1, "x", "OUTPUTS", 1, "y");
        }
        assertEquals(spunBefore, Await.info(c, "ai_worker_spin_us"), "no worker spun with run-spin 0");
        assertEquals(loopsSpunBefore, Await.info(c, "ai_loop_spin_us"), "no event loop polled with run-spin 0");
        for (String bad : List.of("-1", "10001", "soon")) {
            org.junit.jupiter.api.Assertions.assertThrows(io.lettuce.core.RedisException.class,
                    () -> c.sync().configSet("run-spin", bad), bad);
        }
        assertEquals("0", c.sync().configGet("run-spin").get("run-spin"));
    }

    private static String readable(java.nio.file.Path file) {
        try {
            return java.nio.file.Files.readString(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void monitorShowsOtherClientsCommandsThroughRedisCli() throws Exception {
        java.nio.file.Path output = java.nio.file.Files.createTempFile("monitor", ".txt");
        Process monitor = new ProcessBuilder("redis-cli", "-p", Integer.toString(server.port()), "MONITOR")
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            Await.until(() -> c.sync().clientList().contains(" cmd=monitor "), "redis-cli is monitoring");
            c.sync().set("watched", "line\nbreak");
            Ai.status(c, "AI.TENSORSET", "t", "FLOAT", 2, "VALUES", 1, 2);
            c.sync().configSet("slowlog-log-slower-than", "0");
            c.sync().configSet("requirepass", "a-new-password");
            c.sync().configSet("requirepass", "");
            c.sync().configSet("slowlog-log-slower-than", "10000");
            c.sync().auth("not-a-secret-to-show");
        } catch (RuntimeException expected) {
            // AUTH without a password configured is an error; it is still shown, redacted
        } finally {
            Await.until(() -> readable(output).contains("\"AUTH\""), "the last command reached the monitor");
            monitor.destroy();
            monitor.waitFor(10, TimeUnit.SECONDS);
        }
        String shown = java.nio.file.Files.readString(output);
        java.nio.file.Files.delete(output);
        assertTrue(shown.startsWith("OK"), shown);
        assertTrue(shown.matches("(?s).*\\d{10}\\.\\d{6} \\[0 127\\.0\\.0\\.1:\\d+] \"SET\" \"watched\" \"line\\\\nbreak\".*"), shown);
        assertTrue(shown.contains("\"AI.TENSORSET\" \"t\" \"FLOAT\" \"2\" \"VALUES\" \"1\" \"2\""), shown);
        assertTrue(shown.contains("\"AUTH\" \"(redacted)\"") && !shown.contains("not-a-secret"), shown);
        assertTrue(shown.contains("\"CONFIG\" \"SET\" \"requirepass\" \"(redacted)\""), shown);
        assertTrue(!shown.contains("a-new-password"), shown);
        String slowlog = Ai.array(c, "SLOWLOG", "GET", -1).toString();
        assertTrue(slowlog.contains("[CONFIG, SET, requirepass, (redacted)]") && !slowlog.contains("a-new-password"),
                slowlog);
    }

    @Test
    void commandsAnswerLoadingUntilTheEnginesAreUp(@TempDir Path dir) throws Exception {
        InferisServer starting = heldAtStartUp(dir);
        int port = starting.start();
        try {
            assertEquals("LOADING Inferis is starting its engines", RedisCli.run(port, "PING").trim());
            assertTrue(RedisCli.run(port, "INFO", "persistence").contains("loading:1"));
            enginesUp.countDown();
            long deadline = System.nanoTime() + 10_000_000_000L;
            String pong = "";
            while (!pong.equals("PONG") && System.nanoTime() < deadline) {
                pong = RedisCli.run(port, "PING").trim();
            }
            assertEquals("PONG", pong);
            assertTrue(RedisCli.run(port, "INFO", "persistence").contains("loading:0"));
        } finally {
            starting.stop();
        }
    }

    /** Redis's rule: a SHUTDOWN while loading saves nothing, since the keyspace is not whole yet. */
    @Test
    void shutdownWhileLoadingSavesNoPartialSnapshot(@TempDir Path dir) throws Exception {
        InferisServer starting = heldAtStartUp(dir);
        int port = starting.start();
        try {
            RedisCli.run(port, "SHUTDOWN");
            starting.awaitTermination();
            assertFalse(java.nio.file.Files.exists(dir.resolve("dump.inferis")), "no snapshot of a loading keyspace");
        } finally {
            enginesUp.countDown();
            starting.stop();
        }
    }

    /** A server whose start-up waits for {@link #enginesUp}, with the default save points, keeping its files in dir. */
    private InferisServer heldAtStartUp(Path dir) throws Exception {
        ServerConfig config = ServerConfig.fromArguments(new String[] {"--port", Integer.toString(FreePorts.next()),
                "--dir", dir.toString()});
        return new InferisServer(config, Clock.systemUTC(), context -> {
            try {
                enginesUp.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }
}
