package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Hostile clients: ones that never read their replies, and 10,000 random and mutated frames. */
class RobustnessIT {
    @RegisterExtension
    static final RunningServer server = new RunningServer("--client-output-buffer-limit", "1mb");


    @Test
    void aClientThatNeverReadsIsDisconnectedAtTheOutputLimit() throws Exception {
        StatefulRedisConnection<String, String> c = server.connect(ProtocolVersion.RESP2);
        c.sync().set("big", "x".repeat(100_000));
        try (Socket sleeper = new Socket()) {
            sleeper.setReceiveBufferSize(4096);
            sleeper.connect(new InetSocketAddress("127.0.0.1", server.port()));
            String address = "127.0.0.1:" + sleeper.getLocalPort();
            OutputStream out = sleeper.getOutputStream();
            byte[] get = RawConnection.command("GET", "big").getBytes(StandardCharsets.US_ASCII);
            try {
                for (int i = 0; i < 500; i++) {
                    out.write(get); // 50 MB of replies that are never read
                }
            } catch (IOException closed) {
                // the server may already have hung up
            }
            Await.until(() -> !c.sync().clientList().contains("addr=" + address), "the sleeping client was disconnected");
        }
        assertEquals("PONG", c.sync().ping());
    }

    /** A MONITOR that never reads is cut off at client-output-buffer-limit; others' writes go on meanwhile. */
    @Test
    void aMonitorThatNeverReadsIsDisconnectedAtTheOutputLimit() throws Exception {
        StatefulRedisConnection<String, String> c = server.connect(ProtocolVersion.RESP2);
        long before = UsedMemory.bytes();
        try (Socket monitor = new Socket()) {
            monitor.setReceiveBufferSize(4096);
            monitor.connect(new InetSocketAddress("127.0.0.1", server.port()));
            String address = "127.0.0.1:" + monitor.getLocalPort();
            monitor.getOutputStream().write(RawConnection.command("MONITOR").getBytes(StandardCharsets.US_ASCII));
            Await.until(() -> c.sync().clientList().contains("addr=" + address), "the monitor connected");
            String value = "v".repeat(100_000);
            for (int i = 0; i < 300 && c.sync().clientList().contains("addr=" + address); i++) {
                c.sync().set("watched", value); // 30 MB of monitor lines if it were never cut off
            }
            Await.until(() -> !c.sync().clientList().contains("addr=" + address), "the monitor was disconnected");
        }
        assertEquals("PONG", c.sync().ping());
        assertTrue(UsedMemory.bytes() - before < 64 << 20, "the unread lines were dropped with their client");
    }


    private static final List<String[]> COMMANDS = List.of(
            new String[] {"SET", "k", "v"}, new String[] {"GET", "k"}, new String[] {"PING"},
            new String[] {"LPUSH", "q", "a", "b"}, new String[] {"RPOP", "q"}, new String[] {"INCR", "n"},
            new String[] {"AI.TENSORSET", "t", "FLOAT", "2", "2", "VALUES", "1", "2", "3", "4"},
            new String[] {"AI.TENSORGET", "t", "META", "VALUES"}, new String[] {"EXPIRE", "k", "100"},
            new String[] {"AI.TENSORSET", "u", "INT8", "3", "BLOB", "abc"}, new String[] {"SCAN", "0", "COUNT", "5"},
            new String[] {"HELLO", "3"}, new String[] {"ECHO", "hi"}, new String[] {"MGET", "k", "n", "q"},
            new String[] {"BRPOP", "empty", "0.01"}, new String[] {"DEL", "k", "q"});

    /** A valid frame, then perhaps mutated: bytes flipped, cut short, or lengths and counts changed. */
    private static byte[] frame(Random random) {
        if (random.nextInt(10) == 0) {
            byte[] garbage = new byte[random.nextInt(64)];
            random.nextBytes(garbage);
            return garbage;
        }
        String[] command = COMMANDS.get(random.nextInt(COMMANDS.size())).clone();
        for (int i = 1; i < command.length; i++) {
            if (random.nextInt(8) == 0) {
                command[i] = Long.toString(random.nextLong() % 1_000_000_000L);
            }
        }
        byte[] bytes = RawConnection.command(command).getBytes(StandardCharsets.ISO_8859_1);
        switch (random.nextInt(6)) {
            case 0 -> bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
            case 1 -> bytes = java.util.Arrays.copyOf(bytes, random.nextInt(bytes.length) + 1);
            case 2 -> bytes = new String(bytes, StandardCharsets.ISO_8859_1)
                    .replaceFirst("\\$\\d+", "\\$" + random.nextInt(100_000_000)).getBytes(StandardCharsets.ISO_8859_1);
            case 3 -> bytes = new String(bytes, StandardCharsets.ISO_8859_1)
                    .replaceFirst("\\*\\d+", "*" + (random.nextInt(3) == 0 ? -5 : random.nextInt(2_000_000_000)))
                    .getBytes(StandardCharsets.ISO_8859_1);
            default -> { } // left valid
        }
        return bytes;
    }

    @Test
    void tenThousandRandomAndMutatedFramesLeaveTheServerServingAndSmall() throws Exception {
        StatefulRedisConnection<String, String> c = server.connect(ProtocolVersion.RESP2);
        long before = UsedMemory.bytes();
        Random random = new Random(20261121);
        long deadline = System.currentTimeMillis() + 60_000;
        int frames = 0;
        while (frames < 10_000 && System.currentTimeMillis() < deadline) {
            try (Socket socket = new Socket("127.0.0.1", server.port())) {
                socket.setSoTimeout(200);
                OutputStream out = socket.getOutputStream();
                ByteArrayOutputStream batch = new ByteArrayOutputStream();
                for (int i = 0; i < 50 && frames < 10_000; i++, frames++) {
                    batch.writeBytes(frame(random));
                }
                try {
                    out.write(batch.toByteArray());
                    socket.getInputStream().read(new byte[65536]); // take some replies; whatever came back
                } catch (IOException closedOrSilent) {
                    // broken framing closes the connection; an incomplete frame leaves the server waiting
                }
            }
        }
        assertEquals(10_000, frames, "all frames were sent within the time bound");
        assertEquals("PONG", c.sync().ping());
        assertEquals("OK", c.sync().set("after", "fuzz"));
        assertEquals("fuzz", c.sync().get("after"));
        assertEquals("OK", Ai.status(c, "AI.TENSORSET", "sane", "FLOAT", 2, "VALUES", 1.5, 2.5));
        assertEquals(List.of("1.5", "2.5"), Ai.array(c, "AI.TENSORGET", "sane", "VALUES"));
        Await.until(() -> UsedMemory.bytes() - before < 64L << 20, "memory is back near where it was");
    }
}
