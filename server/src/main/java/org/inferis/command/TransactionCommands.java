package org.inferis.command;

import static org.inferis.command.CommandFlag.FAST;
import static org.inferis.command.CommandFlag.LOADING;
import static org.inferis.command.CommandFlag.STALE;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.inferis.keyspace.Keyspace;
import org.inferis.persistence.ChangeLog;
import org.inferis.resp.ArrayReply;
import org.inferis.resp.ErrorReply;
import org.inferis.resp.NullReply;
import org.inferis.resp.Reply;
import org.inferis.resp.Request;
import org.inferis.resp.RespException;
import org.inferis.resp.SimpleStringReply;
import org.inferis.server.ClientSession;

/** MULTI EXEC DISCARD WATCH UNWATCH, with Redis's semantics; the dispatcher queues commands between MULTI and EXEC. */
final class TransactionCommands {
    private static final String GROUP = "transactions";
    static final SimpleStringReply QUEUED = new SimpleStringReply("QUEUED");
    private static final RespException EXECABORT =
            new RespException("EXECABORT Transaction discarded because of previous errors.");
    /** RedisAI's refusal of runs inside a transaction (they would block the server until the engine answers). */
    private static final RespException RUN_REFUSED =
            RespException.err("Cannot run RedisAI command within a transaction or a LUA script");
    /** Commands that run at once even inside MULTI, as in Redis. */
    private static final Set<String> NOT_QUEUED = Set.of("exec", "discard", "multi", "watch", "quit", "reset");

    private TransactionCommands() {
    }

    static void register(CommandTable table) {
        table.add(CommandSpec.of("multi", 1, GROUP, "Starts a transaction.", TransactionCommands::multi,
                        FAST, LOADING, STALE))
                .add(CommandSpec.of("exec", 1, GROUP, "Executes all commands in a transaction.",
                        TransactionCommands::exec, LOADING, STALE))
                .add(CommandSpec.of("discard", 1, GROUP, "Discards a transaction.", TransactionCommands::discard,
                        FAST, LOADING, STALE))
                .add(CommandSpec.of("watch", -2, GROUP, "Monitors changes to keys to determine the execution of a "
                        + "transaction.", TransactionCommands::watch, FAST, LOADING, STALE).keys(1, -1, 1))
                .add(CommandSpec.of("unwatch", 1, GROUP, "Forgets about watched keys of a transaction.",
                        TransactionCommands::unwatch, FAST, LOADING, STALE));
    }

    /** Whether the command is queued when the client is inside MULTI. */
    static boolean queuedInMulti(CommandSpec spec) {
        return !NOT_QUEUED.contains(spec.name());
    }

    /** The command, refused inside a transaction as RedisAI refuses runs of models, scripts and DAGs there. */
    static Command refusedInTransaction(Command command) {
        return (client, request) -> {
            if (client.transaction().executing()) {
                throw RUN_REFUSED;
            }
            return command.execute(client, request);
        };
    }

    private static Reply multi(ClientSession client, Request request) {
        Transaction transaction = client.transaction();
        if (transaction.queueing()) {
            throw RespException.err("MULTI calls can not be nested");
        }
        transaction.begin();
        return SimpleStringReply.OK;
    }

    private static Reply discard(ClientSession client, Request request) {
        Transaction transaction = client.transaction();
        if (!transaction.queueing()) {
            throw RespException.err("DISCARD without MULTI");
        }
        transaction.reset(client.server().keyspace());
        return SimpleStringReply.OK;
    }

    private static Reply watch(ClientSession client, Request request) {
        Transaction transaction = client.transaction();
        if (transaction.queueing()) {
            throw RespException.err("WATCH inside MULTI is not allowed");
        }
        Keyspace keyspace = client.server().keyspace();
        for (int i = 1; i < request.size(); i++) {
            keyspace.watch(Args.key(request, i), transaction.watch());
        }
        return SimpleStringReply.OK;
    }

    private static Reply unwatch(ClientSession client, Request request) {
        client.server().keyspace().unwatch(client.transaction().watch());
        return SimpleStringReply.OK;
    }

    /**
     * Runs the queued commands one after another under the keyspace lock, so no other client's command comes
     * between them; a watched key that changed (or expired) since WATCH aborts with a null reply.
     */
    private static Reply exec(ClientSession client, Request request) {
        Transaction transaction = client.transaction();
        Keyspace keyspace = client.server().keyspace();
        if (!transaction.queueing()) {
            throw RespException.err("EXEC without MULTI");
        }
        if (transaction.refused()) {
            transaction.reset(keyspace);
            throw EXECABORT;
        }
        boolean watchedKeyChanged = keyspace.changedSinceWatched(transaction.watch());
        List<Request> commands = transaction.take();
        keyspace.unwatch(transaction.watch());
        try {
            return watchedKeyChanged ? NullReply.ARRAY : runAll(client, commands);
        } finally {
            commands.forEach(Request::release);
        }
    }

    private static Reply runAll(ClientSession client, List<Request> commands) {
        ChangeLog changes = client.server().persistence().changes();
        Transaction transaction = client.transaction();
        List<Reply> replies = new ArrayList<>(commands.size());
        changes.transactionStarted();
        transaction.executing(true);
        try {
            for (Request command : commands) {
                replies.add(CommandDispatcher.run(client, command, client.server().commands().lookup(command.arg(0))));
            }
        } finally {
            transaction.executing(false);
            client.awaitAofOffset(changes.transactionEnded());
        }
        return replies.stream().anyMatch(PendingReply.class::isInstance) ? whenAllDone(replies) : new ArrayReply(replies);
    }

    /** EXEC's reply once the commands that answer later (a model store) have answered, in their order. */
    private static Reply whenAllDone(List<Reply> replies) {
        List<CompletableFuture<Reply>> futures = replies.stream().map(reply -> reply instanceof PendingReply pending
                ? pending.future().exceptionally(error -> ErrorReply.err("internal error (the server log has the details)"))
                : CompletableFuture.completedFuture(reply)).toList();
        return new PendingReply(CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
                .thenApply(done -> new ArrayReply(futures.stream().map(CompletableFuture::join).toList())));
    }
}
