package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failures stay with their own request: a script that never returns, a client that leaves mid-run.
 * Runs a server process of its own, since a looping script's thread cannot be stopped short of the process.
 */
class FaultIsolationIT {
    /** Never returns; each turn calls into libtorch's operators, as a real model's loop would. */
    private static final String SPIN_SCRIPT = String.join("\n",
            "def spin(tensors: List[Tensor], keys: List[str], args: List[str]):",
            "    x = tensors[0]",
            "    while True:",
            "        x = x + 1",
            "    return x", "");
    @TempDir
    Path dir;
    private ServerProcess server;
    private RedisClient client;
    private int port;

    @BeforeEach
    void launch() throws Exception {
        server = ServerProcess.start("--model-execution-timeout", "500", "--save", "", "--dir", dir.toString());
        port = server.port();
        client = RedisClient.create(RedisURI.create("127.0.0.1", port));
    }

    @AfterEach
    void stop() throws Exception {
        client.shutdown();
        server.close();
    }

    @Test
    void aScriptThatNeverReturnsFailsAloneAndTheDeviceGoesOn() throws Exception {
        StatefulRedisConnection<String, String> c = client.connect();
        assertEquals("OK", Ai.status(c, "AI.SCRIPTSTORE", "s", "CPU", "ENTRY_POINTS", 1, "spin", "SOURCE", SPIN_SCRIPT));
        TestModels.store(c, "m", "linear_relu.onnx");
        Ai.status(c, "AI.TENSORSET", "x", "FLOAT", 1, 4);
        StatefulRedisConnection<String, String> spinner = client.connect();
        spinner.sync().clientSetname("spinner");
        RedisFuture<String> looping = Ai.statusAsync(spinner, "AI.SCRIPTEXECUTE", "s", "spin",
                "INPUTS", 1, "x", "OUTPUTS", 1, "never");
        Await.dispatched(c, "spinner", "AI.SCRIPTEXECUTE");
        RedisFuture<String> behind = Ai.statusAsync(client.connect(), "AI.MODELEXECUTE", "m", "INPUTS", 1, "x",
                "OUTPUTS", 1, "y");
        ExecutionException failure = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> looping.get(30, TimeUnit.SECONDS));
        assertTrue(failure.getCause() instanceof RedisCommandExecutionException
                && failure.getCause().getMessage().startsWith("ERR run exceeded model-execution-timeout (500 ms)"),
                String.valueOf(failure.getCause()));
        assertEquals("OK", behind.get(30, TimeUnit.SECONDS), "the run queued behind it is served by a new worker");
        assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", "m", "INPUTS", 1, "x", "OUTPUTS", 1, "y"));
        assertEquals(0L, c.sync().exists("never"));
        List<Object> info = Ai.array(c, "AI.INFO", "s");
        assertEquals(1L, info.get(info.indexOf("errors") + 1));
    }

    /**
     * A script's thread the watchdog gave up on is still inside libtorch at SHUTDOWN: the stop does not wait
     * shutdown-timeout for it (its client was answered), saves what was written, and the process exits 0 rather than
     * crash on its way out (the C library's exit would run libtorch's static destructors under that thread).
     */
    @Test
    void aStopWithAScriptStuckInTheEngineSavesAndExitsCleanly() throws Exception {
        StatefulRedisConnection<String, String> c = client.connect();
        Ai.status(c, "AI.SCRIPTSTORE", "s", "CPU", "ENTRY_POINTS", 1, "spin", "SOURCE", SPIN_SCRIPT);
        Ai.status(c, "AI.TENSORSET", "x", "FLOAT", 1, 4, "VALUES", 1, 2, 3, 4);
        RedisCommandExecutionException abandoned = org.junit.jupiter.api.Assertions.assertThrows(
                RedisCommandExecutionException.class,
                () -> Ai.status(c, "AI.SCRIPTEXECUTE", "s", "spin", "INPUTS", 1, "x", "OUTPUTS", 1, "never"));
        assertTrue(abandoned.getMessage().startsWith("ERR run exceeded model-execution-timeout"), abandoned.getMessage());
        assertEquals(1L, Await.info(c, "ai_abandoned_threads"));
        c.sync().set("written", "after the stuck run");
        RedisCli.run(port, "SHUTDOWN", "SAVE");
        assertEquals(0, server.exitCode(), server.output());
        assertFalse(server.output().contains("runs still in flight"), server.output());
        assertTrue(server.output().contains("exiting without the engines' exit handlers"), server.output());
        try (ServerProcess restarted = ServerProcess.start("--dir", dir.toString(), "--save", "")) {
            RedisClient again = RedisClient.create(RedisURI.create("127.0.0.1", restarted.port()));
            StatefulRedisConnection<String, String> after = again.connect();
            assertEquals("after the stuck run", after.sync().get("written"));
            assertEquals(List.of(1.0, 2.0, 3.0, 4.0), Ai.array(after, "AI.TENSORGET", "x", "VALUES").stream()
                    .map(v -> Double.valueOf(v.toString())).toList());
            again.shutdown();
        }
    }

    @Test
    void aClientThatLeavesMidRunTakesOnlyItsOwnRun() throws Exception {
        StatefulRedisConnection<String, String> c = client.connect();
        TestModels.store(c, "cnn", "mnist_cnn.pt");
        Ai.status(c, "AI.TENSORSET", "big", "FLOAT", 6000, 1, 28, 28);
        try (RawConnection leaver = new RawConnection(port)) {
            leaver.send(RawConnection.command("AI.MODELEXECUTE", "cnn", "INPUTS", "1", "big", "OUTPUTS", "1", "gone")
                    + RawConnection.command("AI.MODELEXECUTE", "cnn", "INPUTS", "1", "big", "OUTPUTS", "1", "gone2"));
        }
        Ai.status(c, "AI.TENSORSET", "img", "FLOAT", 1, 1, 28, 28);
        assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", "cnn", "INPUTS", 1, "img", "OUTPUTS", 1, "mine"));
        assertEquals(List.of(1L, 10L), Ai.array(c, "AI.TENSORGET", "mine", "META").get(3));
        // the leaver's runs ended before this one (one queue, in order): no event loop awaits them any more (one
        // that did would poll for replies that never come, LoopSpin)
        Await.until(() -> Await.info(c, "ai_awaited_runs") == 0, "no reply awaited");
        assertEquals("PONG", c.sync().ping());
    }

    /**
     * An ONNX run over the limit is stopped inside ONNX Runtime (its terminate flag), so its thread comes back: the
     * model is not quarantined and runs again. A full run of slow.onnx on this input (64 MatMuls) takes minutes.
     */
    @Test
    void anOnnxRunOverTheLimitIsStoppedAndItsThreadComesBack() throws Exception {
        StatefulRedisConnection<String, String> c = client.connect();
        TestModels.store(c, "slow", "slow.onnx");
        Ai.status(c, "AI.TENSORSET", "square", "FLOAT", 4096, 4096); // ~137 GFLOP per MatMul
        for (int attempt = 0; attempt < 3; attempt++) { // more than the quarantine's two: stopped runs do not count
            RedisCommandExecutionException stopped = org.junit.jupiter.api.Assertions.assertThrows(
                    RedisCommandExecutionException.class,
                    () -> Ai.status(c, "AI.MODELEXECUTE", "slow", "INPUTS", 1, "square", "OUTPUTS", 1, "never"));
            assertTrue(stopped.getMessage().startsWith("ERR run exceeded model-execution-timeout"),
                    stopped.getMessage());
            Await.until(() -> Await.info(c, "ai_abandoned_threads") == 0, "ONNX Runtime stopped the run");
        }
        Ai.status(c, "AI.TENSORSET", "tiny", "FLOAT", 2, 2, "VALUES", 1, 0, 0, 1);
        assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", "slow", "INPUTS", 1, "tiny", "OUTPUTS", 1, "identity"));
        assertEquals(0L, c.sync().exists("never"));
    }

    /**
     * An ONNX kernel that looks at no stop flag (long_kernel.onnx: one NonMaxSuppression comparing 80,000 boxes, some
     * 2 s here) is asked to stop and keeps its thread: still inside a limit later, it counts toward quarantine as a
     * TorchScript call does, so a model built to hold threads cannot take every worker of the device.
     */
    @Test
    void anOnnxKernelThatDoesNotStopWhenAskedIsQuarantinedAfterTwoRuns() throws Exception {
        StatefulRedisConnection<String, String> c = client.connect();
        TestModels.store(c, "long", "long_kernel.onnx");
        Ai.status(c, "AI.TENSORSET", "few", "FLOAT", 1, "VALUES", 3);
        assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", "long", "INPUTS", 1, "few", "OUTPUTS", 1, "kept"));
        assertEquals(List.of(3L, 3L), Ai.array(c, "AI.TENSORGET", "kept", "VALUES"));
        Ai.status(c, "AI.TENSORSET", "many", "FLOAT", 1, "VALUES", 80_000);
        assertEquals("OK", c.sync().configSet("model-execution-timeout", "100"));
        for (int run = 0; run < 2; run++) {
            RedisCommandExecutionException overdue = org.junit.jupiter.api.Assertions.assertThrows(
                    RedisCommandExecutionException.class,
                    () -> Ai.status(c, "AI.MODELEXECUTE", "long", "INPUTS", 1, "many", "OUTPUTS", 1, "never"));
            assertTrue(overdue.getMessage().startsWith("ERR run exceeded model-execution-timeout (100 ms)"),
                    overdue.getMessage());
        }
        assertEquals("OK", c.sync().configSet("model-execution-timeout", "500"));
        Await.until(() -> Await.info(c, "ai_abandoned_threads") == 0, "the kernels came back on their own");
        RedisCommandExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(
                RedisCommandExecutionException.class,
                () -> Ai.status(c, "AI.MODELEXECUTE", "long", "INPUTS", 1, "few", "OUTPUTS", 1, "kept"));
        assertEquals("ERR 'long' is quarantined: 2 of its runs exceeded model-execution-timeout and could not be "
                + "stopped; store it again to use it", refused.getMessage());
        assertEquals(0L, c.sync().exists("never"));
        TestModels.store(c, "long", "long_kernel.onnx");
        assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", "long", "INPUTS", 1, "few", "OUTPUTS", 1, "kept"));
    }
}
