package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.inferis.backend.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * engine-isolation: what crashes libtorch, runs past the deadline or takes memory past the limit ends the engine
 * process, never the server; its clients get one error, and the models and scripts stored before run on in the next
 * engine process. (The other commands through the engine process: the ITs failsafe runs again with it.)
 */
class EngineIsolationIT {
    private static final String SCRIPT = String.join("\n",
            "def divide(tensors: List[Tensor], keys: List[str], args: List[str]):",
            "    return tensors[0] // tensors[1]",
            "",
            "def bag(tensors: List[Tensor], keys: List[str], args: List[str]):", // max mode, include_last_offset
            "    return torch.embedding_bag(tensors[0], tensors[1], tensors[2], False, 2, False, None, True)[0]",
            "",
            "def spin(tensors: List[Tensor], keys: List[str], args: List[str]):",
            "    x = tensors[0]",
            "    while True:",
            "        x = x + 1",
            "    return x",
            "",
            "def grow(tensors: List[Tensor], keys: List[str], args: List[str]):", // 8 GiB in all, 4 GiB the last
            "    kept = [tensors[0]]",
            "    for i in range(11):",
            "        kept.append(torch.empty([1048576 << i]))",
            "    return tensors[0] + len(kept)",
            "");

    @TempDir
    static Path dir;
    private static SentinelServer server;
    private static StatefulRedisConnection<String, String> c;

