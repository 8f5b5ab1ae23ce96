package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.protocol.ProtocolVersion;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Key, string and list commands on every value kind, over RESP2 and RESP3. */
class KeyspaceCommandsIT {
    private static final String WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
    @RegisterExtension
    static final RunningServer server = new RunningServer();

    @BeforeEach
    void flush() {
        server.connect(ProtocolVersion.RESP2).sync().flushall();
    }

    @ParameterizedTest
    @EnumSource(ProtocolVersion.class)
    void stringsSetGetMgetMsetIncr(ProtocolVersion protocol) {
        RedisCommands<String, String> redis = server.connect(protocol).sync();
        assertEquals("OK", redis.set("a", "1"));
        assertEquals("1", redis.get("a"));
        assertNull(redis.get("missing"));
        assertNull(redis.set("a", "2", SetArgs.Builder.nx()));
        assertNull(redis.set("b", "x", SetArgs.Builder.xx().ex(100)));
        assertEquals(0L, redis.exists("b"), "XX on a missing key sets nothing");
        assertEquals("1", redis.setGet("a", "3"));
        assertEquals("OK", redis.mset(Map.of("k1", "v1", "k2", "v2")));
        List<KeyValue<String, String>> values = redis.mget("k1", "missing", "k2");
        assertEquals("v1", values.get(0).getValue());
        assertFalse(values.get(1).hasValue());
        assertEquals("v2", values.get(2).getValue());
        assertEquals(4L, redis.incr("a"));
        assertEquals(1L, redis.incr("counter"));
        redis.set("text", "abc");
        RedisCommandExecutionException e = assertThrows(RedisCommandExecutionException.class, () -> redis.incr("text"));
        assertEquals("ERR value is not an integer or out of range", e.getMessage());
        redis.set("max", Long.toString(Long.MAX_VALUE));
        e = assertThrows(RedisCommandExecutionException.class, () -> redis.incr("max"));
        assertEquals("ERR increment or decrement would overflow", e.getMessage());
    }

    @Test
    void binaryKeysOfEveryLengthAroundTheHashStepsAreKeptApart() {
        RedisCommands<byte[], byte[]> redis = server.connectBinary(ProtocolVersion.RESP2).sync();
        List<byte[]> keys = new ArrayList<>();
        for (int length = 0; length <= 25; length++) {
            byte[] zeros = new byte[length];
            keys.add(zeros);
            for (int position = 0; position < length; position++) { // one byte off the all-zero key, each place
                for (byte odd : new byte[] {1, (byte) 0x80, (byte) 0xFF}) {
                    byte[] key = zeros.clone();
                    key[position] = odd;
                    keys.add(key);
                }
            }
        }
        for (int i = 0; i < keys.size(); i++) {
            assertEquals("OK", redis.set(keys.get(i), Integer.toString(i).getBytes()));
        }
        assertEquals((long) keys.size(), redis.dbsize());
        for (int i = 0; i < keys.size(); i++) {
            assertEquals(Integer.toString(i), new String(redis.get(keys.get(i))), "key " + i);
        }
    }

