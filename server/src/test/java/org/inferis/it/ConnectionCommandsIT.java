package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.KillArgs;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.protocol.ProtocolVersion;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** PING ECHO HELLO SELECT CLIENT COMMAND QUIT RESET and unknown commands, over RESP2 and RESP3. */
class ConnectionCommandsIT {
    @RegisterExtension
    static final RunningServer server = new RunningServer();

    @ParameterizedTest
    @EnumSource(ProtocolVersion.class)
    void pingEchoAndSelect(ProtocolVersion protocol) {
        RedisCommands<String, String> redis = server.connect(protocol).sync();
        assertEquals("PONG", redis.ping());
        assertEquals("hello", redis.echo("hello"));
        assertEquals("OK", redis.select(0));
        RedisCommandExecutionException e = assertThrows(RedisCommandExecutionException.class, () -> redis.select(1));
        assertEquals("ERR DB index is out of range", e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(ProtocolVersion.class)
    void helloReportsTheNegotiatedProtocol(ProtocolVersion protocol) {
        StatefulRedisConnection<String, String> c = server.connect(protocol);
        List<Object> hello = Ai.array(c, "HELLO", protocol == ProtocolVersion.RESP3 ? 3 : 2);
        int proto = hello.indexOf("proto");
        assertEquals(protocol == ProtocolVersion.RESP3 ? 3L : 2L, hello.get(proto + 1));
        assertEquals("redis", hello.get(hello.indexOf("server") + 1));
        assertEquals("standalone", hello.get(hello.indexOf("mode") + 1));
        RedisCommandExecutionException e = assertThrows(RedisCommandExecutionException.class,
                () -> Ai.array(c, "HELLO", 4));
        assertEquals("NOPROTO unsupported protocol version", e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(ProtocolVersion.class)
    void clientNamesIdsAndLists(ProtocolVersion protocol) {
        RedisCommands<String, String> redis = server.connect(protocol).sync();
        assertNull(redis.clientGetname());
        assertEquals("OK", redis.clientSetname("worker-1"));
        assertEquals("worker-1", redis.clientGetname());
        long id = redis.clientId();
        String list = redis.clientList();
        assertTrue(list.contains("id=" + id + " "), list);
        assertTrue(list.contains("name=worker-1 "), list);
        assertTrue(list.contains("lib-name=Lettuce"), "Lettuce's CLIENT SETINFO is recorded: " + list);
        String info = redis.clientInfo();
        assertTrue(info.startsWith("id=" + id + " "), info);
        assertTrue(info.contains("resp=" + (protocol == ProtocolVersion.RESP3 ? 3 : 2)), info);
        assertThrows(RedisCommandExecutionException.class, () -> redis.clientSetname("has space"));
    }

    @Test
    void clientKillClosesTheOtherConnection() {
        RedisCommands<String, String> killer = server.connect(ProtocolVersion.RESP2).sync();
        StatefulRedisConnection<String, String> victim = server.connect(ProtocolVersion.RESP2);
        long victimId = victim.sync().clientId();
        assertEquals(1L, killer.clientKill(KillArgs.Builder.id(victimId)));
        assertEquals(0L, killer.clientKill(KillArgs.Builder.id(victimId)));
        RedisCommandExecutionException e = assertThrows(RedisCommandExecutionException.class,
                () -> killer.clientKill("10.9.9.9:1"));
        assertEquals("ERR No such client", e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(ProtocolVersion.class)
    void commandIntrospection(ProtocolVersion protocol) {
        StatefulRedisConnection<String, String> c = server.connect(protocol);
        long count = c.sync().commandCount();
        assertTrue(count >= 40, "commands: " + count);
        List<Object> info = c.sync().commandInfo("get", "ai.tensorset", "nosuchcommand");
        List<?> get = (List<?>) info.get(0);
        assertEquals("get", get.get(0));
        assertEquals(2L, get.get(1));
        assertTrue(((java.util.Collection<?>) get.get(2)).contains("readonly"));
        assertEquals(1L, get.get(3));
        List<?> tensorSet = (List<?>) info.get(1);
        assertEquals("ai.tensorset", tensorSet.get(0));
        assertEquals(-4L, tensorSet.get(1));
        assertNull(info.get(2));
        assertEquals(count, c.sync().command().size());

        List<Object> flat = Ai.array(server.connect(ProtocolVersion.RESP2), "COMMAND", "DOCS", "ping");
        assertEquals("ping", flat.get(0));
        List<?> doc = (List<?>) flat.get(1);
        assertEquals("connection", doc.get(doc.indexOf("group") + 1));
    }

    @Test
    void unknownCommandsAndWrongArityAreErrorsAsInRedis() {
        StatefulRedisConnection<String, String> c = server.connect(ProtocolVersion.RESP2);
        RedisCommandExecutionException unknown = assertThrows(RedisCommandExecutionException.class,
                () -> Ai.status(c, "NOSUCH", "a", "b"));
        assertEquals("ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' ", unknown.getMessage());
        RedisCommandExecutionException arity = assertThrows(RedisCommandExecutionException.class,
                () -> Ai.status(c, "GET"));
        assertEquals("ERR wrong number of arguments for 'get' command", arity.getMessage());
        RedisCommandExecutionException aiArity = assertThrows(RedisCommandExecutionException.class,
                () -> Ai.status(c, "AI.TENSORSET", "k", "FLOAT"));
        assertEquals("ERR wrong number of arguments for 'AI.TENSORSET' command", aiArity.getMessage());
        assertEquals("PONG", c.sync().ping(), "the connection stays usable");
    }

    @Test
    void commandNamesAreFoundInAnyCaseAndNearMissesAreUnknown() {
        StatefulRedisConnection<String, String> c = server.connect(ProtocolVersion.RESP2);
        assertEquals("OK", Ai.status(c, "sEt", "case", "1"));
        assertEquals("OK", Ai.status(c, "ai.TensorSet", "t", "FLOAT", "1", "VALUES", "2"));
        assertEquals("FLOAT", Ai.array(c, "Ai.TensorGet", "t", "META").get(1));
        for (String nearMiss : List.of("SE", "SETT", "SEX", "AI.TENSORSE", "AI.TENSORSETS", "AI_TENSORSET", "S.T",
                "ai.tensorset".repeat(6))) {
            RedisCommandExecutionException unknown = assertThrows(RedisCommandExecutionException.class,
                    () -> Ai.status(c, nearMiss, "case", "2"), nearMiss);
            assertTrue(unknown.getMessage().startsWith("ERR unknown command '" + nearMiss + "'"), unknown.getMessage());
        }
        assertEquals("1", c.sync().get("case"), "no near miss ran as SET");
    }

    @Test
    void quitAndResetOnARawConnection() throws Exception {
        try (RawConnection raw = new RawConnection(server.port())) {
            raw.send(RawConnection.command("HELLO", "3"));
            assertEquals("%7", raw.readLine());
            for (int i = 0; i < 25; i++) { // seven pairs: 11 lines of values, 14 of keys
                raw.readLine();
            }
            raw.send(RawConnection.command("CLIENT", "SETNAME", "before-reset"));
            assertEquals("+OK", raw.readLine());
            raw.send(RawConnection.command("RESET"));
            assertEquals("+RESET", raw.readLine());
            raw.send(RawConnection.command("CLIENT", "GETNAME"));
            assertEquals("$-1", raw.readLine(), "RESET went back to RESP2 and cleared the name");
            raw.send(RawConnection.command("QUIT"));
            assertEquals("+OK", raw.readLine());
            assertTrue(raw.closedByServer());
        }
    }
}
