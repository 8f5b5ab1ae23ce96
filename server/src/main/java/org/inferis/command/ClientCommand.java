package org.inferis.command;

import static org.inferis.command.CommandFlag.LOADING;
import static org.inferis.command.CommandFlag.STALE;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.inferis.resp.BulkReply;
import org.inferis.resp.IntegerReply;
import org.inferis.resp.NullReply;
import org.inferis.resp.Reply;
import org.inferis.resp.Request;
import org.inferis.resp.RespException;
import org.inferis.resp.SimpleStringReply;
import org.inferis.resp.VerbatimReply;
import org.inferis.server.ClientSession;

/** CLIENT ID / SETNAME / GETNAME / SETINFO / LIST / INFO / KILL. */
final class ClientCommand {
    private ClientCommand() {
    }

    static void register(CommandTable table) {
        table.add(CommandSpec.of("client", -2, "connection", "Manages client connections.",
                ClientCommand::execute, LOADING, STALE));
    }

    private static Reply execute(ClientSession client, Request request) {
        String sub = request.string(1).toUpperCase(java.util.Locale.ROOT);
        int args = request.size() - 2;
        long now = client.server().keyspace().now();
        return switch (sub) {
            case "ID" -> exactly(args, 0, sub, () -> IntegerReply.of(client.id()));
            case "GETNAME" -> exactly(args, 0, sub,
                    () -> client.name() == null ? NullReply.BULK : BulkReply.of(client.name()));
            case "SETNAME" -> exactly(args, 1, sub, () -> {
                String name = request.string(2);
                checkName(name);
                client.name(name);
                return SimpleStringReply.OK;
            });
            case "SETINFO" -> exactly(args, 2, sub, () -> setInfo(client, request.string(2), request.string(3)));
            case "INFO" -> exactly(args, 0, sub, () -> VerbatimReply.text(client.describe(now) + "\n"));
            case "LIST" -> list(client, request, now);
            case "KILL" -> kill(client, request);
            default -> throw RespException.err("unknown subcommand '" + request.string(1) + "'. Try CLIENT HELP.");
        };
    }

    private static Reply exactly(int args, int expected, String sub, java.util.function.Supplier<Reply> action) {
        if (args != expected) {
            throw Args.wrongArity("client|" + sub.toLowerCase(java.util.Locale.ROOT));
        }
        return action.get();
    }

    static void checkName(String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < '!' || c > '~') {
                throw RespException.err("Client names cannot contain spaces, newlines or special characters.");
            }
        }
    }

    private static Reply setInfo(ClientSession client, String attribute, String value) {
        String attr = attribute.toLowerCase(java.util.Locale.ROOT);
        if (!attr.equals("lib-name") && !attr.equals("lib-ver")) {
            throw RespException.err("Unrecognized option '" + attribute + "'");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '!' || c > '~') {
                throw RespException.err(attr + " cannot contain spaces, newlines or special characters.");
            }
        }
        if (attr.equals("lib-name")) {
            client.libName(value);
        } else {
            client.libVersion(value);
        }
        return SimpleStringReply.OK;
    }

    /** CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id ...]. */
    private static Reply list(ClientSession client, Request request, long now) {
        Set<Long> ids = null;
        boolean normalOnly = true;
        for (int i = 2; i < request.size(); i++) {
            if (request.is(i, "TYPE") && i + 1 < request.size()) {
                String type = request.string(++i).toLowerCase(java.util.Locale.ROOT);
                if (!List.of("normal", "master", "replica", "slave", "pubsub").contains(type)) {
                    throw RespException.err("Unknown client type '" + type + "'");
                }
                normalOnly = type.equals("normal");
            } else if (request.is(i, "ID") && i + 1 < request.size()) {
                ids = new HashSet<>();
                while (++i < request.size()) {
                    long id = Args.integer(request, i);
                    if (id <= 0) {
                        throw RespException.err("Invalid client ID");
                    }
                    ids.add(id);
                }
            } else {
                throw Args.syntaxError();
            }
        }
        StringBuilder text = new StringBuilder();
        if (normalOnly) {
            for (ClientSession other : client.server().clients().all()) {
                if (ids == null || ids.contains(other.id())) {
                    text.append(other.describe(now)).append('\n');
                }
            }
        }
        return VerbatimReply.text(text.toString());
    }

    /** CLIENT KILL addr:port, or CLIENT KILL [ID id] [ADDR a] [LADDR a] [SKIPME yes|no] ... */
    private static Reply kill(ClientSession client, Request request) {
        if (request.size() == 3) {
            String address = request.string(2);
            List<ClientSession> matches = matching(client, null, address, null, false);
            if (matches.isEmpty()) {
                throw RespException.err("No such client");
            }
            close(client, matches);
            return SimpleStringReply.OK;
        }
        if (request.size() % 2 != 0) {
            throw Args.syntaxError();
        }
        Long id = null;
        String addr = null;
        String laddr = null;
        boolean skipMe = true;
        for (int i = 2; i < request.size(); i += 2) {
            String value = request.string(i + 1);
            if (request.is(i, "ID")) {
                id = Args.integer(request, i + 1);
            } else if (request.is(i, "ADDR")) {
                addr = value;
            } else if (request.is(i, "LADDR")) {
                laddr = value;
            } else if (request.is(i, "SKIPME")) {
                if (!value.equalsIgnoreCase("yes") && !value.equalsIgnoreCase("no")) {
                    throw Args.syntaxError();
                }
                skipMe = value.equalsIgnoreCase("yes");
            } else if (request.is(i, "USER") || request.is(i, "TYPE") || request.is(i, "MAXAGE")) {
                throw RespException.err("CLIENT KILL filter '" + request.string(i) + "' is not supported");
            } else {
                throw Args.syntaxError();
            }
        }
        List<ClientSession> matches = matching(client, id, addr, laddr, skipMe);
        close(client, matches);
        return IntegerReply.of(matches.size());
    }

    private static List<ClientSession> matching(ClientSession self, Long id, String addr, String laddr, boolean skipMe) {
        List<ClientSession> result = new ArrayList<>();
        for (ClientSession other : self.server().clients().all()) {
            boolean match = (id == null || other.id() == id)
                    && (addr == null || other.address().equals(addr))
                    && (laddr == null || other.localAddress().equals(laddr))
                    && !(skipMe && other == self);
            if (match) {
                result.add(other);
            }
        }
        return result;
    }

    private static void close(ClientSession self, List<ClientSession> victims) {
        for (ClientSession victim : victims) {
            if (victim == self) {
                self.closeAfterReply();
            } else {
                self.server().clients().kill(victim);
            }
        }
    }

}
