package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.protocol.ProtocolVersion;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.inferis.backend.Fixtures;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** MULTI / EXEC / DISCARD / WATCH / UNWATCH with Redis's semantics, and RedisAI's rule for runs inside them. */
class TransactionIT {
    @RegisterExtension
    static final RunningServer server = new RunningServer();

    @TempDir
    Path dir;
    @RegisterExtension
    final ProcessServers processes = new ProcessServers();
    private StatefulRedisConnection<String, String> c;
    private StatefulRedisConnection<String, String> other;

    @BeforeEach
    void connect() {
        c = server.connect(ProtocolVersion.RESP2);
        other = server.connect(ProtocolVersion.RESP3);
        c.sync().flushall();
    }

    @Test
    void queuedCommandsRunTogetherAtExecWithTheirRepliesInOrder() {
        RedisCommands<String, String> tx = c.sync();
        assertEquals("OK", tx.multi());
        assertNull(tx.set("a", "1"), "a queued command answers QUEUED (Lettuce's null)");
        tx.incr("a");
        tx.rpush("list", "x", "y");
        tx.get("a");
        assertEquals(0L, other.sync().exists("a"), "nothing runs before EXEC");
        // Lettuce's sync API returns inside MULTI without waiting for QUEUED: wait until all four reached the server
        Await.until(() -> other.sync().clientList().contains(" multi=4 "), "four commands queued");
        TransactionResult result = tx.exec();
        assertFalse(result.wasDiscarded());
        assertEquals(List.of("OK", 2L, 2L, "2"), result.stream().toList());
        assertEquals("2", other.sync().get("a"));
    }

    @Test
    void aCommandRefusedWhileQueueingAbortsExecAndNothingRuns() throws Exception {
        try (RawConnection raw = new RawConnection(server.port())) {
            raw.send(RawConnection.command("MULTI"));
            assertEquals("+OK", raw.readLine());
            raw.send(RawConnection.command("SET", "a", "1"));
            assertEquals("+QUEUED", raw.readLine());
            raw.send(RawConnection.command("NOSUCHCOMMAND", "x"));
            assertTrue(raw.readLine().startsWith("-ERR unknown command 'NOSUCHCOMMAND'"));
            raw.send(RawConnection.command("GET"));
            assertEquals("-ERR wrong number of arguments for 'get' command", raw.readLine());
            raw.send(RawConnection.command("EXEC"));
            assertEquals("-EXECABORT Transaction discarded because of previous errors.", raw.readLine());
            raw.send(RawConnection.command("EXEC"));
            assertEquals("-ERR EXEC without MULTI", raw.readLine(), "the aborted transaction is over");
        }
        assertEquals(0L, other.sync().exists("a"));
    }

    @Test
    void errorsAtRunTimeDoNotStopTheOtherCommands() {
        c.sync().set("text", "abc");
        c.sync().multi();
        c.sync().incr("text");
        c.sync().set("after", "ran");
        TransactionResult result = c.sync().exec();
        assertInstanceOf(RedisCommandExecutionException.class, result.get(0));
        assertEquals("OK", result.get(1));
        assertEquals("ran", other.sync().get("after"));
    }

    @Test
    void nestingDiscardAndMisplacedCommandsAnswerRedisErrors() throws Exception {
        try (RawConnection raw = new RawConnection(server.port())) {
            raw.send(RawConnection.command("EXEC"));
            assertEquals("-ERR EXEC without MULTI", raw.readLine());
            raw.send(RawConnection.command("DISCARD"));
            assertEquals("-ERR DISCARD without MULTI", raw.readLine());
            raw.send(RawConnection.command("MULTI"));
            raw.readLine();
            raw.send(RawConnection.command("MULTI"));
            assertEquals("-ERR MULTI calls can not be nested", raw.readLine());
            raw.send(RawConnection.command("WATCH", "k"));
            assertEquals("-ERR WATCH inside MULTI is not allowed", raw.readLine());
            raw.send(RawConnection.command("SET", "discarded", "1"));
            assertEquals("+QUEUED", raw.readLine());
            raw.send(RawConnection.command("DISCARD"));
            assertEquals("+OK", raw.readLine());
            raw.send(RawConnection.command("MULTI"));
            raw.readLine();
            raw.send(RawConnection.command("SET", "kept", "1"));
            raw.readLine();
            raw.send(RawConnection.command("EXEC"));
            assertEquals("*1", raw.readLine(), "neither nesting nor WATCH doomed the transaction");
            assertEquals("+OK", raw.readLine());
        }
        assertEquals(0L, other.sync().exists("discarded"));
        assertEquals("1", other.sync().get("kept"));
    }

