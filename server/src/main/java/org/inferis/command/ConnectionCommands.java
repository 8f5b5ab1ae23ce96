package org.inferis.command;

import static org.inferis.command.CommandFlag.FAST;
import static org.inferis.command.CommandFlag.LOADING;
import static org.inferis.command.CommandFlag.NO_AUTH;
import static org.inferis.command.CommandFlag.STALE;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.inferis.resp.ArrayReply;
import org.inferis.resp.BulkReply;
import org.inferis.resp.ErrorReply;
import org.inferis.resp.MapReply;
import org.inferis.resp.Reply;
import org.inferis.resp.Request;
import org.inferis.resp.RespException;
import org.inferis.resp.RespVersion;
import org.inferis.resp.SimpleStringReply;
import org.inferis.server.ClientSession;

/** PING ECHO QUIT RESET HELLO AUTH SELECT. */
final class ConnectionCommands {
    private static final String GROUP = "connection";
    private static final ErrorReply WRONGPASS =
            new ErrorReply("WRONGPASS invalid username-password pair or user is disabled.");

    private ConnectionCommands() {
    }

    static void register(CommandTable table) {
        table.add(CommandSpec.of("ping", -1, GROUP, "Returns the server's liveliness response.",
                        ConnectionCommands::ping, FAST, STALE))
                .add(CommandSpec.of("echo", 2, GROUP, "Returns the given string.", ConnectionCommands::echo, FAST))
                .add(CommandSpec.of("quit", -1, GROUP, "Closes the connection.", ConnectionCommands::quit,
                        NO_AUTH, FAST, LOADING, STALE))
                .add(CommandSpec.of("reset", 1, GROUP, "Resets the connection.", ConnectionCommands::reset,
                        NO_AUTH, FAST, LOADING, STALE))
                .add(CommandSpec.of("hello", -1, GROUP, "Handshakes with the server.", ConnectionCommands::hello,
                        NO_AUTH, FAST, LOADING, STALE))
                .add(CommandSpec.of("auth", -2, GROUP, "Authenticates the connection.", ConnectionCommands::auth,
                        NO_AUTH, FAST, LOADING, STALE))
                .add(CommandSpec.of("select", 2, GROUP, "Changes the selected database.",
                        ConnectionCommands::select, FAST, LOADING, STALE));
    }

    private static Reply ping(ClientSession client, Request request) {
        if (request.size() > 2) {
            throw Args.wrongArity("ping");
        }
        return request.size() == 1 ? SimpleStringReply.PONG : BulkReply.of(request.bytes(1));
    }

    private static Reply echo(ClientSession client, Request request) {
        return BulkReply.of(request.bytes(1));
    }

    private static Reply quit(ClientSession client, Request request) {
        client.closeAfterReply();
        return SimpleStringReply.OK;
    }

    private static Reply reset(ClientSession client, Request request) {
        client.transaction().reset(client.server().keyspace());
        client.protocol(RespVersion.RESP2);
        client.name(null);
        client.authenticated(!client.server().passwordRequired());
        return new SimpleStringReply("RESET");
    }

    /** HELLO [protover [AUTH user pass] [SETNAME name]]. */
    private static Reply hello(ClientSession client, Request request) {
        RespVersion version = client.protocol();
        int i = 1;
        if (request.size() > 1) {
            long requested;
            try {
                requested = Args.integer(request, 1);
            } catch (RespException e) {
                throw RespException.err("Protocol version is not an integer or out of range");
            }
            if (requested != 2 && requested != 3) {
                throw new RespException("NOPROTO unsupported protocol version");
            }
            version = requested == 3 ? RespVersion.RESP3 : RespVersion.RESP2;
            i = 2;
        }
        String user = null;
        String password = null;
        String newName = null;
        for (; i < request.size(); i++) {
            boolean more = i + 1 < request.size();
            if (request.is(i, "AUTH") && i + 2 < request.size()) {
                user = request.string(i + 1);
                password = request.string(i + 2);
                i += 2;
            } else if (request.is(i, "SETNAME") && more) {
                newName = request.string(++i);
                ClientCommand.checkName(newName);
            } else {
                throw RespException.err("Syntax error in HELLO option '" + request.string(i) + "'");
            }
        }
        if (password != null) {
            Reply failure = authenticate(client, user, password);
            if (failure != null) {
                return failure;
            }
        } else if (!client.isAuthenticated()) {
            return new ErrorReply("NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                    + "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the "
                    + "RESP protocol version at the same time");
        }
        if (newName != null) {
            client.name(newName);
        }
        client.protocol(version);
        return new MapReply.Builder()
                .put("server", "redis")
                .put("version", CommandContext.REDIS_COMPATIBLE_VERSION)
                .put("proto", version.number())
                .put("id", client.id())
                .put("mode", "standalone")
                .put("role", "master")
                .put("modules", ArrayReply.EMPTY)
                .build();
    }

    /** AUTH [user] pass. */
    private static Reply auth(ClientSession client, Request request) {
        if (request.size() > 3) {
            throw Args.syntaxError();
        }
        boolean withUser = request.size() == 3;
        if (!withUser && !client.server().passwordRequired()) {
            return ErrorReply.err("AUTH <password> called without any password configured for the default user. "
                    + "Are you sure your configuration is correct?");
        }
        Reply failure = authenticate(client, withUser ? request.string(1) : "default", request.string(request.size() - 1));
        return failure == null ? SimpleStringReply.OK : failure;
    }

    /** Null on success, else the error to send. With no password configured, the default user needs none. */
    private static Reply authenticate(ClientSession client, String user, String password) {
        String required = client.server().config().getString("requirepass");
        boolean userOk = "default".equals(user);
        boolean passwordOk = required.isEmpty() || MessageDigest.isEqual(
                required.getBytes(StandardCharsets.UTF_8), password.getBytes(StandardCharsets.UTF_8));
        if (!userOk || !passwordOk) {
            return WRONGPASS;
        }
        client.authenticated(true);
        return null;
    }

    private static Reply select(ClientSession client, Request request) {
        long index = Args.integer(request, 1);
        if (index != 0) {
            throw RespException.err("DB index is out of range");
        }
        return SimpleStringReply.OK;
    }
}
