package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.inferis.backend.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Pipelined requests are answered strictly in order, including behind a reply that completes later; pipelined runs
 * of one connection batch together unless one needs another's outputs.
 */
class PipeliningIT {
    @RegisterExtension
    static final RunningServer server = new RunningServer();

    @Test
    void tenThousandMixedCommandsInOneWrite() throws Exception {
        int rounds = 2000; // five commands a round
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        for (int i = 0; i < rounds; i++) {
            wire.writeBytes(RawConnection.command("SET", "k" + i, "v" + i).getBytes(StandardCharsets.US_ASCII));
            wire.writeBytes(RawConnection.command("INCR", "counter").getBytes(StandardCharsets.US_ASCII));
            wire.writeBytes(RawConnection.command("AI.TENSORSET", "t" + i, "INT32", "2", "VALUES",
                    Integer.toString(i), Integer.toString(-i)).getBytes(StandardCharsets.US_ASCII));
            wire.writeBytes(RawConnection.command("AI.TENSORGET", "t" + i, "VALUES").getBytes(StandardCharsets.US_ASCII));
            wire.writeBytes(("GET k" + i + "\r\n").getBytes(StandardCharsets.US_ASCII)); // inline, between multibulks
        }
        try (RawConnection raw = new RawConnection(server.port())) {
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    raw.send(wire.toByteArray());
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            for (int i = 0; i < rounds; i++) {
                assertEquals("+OK", raw.readLine());
                assertEquals(":" + (i + 1), raw.readLine());
                assertEquals("+OK", raw.readLine());
                assertEquals("*2", raw.readLine());
                assertEquals(":" + i, raw.readLine());
                assertEquals(":" + (-i), raw.readLine());
                assertEquals("$" + ("v" + i).length(), raw.readLine());
                assertEquals("v" + i, raw.readLine());
            }
            writer.get();
        }
    }

    @Test
    void commandsBehindABlockedPopWaitForItsReply() throws Exception {
        try (RawConnection raw = new RawConnection(server.port())) {
            raw.send(RawConnection.command("BRPOP", "pipeline-queue", "5")
                    + RawConnection.command("PING")
                    + RawConnection.command("LLEN", "pipeline-queue"));
            StatefulRedisConnection<String, String> pusher = server.connect(ProtocolVersion.RESP2);
            Await.blocked(pusher, 1);
            pusher.sync().lpush("pipeline-queue", "job");
            assertEquals("*2", raw.readLine());
            assertEquals("$14", raw.readLine());
            assertEquals("pipeline-queue", raw.readLine());
            assertEquals("$3", raw.readLine());
            assertEquals("job", raw.readLine());
            assertEquals("+PONG", raw.readLine());
            assertEquals(":0", raw.readLine());
        }
    }

    @Test
    void aTimedOutPopAnswersNilThenTheRest() throws Exception {
        try (RawConnection raw = new RawConnection(server.port())) {
            raw.send(RawConnection.command("BRPOP", "never", "0.2") + RawConnection.command("ECHO", "after"));
            assertEquals("*-1", raw.readLine());
            assertEquals("$5", raw.readLine());
            assertEquals("after", raw.readLine());
        }
    }

    @Test
    void runsPipelinedOnOneConnectionBatchTogether() throws Exception {
        StatefulRedisConnection<String, String> c = server.connect(ProtocolVersion.RESP2);
        // the batch is held until 16 samples wait: only runs started while the earlier ones pend can make it
        Ai.status(c, "AI.MODELSTORE", "pipelined", "TORCH", "CPU", "BATCHSIZE", 16, "MINBATCHSIZE", 16,
                "MINBATCHTIMEOUT", 20000, "BLOB", Fixtures.model("linear_relu.pt"));
        Ai.status(c, "AI.MODELSTORE", "alone", "TORCH", "CPU", "BLOB", Fixtures.model("linear_relu.pt"));
        List<Object[]> runs = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            Ai.status(c, "AI.TENSORSET", "pin" + i, "FLOAT", 1, 4, "VALUES", i, -i, i * 0.5, 1);
            runs.add(new Object[] {"AI.MODELEXECUTE", "pipelined", "INPUTS", 1, "pin" + i, "OUTPUTS", 1, "pout" + i});
        }
        for (RedisFuture<String> reply : Ai.pipelined(c, runs)) {
            assertEquals("OK", reply.get(30, TimeUnit.SECONDS));
        }
        List<Object> info = Ai.array(c, "AI.INFO", "pipelined", "EXTENDED");
        assertEquals(1L, info.get(info.indexOf("batches") + 1), "16 pipelined runs, one batch");
        for (int i = 0; i < 16; i++) {
            Ai.status(c, "AI.MODELEXECUTE", "alone", "INPUTS", 1, "pin" + i, "OUTPUTS", 1, "expected" + i);
            assertEquals(Ai.array(c, "AI.TENSORGET", "expected" + i, "VALUES"),
                    Ai.array(c, "AI.TENSORGET", "pout" + i, "VALUES"), "each client gets its own row");
        }
    }

    @Test
    void aPipelinedCommandSeesTheWritesOfTheRunsBeforeIt() throws Exception {
        StatefulRedisConnection<String, String> c = server.connect(ProtocolVersion.RESP2);
        Ai.status(c, "AI.MODELSTORE", "chain", "TORCH", "CPU", "BLOB", Fixtures.model("add_mul.pt"));
        Ai.status(c, "AI.TENSORSET", "a", "FLOAT", 2, "VALUES", 1, 2);
        Ai.status(c, "AI.TENSORSET", "b", "FLOAT", 2, "VALUES", 3, 4);
        try (RawConnection raw = new RawConnection(server.port())) {
            // add_mul: sum = x + y, product = x * y
            raw.send(RawConnection.command("AI.MODELEXECUTE", "chain", "INPUTS", "2", "a", "b", "OUTPUTS", "2", "s", "p")
                    // reads s and p, which the run before writes: it waits for that run
                    + RawConnection.command("AI.MODELEXECUTE", "chain", "INPUTS", "2", "s", "p", "OUTPUTS", "2", "s2", "p2")
                    // writes s, which the first run writes too: this write must be the last
                    + RawConnection.command("AI.MODELEXECUTE", "chain", "INPUTS", "2", "b", "b", "OUTPUTS", "2", "s", "p3")
                    + RawConnection.command("AI.TENSORGET", "s2", "VALUES")
                    + RawConnection.command("AI.TENSORGET", "s", "VALUES"));
            for (int i = 0; i < 3; i++) {
                assertEquals("+OK", raw.readLine());
            }
            assertEquals(List.of("*2", "$1", "7", "$2", "14"), lines(raw, 5), "s + p of the first run");
            assertEquals(List.of("*2", "$1", "6", "$1", "8"), lines(raw, 5), "b + b: the last write of s");
        }
    }

    private static List<String> lines(RawConnection raw, int count) throws java.io.IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            lines.add(raw.readLine());
        }
        return lines;
    }
}