    @Test
    void aWatchedKeyChangedByAnotherClientAbortsExec() {
        for (Runnable change : List.<Runnable>of(
                () -> other.sync().set("w", "changed"),
                () -> other.sync().del("w"),
                () -> other.sync().expire("w", 100),
                () -> other.sync().rename("w", "elsewhere"),
                () -> other.sync().flushall())) {
            c.sync().flushall();
            c.sync().set("w", "0");
            assertEquals("OK", c.sync().watch("w"));
            change.run();
            c.sync().multi();
            c.sync().set("result", "written");
            assertTrue(c.sync().exec().wasDiscarded());
            assertEquals(0L, other.sync().exists("result"), "an aborted transaction runs nothing");
        }
        c.sync().rpush("list", "a");
        c.sync().watch("list");
        other.sync().lpop("list");
        c.sync().multi();
        c.sync().set("result", "written");
        assertTrue(c.sync().exec().wasDiscarded(), "a list changed in place counts as a change");
    }

    @Test
    void unchangedUnwatchedOrOwnChangesLetExecRun() {
        c.sync().set("w", "0");
        c.sync().watch("w");
        c.sync().multi();
        c.sync().set("w", "mine");
        assertFalse(c.sync().exec().wasDiscarded(), "the transaction's own write is not a change before EXEC");

        c.sync().watch("w");
        other.sync().set("w", "theirs");
        c.sync().unwatch();
        c.sync().multi();
        c.sync().set("after-unwatch", "1");
        assertFalse(c.sync().exec().wasDiscarded());

        c.sync().watch("w");
        other.sync().set("w", "again");
        c.sync().multi();
        c.sync().exec();
        c.sync().multi();
        c.sync().set("next", "1");
        assertFalse(c.sync().exec().wasDiscarded(), "EXEC ends the watch, aborted or not");
    }

    @Test
    void aWatchedKeyThatExpiresBeforeExecAbortsIt() {
        c.sync().set("w", "0");
        c.sync().pexpire("w", 200);
        long deadline = System.currentTimeMillis() + c.sync().pttl("w");
        c.sync().watch("w");
        // no command touches the key meanwhile: only its expiry changes it
        Await.until(() -> System.currentTimeMillis() > deadline + 20, "the watched key's expiry");
        c.sync().multi();
        c.sync().set("result", "written");
        assertTrue(c.sync().exec().wasDiscarded());
    }

    @Test
    void blockingPopsInsideATransactionAnswerAtOnce() {
        c.sync().multi();
        c.sync().brpop(0, "empty");
        c.sync().rpush("full", "x");
        c.sync().brpop(0, "full");
        TransactionResult result = c.sync().exec();
        assertNull(result.get(0), "BRPOP on an empty list answers null instead of blocking");
        assertEquals("x", ((io.lettuce.core.KeyValue<?, ?>) result.get(2)).getValue());
    }