    @BeforeAll
    static void start() throws Exception {
        server = SentinelServer.start("--dir", dir.toString(), "--save", "", "--engine-isolation", "yes",
                "--model-execution-timeout", "2000", "--engine-memory-limit", "3gb");
        c = server.connection();
        TestModels.store(c, "torch", "int64_affine.pt");
        TestModels.store(c, "onnx", "int64_affine.onnx");
        assertEquals("OK", Ai.status(c, "AI.SCRIPTSTORE", "script", "CPU", "ENTRY_POINTS", 4, "divide", "bag", "spin", "grow",
                "SOURCE", SCRIPT));
        Ai.status(c, "AI.TENSORSET", "least", "INT64", 1, "VALUES", Long.MIN_VALUE);
        Ai.status(c, "AI.TENSORSET", "minus-one", "INT64", 1, "VALUES", -1);
        Ai.status(c, "AI.TENSORSET", "seven", "INT64", 1, "VALUES", 7);
        Ai.status(c, "AI.TENSORSET", "ids", "INT64", 1, 3, "VALUES", 1, -2, 3);
        Ai.status(c, "AI.TENSORSET", "weights", "FLOAT", 10, 3);
        Ai.status(c, "AI.TENSORSET", "positions", "INT64", 4, "VALUES", 1, 2, 3, 4);
        Ai.status(c, "AI.TENSORSET", "one-offset", "INT64", 1, "VALUES", 0);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static String error(String command, Object... args) {
        return assertThrows(RedisCommandExecutionException.class, () -> Ai.status(c, command, args)).getMessage();
    }

    /** The stored models and script still give their results (after a new engine process loaded them again). */
    private static void assertEverythingRuns(String after) {
        server.assertAlive(after);
        assertEquals("OK", Ai.status(c, "AI.SCRIPTEXECUTE", "script", "divide", "INPUTS", 2, "least", "seven",
                "OUTPUTS", 1, "quotient"), after);
        assertEquals(List.of(Math.floorDiv(Long.MIN_VALUE, 7L)), Ai.array(c, "AI.TENSORGET", "quotient", "VALUES"),
                after);
        for (String model : List.of("torch", "onnx")) {
            assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", model, "INPUTS", 1, "ids", "OUTPUTS", 1, "out"), after);
            assertEquals(List.of(4L, -5L, 10L), Ai.array(c, "AI.TENSORGET", "out", "VALUES"), after + ", " + model);
        }
    }

    /**
     * Each crash answers its call and leaves the server and everything stored running; a script (its own key here)
     * whose runs crashed the engine process twice, with nothing else called there, is quarantined until stored again.
     */
    @Test
    void crashesInLibtorchEndTheEngineProcessAndTheServerServesOn() {
        long pid = server.process().handle().pid();
        assertEquals("OK", Ai.status(c, "AI.SCRIPTSTORE", "crashing", "CPU", "ENTRY_POINTS", 2, "divide", "bag",
                "SOURCE", SCRIPT));
        Ai.integer(c, "DEL", "crashed");
        String error = error("AI.SCRIPTEXECUTE", "crashing", "divide", "INPUTS", 2, "least", "minus-one", "OUTPUTS",
                1, "crashed");
        assertTrue(error.contains("the engine process died during the call (SIGFPE in libtorch_cpu.so)"), error);
        assertEquals(0L, Ai.integer(c, "EXISTS", "crashed"), "no output is stored");
        assertEquals(List.of(Long.MIN_VALUE), Ai.array(c, "AI.TENSORGET", "least", "VALUES"), "the input is intact");
        assertEquals(pid, server.process().handle().pid());
        assertTrue(server.process().handle().isAlive());
        assertEverythingRuns("a SIGFPE");

        error = error("AI.SCRIPTEXECUTE", "crashing", "bag", "INPUTS", 3, "weights", "positions", "one-offset",
                "OUTPUTS", 1, "crashed");
        assertTrue(error.contains("the engine process died during the call (SIGSEGV in libtorch_cpu.so)"), error);
        assertEquals(0L, Ai.integer(c, "EXISTS", "crashed"), "no output is stored");
        assertEquals(pid, server.process().handle().pid());
        assertEverythingRuns("a SIGSEGV");

        ProcessHandle engine = server.process().handle().children().findFirst().orElseThrow();
        for (String entryPoint : List.of("divide", "bag")) { // refused before it reaches the engine process
            error = error("AI.SCRIPTEXECUTE", "crashing", entryPoint, "INPUTS", 2, "least", "seven", "OUTPUTS", 1,
                    "crashed");
            assertEquals("ERR 'crashing' is quarantined: 2 of its runs ended the engine process; store it again to "
                    + "use it", error);
        }
        assertTrue(engine.isAlive(), "no third crash");
        assertEverythingRuns("a quarantined script");
        assertEquals("OK", Ai.status(c, "AI.SCRIPTSTORE", "crashing", "CPU", "ENTRY_POINTS", 2, "divide", "bag",
                "SOURCE", SCRIPT));
        assertEquals("OK", Ai.status(c, "AI.SCRIPTEXECUTE", "crashing", "divide", "INPUTS", 2, "least", "seven",
                "OUTPUTS", 1, "quotient"), "stored again, it runs");
        assertEquals(List.of(Math.floorDiv(Long.MIN_VALUE, 7L)), Ai.array(c, "AI.TENSORGET", "quotient", "VALUES"));

        // as a model loads too (its __setstate__ divides the least integer by -1)
        error = error("AI.MODELSTORE", "crashing-model", "TORCH", "CPU", "BLOB", Fixtures.model("divide_on_load.pt"));
        assertTrue(error.contains("the engine process died during the call (SIGFPE in libtorch_cpu.so)"), error);
        assertEquals(0L, Ai.integer(c, "EXISTS", "crashing-model"), "the model is not stored");
        assertEverythingRuns("a SIGFPE as a model loads");
    }

    @Test
    void aRunPastTheDeadlineIsStoppedWithItsEngineProcessAndItsScriptStaysUsable() {
        for (int overdue = 1; overdue <= 3; overdue++) { // in-process, twice quarantines a TorchScript script
            String error = error("AI.SCRIPTEXECUTE", "script", "spin", "INPUTS", 1, "seven", "OUTPUTS", 1, "spun");
            assertTrue(error.contains("model-execution-timeout"), error);
        }
        assertEverythingRuns("three overdue runs");
        String info = Ai.string(c, "INFO", "ai");
        assertTrue(info.contains("ai_abandoned_threads:0\r\n"), "the calls' threads came back: " + info);
    }

    /**
     * An ONNX kernel that looks at no stop flag (long_kernel.onnx: one NonMaxSuppression of 80,000 boxes, some 2 s) is
     * asked to stop, then its engine process is killed: in-process, twice would quarantine the model.
     */
    @Test
    void anOnnxKernelThatDoesNotStopWhenAskedEndsWithItsEngineProcess() {
        TestModels.store(c, "long", "long_kernel.onnx");
        Ai.status(c, "AI.TENSORSET", "few-boxes", "FLOAT", 1, "VALUES", 3);
        Ai.status(c, "AI.TENSORSET", "boxes", "FLOAT", 1, "VALUES", 80_000);
        for (int overdue = 1; overdue <= 3; overdue++) { // in-process, twice would quarantine the model
            // a new engine process, the models loaded into it within the usual limit
            assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", "long", "INPUTS", 1, "few-boxes", "OUTPUTS", 1,
                    "kept"));
            ProcessHandle engine = server.process().handle().children().findFirst().orElseThrow();
            assertEquals("OK", c.sync().configSet("model-execution-timeout", "200"));
            try {
                String error = error("AI.MODELEXECUTE", "long", "INPUTS", 1, "boxes", "OUTPUTS", 1, "kept");
                assertTrue(error.startsWith("ERR run exceeded model-execution-timeout (200 ms)"), error);
            } finally {
                c.sync().configSet("model-execution-timeout", "2000");
            }
            Await.until(() -> !engine.isAlive(), "the engine process running the kernel is killed");
        }
        assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", "long", "INPUTS", 1, "few-boxes", "OUTPUTS", 1, "kept"));
        assertEquals(List.of(3L, 3L), Ai.array(c, "AI.TENSORGET", "kept", "VALUES"));
        Await.until(() -> Await.info(c, "ai_abandoned_threads") == 0, "the calls' threads came back");
        assertEverythingRuns("three ONNX kernels past the deadline");
    }

    @Test
    void memoryPastTheLimitFailsTheCallNotTheServer() {
        String error = error("AI.SCRIPTEXECUTE", "script", "grow", "INPUTS", 1, "seven", "OUTPUTS", 1, "grown");
        assertTrue(error.contains("can't allocate memory") || error.contains("the engine process died"), error);
        assertEverythingRuns("a script that asked for 8 GiB past a limit of 3");
    }

    /** SIGTERM with runs under way in the engine process: they are answered and stored before it is stopped. */
    @Test
    void aStopUnderLoadAnswersAndKeepsTheRunsUnderWay() throws Exception {
        Path data = Files.createDirectories(dir.resolve("stop-under-load"));
        String[] options = {"--dir", data.toString(), "--save", "", "--appendonly", "yes", "--engine-isolation", "yes"};
        List<RedisFuture<String>> runs = new ArrayList<>();
        ServerProcess stopped = ServerProcess.start(options);
        RedisClient client = RedisClient.create(RedisURI.create("127.0.0.1", stopped.port()));
        try {
            StatefulRedisConnection<String, String> admin = client.connect();
            TestModels.store(admin, "cnn", "mnist_cnn.pt");
            Ai.status(admin, "AI.TENSORSET", "images", "FLOAT", 20000, 1, 28, 28); // about a second a run
            for (int i = 0; i < 3; i++) {
                StatefulRedisConnection<String, String> runner = client.connect();
                runner.sync().clientSetname("runner" + i);
                runs.add(Ai.statusAsync(runner, "AI.MODELEXECUTE", "cnn", "INPUTS", 1, "images", "OUTPUTS", 1,
                        "out" + i));
                Await.dispatched(admin, "runner" + i, "AI.MODELEXECUTE");
            }
            assertTrue(Await.info(admin, "ai_queue_depth") >= 1, "runs wait behind the one running");
            stopped.signal("TERM");
            for (RedisFuture<String> run : runs) {
                assertEquals("OK", run.get(60, TimeUnit.SECONDS), "a run under way at SIGTERM is answered");
            }
            assertEquals(0, stopped.exitCode(), stopped.output());
        } finally {
            client.shutdown();
            stopped.close();
        }
        try (SentinelServer restarted = SentinelServer.start(options)) {
            for (int i = 0; i < 3; i++) {
                assertEquals(List.of(20000L, 10L), Ai.array(restarted.connection(), "AI.TENSORGET", "out" + i, "META")
                        .get(3), "out" + i + " is in the append-only file");
            }
        }
    }

    @Test
    void theEngineProcessEndsWithTheServerEvenAKilledOneAndItsSocketDirectoryGoes() throws Exception {
        long killed = -1;
        for (String signal : List.of("KILL", "TERM")) {
            ServerProcess other = ServerProcess.start("--dir", dir.toString(), "--save", "",
                    "--engine-isolation", "yes");
            assertEquals(List.of(), socketDirectories(killed), "a directory a killed server left is removed");
            List<ProcessHandle> engines = other.handle().children().toList();
            assertEquals(1, engines.size(), "one engine process: " + engines);
            assertTrue(engines.get(0).info().commandLine().orElse("").contains("EngineHost"));
            assertEquals(1, socketDirectories(other.handle().pid()).size());
            other.signal(signal);
            other.exitCode();
            engines.get(0).onExit().get(30, TimeUnit.SECONDS);
            assertFalse(engines.get(0).isAlive(), "after SIG" + signal);
            killed = other.handle().pid();
        }
        assertEquals(List.of(), socketDirectories(killed), "a stopped server removes its directory");
    }

    /** The engine sockets' directories of the server with that pid. */
    private static List<Path> socketDirectories(long pid) throws java.io.IOException {
        try (var entries = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return entries.filter(path -> path.getFileName().toString().startsWith("inferis-engine-" + pid + "-"))
                    .toList();
        }
    }
}
