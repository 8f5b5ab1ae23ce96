package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Failures stay with their own request: a script that never returns, a client that leaves mid-run.
 * Runs a server process of its own, since a looping script's thread cannot be stopped short of the process.
 */
class FaultIsolationIT {
    private static final Path LAUNCHER = Path.of(System.getProperty("inferis.home", ".."), "bin", "inferis-server");
    private Process process;
    private RedisClient client;
    private int port;

    @BeforeEach
    void launch() throws Exception {
        port = FreePorts.next();
        process = new ProcessBuilder(LAUNCHER.toString(), "--port", Integer.toString(port),
                "--model-execution-timeout", "500").redirectErrorStream(true).start();
        BufferedReader output = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = output.readLine()) != null; ) {
            if (line.contains("Engines started")) {
                break;
            }
        }
        Thread drain = new Thread(() -> {
            try {
                output.transferTo(java.io.Writer.nullWriter());
            } catch (java.io.IOException e) {
                // the process ended
            }
        });
        drain.setDaemon(true);
        drain.start();
        client = RedisClient.create(RedisURI.create("127.0.0.1", port));
    }

    @AfterEach
    void stop() throws Exception {
        client.shutdown();
        new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).start().waitFor();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aScriptThatNeverReturnsFailsAloneAndTheDeviceGoesOn() throws Exception {
        StatefulRedisConnection<String, String> c = client.connect();
        assertEquals("OK", Ai.status(c, "AI.SCRIPTSTORE", "s", "CPU", "ENTRY_POINTS", 1, "spin", "SOURCE", String.join("\n",
                "def spin(tensors: List[Tensor], keys: List[str], args: List[str]):",
                "    i = 0",
                "    while i >= 0:",
                "        i = i + 1",
                "    return tensors[0]", "")));
        TestModels.store(c, "m", "linear_relu.onnx");
        Ai.status(c, "AI.TENSORSET", "x", "FLOAT", 1, 4);
        RedisFuture<String> looping = Ai.statusAsync(client.connect(), "AI.SCRIPTEXECUTE", "s", "spin",
                "INPUTS", 1, "x", "OUTPUTS", 1, "never");
        Thread.sleep(100);
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
        assertEquals("PONG", c.sync().ping());
    }
}