    @Test
    void runsAreRefusedInsideATransactionWhileTensorsAndModelsCanBeStored() {
        c.sync().multi();
        Ai.status(c, "AI.MODELSTORE", "m", "TORCH", "CPU", "BLOB", Fixtures.model("linear_relu.pt"));
        Ai.status(c, "AI.TENSORSET", "x", "FLOAT", 1, 4, "VALUES", 1, 2, 3, 4);
        Ai.status(c, "AI.MODELEXECUTE", "m", "INPUTS", 1, "x", "OUTPUTS", 1, "y");
        Ai.status(c, "AI.SCRIPTEXECUTE", "s", "f", "INPUTS", 1, "x");
        Ai.status(c, "AI.DAGEXECUTE", "LOAD", 1, "x", "|>", "AI.TENSORGET", "x", "VALUES");
        Ai.array(c, "AI.TENSORGET", "x", "VALUES");
        TransactionResult result = c.sync().exec();
        assertEquals("OK", result.get(0));
        assertEquals("OK", result.get(1));
        for (int i = 2; i <= 4; i++) {
            assertEquals("ERR Cannot run RedisAI command within a transaction or a LUA script",
                    ((Exception) result.get(i)).getMessage());
        }
        assertEquals("[1, 2, 3, 4]", result.get(5).toString());
        assertEquals("OK", Ai.status(other, "AI.MODELEXECUTE", "m", "INPUTS", 1, "x", "OUTPUTS", 1, "y"),
                "the model stored inside the transaction runs outside it");
        assertEquals(0L, other.sync().exists("never"));
    }

    @Test
    void aClientThatLeavesInsideMultiLeavesNothingBehind() {
        StatefulRedisConnection<String, String> leaving = server.connect(ProtocolVersion.RESP2);
        leaving.sync().multi();
        leaving.sync().set("never", "1");
        leaving.close();
        Await.until(() -> !other.sync().clientList().contains(" multi=1 "), "the client gone");
        assertEquals(0L, other.sync().exists("never"));
    }

    @Test
    void theAppendOnlyFileHoldsEachTransactionWholeOrNotAtAll() throws Exception {
        Path aof = processes.appendOnlyFileAfter(dir, tx -> {
            tx.sync().set("before", "1");
            tx.sync().multi();
            tx.sync().set("a", "1");
            tx.sync().incr("missing-counter");
            Ai.status(tx, "AI.TENSORSET", "t", "FLOAT", 2, "VALUES", 1, 2);
            tx.sync().exec();
        });
        String text = new String(Files.readAllBytes(aof), StandardCharsets.ISO_8859_1);
        int multi = text.indexOf("MULTI");
        assertTrue(multi > text.indexOf("before") && multi < text.indexOf("missing-counter")
                && text.indexOf("AI.TENSORSET") < text.indexOf("EXEC"), text);
        try (ServerProcess restarted = ProcessServers.start(dir, "--save", "", "--appendonly", "yes")) {
            StatefulRedisConnection<String, String> r = processes.connect(restarted);
            assertEquals("1", r.sync().get("a"));
            assertEquals("1", r.sync().get("missing-counter"));
            assertEquals("[1.0, 2.0]", Ai.array(r, "AI.TENSORGET", "t", "VALUES").toString());
        }
        // a crash that cut the transaction's write short: it is dropped whole, what came before stays
        byte[] content = Files.readAllBytes(aof);
        int cut = new String(content, StandardCharsets.ISO_8859_1).indexOf("missing-counter");
        Files.write(aof, java.util.Arrays.copyOf(content, cut));
        try (ServerProcess restarted = ProcessServers.start(dir, "--save", "", "--appendonly", "yes")) {
            StatefulRedisConnection<String, String> r = processes.connect(restarted);
            assertEquals("1", r.sync().get("before"));
            assertEquals(0L, r.sync().exists("a", "missing-counter", "t"));
        }
    }

    @Test
    void resetEndsTheTransactionAndTheWatch() throws Exception {
        c.sync().set("w", "0");
        try (RawConnection raw = new RawConnection(server.port())) {
            raw.send(RawConnection.command("WATCH", "w"));
            raw.readLine();
            raw.send(RawConnection.command("MULTI"));
            raw.readLine();
            raw.send(RawConnection.command("SET", "dropped", "1"));
            assertEquals("+QUEUED", raw.readLine());
            raw.send(RawConnection.command("RESET"));
            assertEquals("+RESET", raw.readLine());
            raw.send(RawConnection.command("EXEC"));
            assertEquals("-ERR EXEC without MULTI", raw.readLine());
            other.sync().set("w", "1");
            raw.send(RawConnection.command("MULTI"));
            raw.readLine();
            raw.send(RawConnection.command("EXEC"));
            assertEquals("*0", raw.readLine(), "the watch ended with RESET");
        }
        assertEquals(0L, other.sync().exists("dropped"));
    }
}
