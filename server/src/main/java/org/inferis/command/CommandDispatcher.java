package org.inferis.command;

import org.inferis.resp.ErrorReply;
import org.inferis.resp.Reply;
import org.inferis.resp.Request;
import org.inferis.resp.RespException;
import org.inferis.server.ClientSession;
import org.inferis.server.ServerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a request's command, checks authentication and arity, and runs it holding the keyspace lock.
 * Every failure becomes an error reply here, so no request goes unanswered.
 */
public final class CommandDispatcher {
    private static final Logger LOG = LoggerFactory.getLogger(CommandDispatcher.class);
    private static final ErrorReply NOAUTH = new ErrorReply("NOAUTH Authentication required.");

    private final ServerContext server;

    public CommandDispatcher(ServerContext server) {
        this.server = server;
    }

    public Reply dispatch(ClientSession client, Request request) {
        CommandSpec spec = server.commands().lookup(request.arg(0));
        if (spec == null) {
            client.commandStarted("unknown", server.keyspace().now());
            return unknownCommand(request);
        }
        client.commandStarted(spec.name(), server.keyspace().now());
        if (!client.isAuthenticated() && !spec.has(CommandFlag.NO_AUTH)) {
            return NOAUTH;
        }
        if (!spec.acceptsArgumentCount(request.size())) {
            return Args.wrongArity(spec.name()).toReply();
        }
        server.stats().commandProcessed();
        try {
            synchronized (server.keyspace()) {
                return spec.command().execute(client, request);
            }
        } catch (RespException e) {
            return e.toReply();
        } catch (RuntimeException | OutOfMemoryError e) {
            LOG.warn("command {} failed", spec.name(), e);
            return ErrorReply.err("internal error in '" + spec.name() + "': " + e);
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
