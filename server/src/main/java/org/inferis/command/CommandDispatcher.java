package org.inferis.command;

import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import org.inferis.config.NumericOption;
import org.inferis.observability.Metrics;
import org.inferis.observability.SlowLog;
import org.inferis.persistence.ChangeLog;
import org.inferis.persistence.Replayer;
import org.inferis.resp.ErrorReply;
import org.inferis.resp.Reply;
import org.inferis.resp.Request;
import org.inferis.resp.RespException;
import org.inferis.server.ClientSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a request's command, checks authentication and arity, and runs it holding the keyspace lock.
 * Every failure becomes an error reply here, so no request goes unanswered.
 */
public final class CommandDispatcher {
    private static final Logger LOG = LoggerFactory.getLogger(CommandDispatcher.class);
    private static final ErrorReply NOAUTH = new ErrorReply("NOAUTH Authentication required.");
    private static final ErrorReply LOADING = new ErrorReply("LOADING Inferis is starting its engines");
    /** The server stopped taking commands (it is shutting down): this one is not run, and its connection closes. */
    private static final Reply DROPPED = new PendingReply(CompletableFuture.failedFuture(
            new CancellationException("the server is stopping")));
    private static final ErrorReply OOM = new ErrorReply("OOM command not allowed when used memory > 'maxmemory'.");

    private final CommandContext server;
    private final NumericOption slowlogThreshold;
    private final NumericOption maxmemory;

    public CommandDispatcher(CommandContext server) {
        this.server = server;
        this.slowlogThreshold = server.config().numeric("slowlog-log-slower-than");
        this.maxmemory = server.config().numeric("maxmemory");
    }

    public Reply dispatch(ClientSession client, Request request) {
        CommandSpec spec = server.commands().lookup(request.arg(0));
        if (spec == null) {
            client.commandStarted("unknown", server.coarseMillis());
            return refused(client, unknownCommand(request));
        }
        client.commandStarted(spec.name(), server.coarseMillis());
        if (!client.isAuthenticated() && !spec.has(CommandFlag.NO_AUTH)) {
            return refused(client, NOAUTH);
        }
        if (!server.isReady() && !spec.has(CommandFlag.LOADING)) {
            return refused(client, LOADING);
        }
        if (!spec.acceptsArgumentCount(request.size())) {
            return refused(client, Args.wrongArity(spec.name()).toReply());
        }
        if (spec.has(CommandFlag.DENYOOM) && overMemoryLimit()) {
            return refused(client, OOM);
        }
        if (spec.has(CommandFlag.WRITE)) {
            // as Redis: a write that could not be logged would be acknowledged and then lost
            String aofError = server.persistence().appendOnly().writeError();
            if (aofError != null) {
                return refused(client, new ErrorReply("MISCONF Errors writing to the AOF file: " + aofError));
            }
        }
        if (client.transaction().queueing() && TransactionCommands.queuedInMulti(spec)) {
            client.transaction().queue(request);
            return TransactionCommands.QUEUED;
        }
        server.stats().commandProcessed();
        if (server.monitors().active()) {
            java.time.Instant now = java.time.Instant.now();
            server.monitors().feed(client, request, now.getEpochSecond() * 1_000_000 + now.getNano() / 1000,
                    server.config().getLong("client-output-buffer-limit"));
        }
        long start = System.nanoTime();
        return timed(client, request, spec, execute(client, request, spec), start);
    }

    /** A command refused before it ran; inside MULTI, as in Redis, that dooms the transaction's EXEC. */
    private static Reply refused(ClientSession client, Reply error) {
        client.transaction().refuse();
        return error;
    }