    @ParameterizedTest
    @EnumSource(ProtocolVersion.class)
    void listsPushPopRangeAndLength(ProtocolVersion protocol) {
        RedisCommands<String, String> redis = server.connect(protocol).sync();
        assertEquals(3L, redis.rpush("q", "a", "b", "c"));
        assertEquals(4L, redis.lpush("q", "z"));
        assertEquals(List.of("z", "a", "b", "c"), redis.lrange("q", 0, -1));
        assertEquals(List.of("a", "b"), redis.lrange("q", 1, -2));
        assertEquals(List.of(), redis.lrange("q", 10, 20));
        assertEquals("z", redis.lpop("q"));
        assertEquals("c", redis.rpop("q"));
        assertEquals(List.of("b", "a"), redis.rpop("q", 5));
        assertEquals(0L, redis.exists("q"), "an emptied list is removed");
        assertNull(redis.lpop("q"));
        assertEquals(0L, redis.llen("q"));
        redis.set("s", "v");
        RedisCommandExecutionException e = assertThrows(RedisCommandExecutionException.class, () -> redis.lpush("s", "x"));
        assertEquals(WRONGTYPE, e.getMessage());
        redis.rpush("list", "x");
        e = assertThrows(RedisCommandExecutionException.class, () -> redis.get("list"));
        assertEquals(WRONGTYPE, e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(ProtocolVersion.class)
    void brpopServesAtOnceBlocksAndTimesOut(ProtocolVersion protocol) throws Exception {
        RedisCommands<String, String> redis = server.connect(protocol).sync();
        redis.rpush("jobs", "1", "2");
        KeyValue<String, String> popped = redis.brpop(1, "empty", "jobs");
        assertEquals("jobs", popped.getKey());
        assertEquals("2", popped.getValue());

        long start = System.nanoTime();
        assertNull(redis.brpop(0.3, "nothing-here"));
        assertTrue(System.nanoTime() - start >= 250_000_000L, "waited for the timeout");

        StatefulRedisConnection<String, String> worker = server.connect(protocol);
        var pending = worker.async().brpop(10, "work");
        Thread.sleep(100);
        assertFalse(pending.isDone(), "blocked while the list is empty");
        assertEquals(1L, redis.lpush("work", "task"));
        KeyValue<String, String> served = pending.get(5, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals("task", served.getValue());
        assertEquals(0L, redis.exists("work"), "the element went to the blocked worker");
        assertEquals("PONG", worker.sync().ping(), "the worker's connection goes on after BRPOP");
    }

    @ParameterizedTest
    @EnumSource(ProtocolVersion.class)
    void keysTypeExistsDelRenameAndScan(ProtocolVersion protocol) {
        RedisCommands<String, String> redis = server.connect(protocol).sync();
        StatefulRedisConnection<String, String> c = server.connect(protocol);
        redis.set("user:1", "a");
        redis.set("user:2", "b");
        redis.rpush("queue", "x");
        Ai.status(c, "AI.TENSORSET", "tensor:1", "FLOAT", 2, "VALUES", 1, 2);
        assertEquals("string", redis.type("user:1"));
        assertEquals("list", redis.type("queue"));
        assertEquals("AI_TENSOR", redis.type("tensor:1"));
        assertEquals("none", redis.type("missing"));
        assertEquals(4L, redis.dbsize());
        assertEquals(Set.of("user:1", "user:2"), new HashSet<>(redis.keys("user:*")));
        assertEquals(3L, redis.exists("user:1", "user:1", "tensor:1"));

        assertEquals("OK", redis.rename("tensor:1", "tensor:2"));
        assertEquals("AI_TENSOR", redis.type("tensor:2"));
        RedisCommandExecutionException e = assertThrows(RedisCommandExecutionException.class,
                () -> redis.rename("missing", "x"));
        assertEquals("ERR no such key", e.getMessage());

        Set<String> scanned = new HashSet<>();
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = redis.scan(cursor, ScanArgs.Builder.limit(1));
            scanned.addAll(page.getKeys());
            cursor = page;
        } while (!cursor.isFinished());
        assertEquals(Set.of("user:1", "user:2", "queue", "tensor:2"), scanned);
        assertEquals(List.of("tensor:2"), redis.scan(ScanArgs.Builder.matches("tensor:*").limit(100)).getKeys());
        List<Object> typed = Ai.array(c, "SCAN", "0", "TYPE", "AI_TENSOR", "COUNT", "100");
        assertEquals(List.of("tensor:2"), typed.get(1));

        assertEquals(2L, redis.del("user:1", "missing", "queue"));
        assertEquals(1L, redis.unlink("user:2"));
        assertEquals("OK", redis.flushdb());
        assertEquals(0L, redis.dbsize());
    }

    @ParameterizedTest
    @EnumSource(ProtocolVersion.class)
    void expiryCommands(ProtocolVersion protocol) throws Exception {
        RedisCommands<String, String> redis = server.connect(protocol).sync();
        redis.set("k", "v");
        assertEquals(-1L, redis.ttl("k"));
        assertEquals(-2L, redis.ttl("missing"));
        assertTrue(redis.expire("k", 100));
        assertEquals(100L, redis.ttl("k"));
        assertTrue(redis.pttl("k") > 99_000);
        assertTrue(redis.persist("k"));
        assertFalse(redis.persist("k"));
        assertEquals(-1L, redis.pttl("k"));
        assertFalse(redis.expire("missing", 10));
        StatefulRedisConnection<String, String> c = server.connect(protocol);
        assertEquals(0L, Ai.integer(c, "EXPIRE", "k", 10, "XX"), "XX needs an existing expiry");
        assertEquals(1L, Ai.integer(c, "EXPIRE", "k", 10, "NX"));
        assertEquals(0L, Ai.integer(c, "EXPIRE", "k", 5, "GT"));

        Ai.status(c, "AI.TENSORSET", "t", "INT8", 1);
        assertTrue(redis.pexpire("t", 50));
        redis.set("s", "v", SetArgs.Builder.px(50));
        Thread.sleep(120);
        assertEquals(0L, redis.exists("t", "s"), "expired keys of every kind are gone");
    }

    @ParameterizedTest
    @EnumSource(ProtocolVersion.class)
    void activeExpiryReclaimsKeysNobodyReads(ProtocolVersion protocol) throws Exception {
        RedisCommands<String, String> redis = server.connect(protocol).sync();
        for (int i = 0; i < 100; i++) {
            redis.set("e" + i, "v", SetArgs.Builder.px(30));
        }
        long deadline = System.currentTimeMillis() + 5000;
        while (redis.dbsize() > 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(0L, redis.dbsize());
        assertTrue(redis.info("stats").contains("expired_keys:"));
    }

    @ParameterizedTest
    @EnumSource(ProtocolVersion.class)
    void infoAndConfig(ProtocolVersion protocol) {
        RedisCommands<String, String> redis = server.connect(protocol).sync();
        redis.set("x", "y");
        String info = redis.info();
        for (String field : List.of("# Server", "redis_version:", "tcp_port:" + server.port(), "# Clients",
                "connected_clients:", "# Memory", "used_memory:", "# Persistence", "# Stats",
                "total_commands_processed:", "instantaneous_ops_per_sec:", "# Keyspace", "db0:keys=1,expires=0",
                "# AI", "ai_tensors:")) {
            assertTrue(info.contains(field), field + " in " + info);
        }
        String keyspaceOnly = redis.info("keyspace");
        assertFalse(keyspaceOnly.contains("# Server"));
        assertEquals(Map.of("proto-max-bulk-len", "536870912"), redis.configGet("proto-max-bulk-len"));
        assertEquals("OK", redis.configSet("timeout", "300"));
        assertEquals("300", redis.configGet("timeout").get("timeout"));
        assertEquals("OK", redis.configSet("timeout", "0"));
        RedisCommandExecutionException e = assertThrows(RedisCommandExecutionException.class,
                () -> redis.configSet("port", "1234"));
        assertTrue(e.getMessage().contains("can't set immutable config"), e.getMessage());
        e = assertThrows(RedisCommandExecutionException.class, () -> redis.configSet("maxclients", "lots"));
        assertTrue(e.getMessage().startsWith("ERR CONFIG SET failed"), e.getMessage());
        assertTrue(redis.configGet("*").size() >= 8);
        List<String> names = new ArrayList<>(redis.configGet("p*").keySet());
        assertTrue(names.contains("port") && names.contains("proto-max-bulk-len"), names.toString());
    }
}
