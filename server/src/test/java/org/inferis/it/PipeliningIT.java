package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Pipelined requests are answered strictly in order, including behind a reply that completes later. */
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
}