    /**
     * Runs commands read from the append-only file as this session: no authentication, loading or memory checks; a
     * pending reply (a model load) is waited for.
     */
    public Replayer replayer(ClientSession session) {
        return request -> {
            CommandSpec spec = server.commands().lookup(request.arg(0));
            if (spec == null) {
                return "unknown command '" + request.string(0) + "'";
            }
            if (request.is(0, "MULTI") || request.is(0, "EXEC")) {
                return null; // a transaction's bounds: the file holds each whole, in one checksummed group
            }
            Reply reply = execute(session, request, spec);
            if (reply instanceof PendingReply pending) {
                reply = pending.future().join();
            }
            return reply instanceof ErrorReply error ? error.message() : null;
        };
    }

    /**
     * Times the command for the slow log (at least {@code slowlog-log-slower-than} µs) and the metrics:
     * a model or script run until its reply, a blocked pop (waiting, not working) only for its own part.
     */
    private Reply timed(ClientSession client, Request request, CommandSpec spec, Reply reply, long start) {
        long threshold = slowlogThreshold.getAsLong();
        Metrics metrics = server.metrics();
        if (threshold < 0 && metrics == null) {
            return reply;
        }
        if (reply instanceof PendingReply pending && !spec.has(CommandFlag.BLOCKING)) {
            // the request is released before the run ends; the reply waits for the record
            List<String> args = threshold >= 0 ? SlowLog.arguments(request) : null;
            return pending.then(future -> future.whenComplete(
                    (result, error) -> done(client, spec, args, System.nanoTime() - start, threshold, metrics)));
        }
        long nanos = System.nanoTime() - start;
        boolean slow = threshold >= 0 && nanos / 1000 >= threshold;
        if (slow || metrics != null) {
            done(client, spec, slow ? SlowLog.arguments(request) : null, nanos, threshold, metrics);
        }
        return reply;
    }

    private void done(ClientSession client, CommandSpec spec, List<String> args, long nanos, long threshold,
                      Metrics metrics) {
        if (metrics != null) {
            metrics.commandDone(spec.name(), nanos);
        }
        if (args != null && threshold >= 0 && nanos / 1000 >= threshold) {
            server.slowLog().add(server.keyspace().now() / 1000, nanos / 1000, args, client.address(), client.name(),
                    server.config().getInt("slowlog-max-len"));
        }
    }

    private boolean overMemoryLimit() {
        long limit = maxmemory.getAsLong();
        if (limit == 0) {
            return false;
        }
        synchronized (server.keyspace()) {
            return server.keyspace().usedBytes() > limit;
        }
    }

    private Reply execute(ClientSession client, Request request, CommandSpec spec) {
        synchronized (server.keyspace()) {
            return server.isStopping() ? DROPPED : run(client, request, spec);
        }
    }

    /**
     * Runs a command; the caller holds the keyspace lock. What it changed is logged, and the client's replies wait for
     * that to reach the append-only file. Every failure becomes an error reply.
     */
    static Reply run(ClientSession client, Request request, CommandSpec spec) {
        ChangeLog changes = client.server().persistence().changes();
        changes.commandStarted();
        Reply reply = null;
        try {
            reply = spec.command().execute(client, request);
            return reply;
        } catch (RespException e) {
            return e.toReply();
        } catch (RuntimeException | OutOfMemoryError e) {
            LOG.warn("command {} failed", spec.name(), e);
            return ErrorReply.err("internal error in '" + spec.name() + "' (the server log has the details)");
        } finally {
            // the client's replies leave once what this command logged is in the file (see the connection)
            client.awaitAofOffset(changes.commandEnded(request, reply != null
                    && spec.has(CommandFlag.WRITE) && !(reply instanceof ErrorReply)
                    && !(reply instanceof PendingReply)));
        }
    }

    private static Reply unknownCommand(Request request) {
        StringBuilder args = new StringBuilder();
        for (int i = 1; i < request.size() && args.length() < 128; i++) {
            args.append('\'').append(truncate(request.string(i))).append("' ");
        }
        return ErrorReply.err("unknown command '" + truncate(request.string(0)) + "', with args beginning with: " + args);
    }

    private static String truncate(String text) {
        return text.length() > 128 ? text.substring(0, 128) : text;
    }
}
