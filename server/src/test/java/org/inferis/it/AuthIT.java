package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.protocol.ProtocolVersion;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** requirepass, AUTH, HELLO AUTH and RESET, with a raw socket, Lettuce and redis-cli. */
class AuthIT {
    @RegisterExtension
    static final RunningServer server = new RunningServer("--requirepass", "s3cret");

    /** Redis 7's limits before AUTH: nobody can make the server buffer large requests without the password. */
    @Test
    void unauthenticatedClientsCannotSendLargeRequests() throws Exception {
        long before = UsedMemory.bytes();
        for (String wire : List.of("*11\r\n", "*2\r\n$4\r\nECHO\r\n$" + (200 << 20) + "\r\n" + "x".repeat(100_000))) {
            try (RawConnection raw = new RawConnection(server.port())) {
                raw.send(wire);
                String line = raw.readLine();
                assertTrue(line.startsWith("-ERR Protocol error: unauthenticated "), line);
                assertTrue(raw.closedByServer(), "closed after " + line);
            }
        }
        assertTrue(UsedMemory.bytes() - before < 64 << 20, "nothing large was buffered");
        try (RawConnection raw = new RawConnection(server.port())) {
            raw.send(RawConnection.command("AUTH", "s3cret"));
            assertEquals("+OK", raw.readLine());
            String big = "y".repeat(100_000);
            raw.send(RawConnection.command("ECHO", big));
            assertEquals("$100000", raw.readLine(), "after AUTH the usual limits apply");
            assertEquals(big, raw.readLine());
        }
    }

    @Test
    void onlyAuthHelloAndQuitPassBeforeAuthentication() throws Exception {
        try (RawConnection raw = new RawConnection(server.port())) {
            raw.send(RawConnection.command("GET", "x"));
            assertEquals("-NOAUTH Authentication required.", raw.readLine());
            raw.send(RawConnection.command("AI.TENSORGET", "x"));
            assertEquals("-NOAUTH Authentication required.", raw.readLine());
            raw.send(RawConnection.command("HELLO", "3"));
            assertTrue(raw.readLine().startsWith("-NOAUTH HELLO must be called with the client already authenticated"));
            raw.send(RawConnection.command("AUTH", "wrong"));
            assertEquals("-WRONGPASS invalid username-password pair or user is disabled.", raw.readLine());
            raw.send(RawConnection.command("AUTH", "someone", "s3cret"));
            assertEquals("-WRONGPASS invalid username-password pair or user is disabled.", raw.readLine());
            raw.send(RawConnection.command("AUTH", "s3cret"));
            assertEquals("+OK", raw.readLine());
            raw.send(RawConnection.command("GET", "x"));
            assertEquals("$-1", raw.readLine());
            raw.send(RawConnection.command("RESET"));
            assertEquals("+RESET", raw.readLine());
            raw.send(RawConnection.command("GET", "x"));
            assertEquals("-NOAUTH Authentication required.", raw.readLine(), "RESET forgets the authentication");
            raw.send(RawConnection.command("HELLO", "2", "AUTH", "default", "s3cret", "SETNAME", "me"));
            assertEquals("*14", raw.readLine());
            for (int i = 0; i < 25; i++) {
                raw.readLine();
            }
            raw.send(RawConnection.command("CLIENT", "GETNAME"));
            assertEquals("$2", raw.readLine());
            assertEquals("me", raw.readLine());
            raw.send(RawConnection.command("QUIT"));
            assertEquals("+OK", raw.readLine());
        }
    }

    @ParameterizedTest
    @EnumSource(ProtocolVersion.class)
    void lettuceAuthenticatesWithThePassword(ProtocolVersion protocol) {
        var redis = server.client(protocol, "s3cret").connect().sync();
        assertEquals("OK", redis.set("a", "b"));
        assertEquals("b", redis.get("a"));
    }

    @Test
    void redisCliAuthenticatesWithThePassword() throws Exception {
        assertEquals("PONG", RedisCli.run(server.port(), "--no-auth-warning", "-a", "s3cret", "PING").trim());
        assertTrue(RedisCli.run(server.port(), "PING").contains("NOAUTH"));
    }
}
