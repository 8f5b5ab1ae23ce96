package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.protocol.ProtocolVersion;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Broken and oversized requests get an error (or a closed connection); the server stays up and small. */
class BadInputIT {
    @RegisterExtension
    static final RunningServer server = new RunningServer("--proto-max-bulk-len", "8mb");

    private static void assertServerHealthy() {
        RedisCommands<String, String> redis = server.connect(ProtocolVersion.RESP2).sync();
        assertEquals("PONG", redis.ping());
        assertEquals("OK", redis.set("health", "ok"));
        assertEquals("ok", redis.get("health"));
    }


    private static void expectProtocolErrorAndClose(String wire) throws Exception {
        try (RawConnection raw = new RawConnection(server.port())) {
            raw.send(wire);
            String line = raw.readLine();
            assertTrue(line.startsWith("-ERR Protocol error: "), line);
            assertTrue(!line.contains("java.") && !line.contains("Exception"), "no Java exception text: " + line);
            assertTrue(raw.closedByServer(), "connection closed after " + line);
        }
    }

    /** What Redis answers PONG to, so do we: blank lines, a bare LF, multibulk headers announcing nothing. */
    @Test
    void redisLenienciesGetPong() throws Exception {
        for (String wire : List.of("\r\n\r\n\n\nPING\r\n", "PING\n", "*-5\r\nPING\r\n", "*0\r\nPING\r\n",
                "*-5\r\n*1\r\n$4\r\nPING\r\n", "*-1\r\n\nPING\n")) {
            try (RawConnection raw = new RawConnection(server.port())) {
                raw.send(wire);
                assertEquals("+PONG", raw.readLine(), wire);
            }
        }
        try (RawConnection raw = new RawConnection(server.port())) { // as Redis: not '*', so an inline command
            raw.send("$4\r\nPING\r\n");
            assertEquals("-ERR unknown command '$4', with args beginning with: ", raw.readLine());
            assertEquals("+PONG", raw.readLine());
        }
        try (RawConnection raw = new RawConnection(server.port())) { // cut between reads
            for (String part : List.of("\r", "\n*-", "5\r", "\nPI", "NG", "\n")) {
                raw.send(part);
            }
            assertEquals("+PONG", raw.readLine());
        }
    }

    @Test
    void brokenFramingClosesOnlyThatConnection() throws Exception {
        expectProtocolErrorAndClose("*1\r\n$x\r\nPING\r\n");
        expectProtocolErrorAndClose("*2\r\n*1\r\n$1\r\na\r\n");
        expectProtocolErrorAndClose("*1\r\n:12\r\n");
        expectProtocolErrorAndClose("SET k \"unbalanced\r\n");
        assertServerHealthy();
    }

    @Test
    void oversizedHeadersAreRefusedBeforeAnyPayload() throws Exception {
        long before = UsedMemory.bytes();
        expectProtocolErrorAndClose("*2\r\n$4\r\nECHO\r\n$" + (9 << 20) + "\r\nonly-a-few-bytes");
        expectProtocolErrorAndClose("*2000000000\r\n");
        expectProtocolErrorAndClose("*2\r\n$4\r\nECHO\r\n$99999999999\r\n");
        assertServerHealthy();
        assertTrue(UsedMemory.bytes() - before < 64 << 20, "memory stayed flat");
    }

    @Test
    void badTensorRequestsAreErrorsOnALiveConnection() throws Exception {
        long before = UsedMemory.bytes();
        try (RawConnection raw = new RawConnection(server.port())) {
            String[][] requests = {
                {"AI.TENSORSET", "t", "FLOAT", "2", "VALUES", "1", "2", "3"},
                {"AI.TENSORSET", "t", "FLOAT", "0"},
                {"AI.TENSORSET", "t", "FLOAT", "-1", "VALUES", "1"},
                {"AI.TENSORSET", "t", "COMPLEX64", "2"},
                {"AI.TENSORSET", "t", "FLOAT", "1000000000"},
                {"AI.TENSORSET", "t", "FLOAT", "1000000000", "VALUES", "1"},
                {"AI.TENSORSET", "t", "FLOAT", "1000000000", "BLOB", "abcd"},
            };
            String[] errors = {
                "-ERR wrong number of values was given in 'AI.TENSORSET' command",
                "-ERR invalid or negative value found in tensor shape",
                "-ERR invalid or negative value found in tensor shape",
                "-ERR invalid data type",
                "-ERR tensor of 4000000000 bytes exceeds proto-max-bulk-len (8388608 bytes)",
                "-ERR wrong number of values was given in 'AI.TENSORSET' command",
                "-ERR data length does not match tensor shape and type: FLOAT 1000000000 takes 4000000000 bytes, the"
                        + " BLOB has 4",
            };
            for (int i = 0; i < requests.length; i++) {
                raw.send(RawConnection.command(requests[i]));
                assertEquals(errors[i], raw.readLine(), String.join(" ", requests[i]));
            }
            raw.send(RawConnection.command("EXISTS", "t"));
            assertEquals(":0", raw.readLine());
        }
        assertServerHealthy();
        assertTrue(UsedMemory.bytes() - before < 64 << 20, "memory stayed flat");
    }

    @Test
    void aClientThatLeavesMidRequestLeavesNothingBehind() throws Exception {
        long before = UsedMemory.bytes();
        for (int i = 0; i < 20; i++) {
            try (RawConnection raw = new RawConnection(server.port())) {
                raw.send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + (4 << 20) + "\r\n");
                raw.send(new byte[2 << 20]); // half the value, then hang up
            }
        }
        assertServerHealthy();
        Await.until(() -> UsedMemory.bytes() - before < 64 << 20, "partial requests were released");
    }
}
