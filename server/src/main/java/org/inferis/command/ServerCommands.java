package org.inferis.command;

import static org.inferis.command.CommandFlag.ADMIN;
import static org.inferis.command.CommandFlag.FAST;
import static org.inferis.command.CommandFlag.LOADING;
import static org.inferis.command.CommandFlag.READONLY;
import static org.inferis.command.CommandFlag.STALE;
import static org.inferis.command.CommandFlag.WRITE;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.inferis.resp.ErrorReply;
import org.inferis.resp.IntegerReply;
import org.inferis.resp.MapReply;
import org.inferis.resp.Reply;
import org.inferis.resp.Request;
import org.inferis.resp.RespException;
import org.inferis.resp.SimpleStringReply;
import org.inferis.resp.VerbatimReply;
import org.inferis.server.ClientSession;

/** INFO CONFIG DBSIZE FLUSHALL FLUSHDB SHUTDOWN. */
final class ServerCommands {
    private static final String GROUP = "server";
    /** A successful SHUTDOWN answers nothing: the client sees the connection close, as with Redis. */

    private ServerCommands() {
    }

    static void register(CommandTable table) {
        table.add(CommandSpec.of("info", -1, GROUP, "Returns information and statistics about the server.",
                        ServerCommands::info, LOADING, STALE))
                .add(CommandSpec.of("config", -2, GROUP, "Gets or sets configuration options.",
                        ServerCommands::config, ADMIN, LOADING, STALE))
                .add(CommandSpec.of("dbsize", 1, GROUP, "Returns the number of keys in the database.",
                        ServerCommands::dbsize, READONLY, FAST))
                .add(CommandSpec.of("flushall", -1, GROUP, "Removes all keys.", ServerCommands::flush, WRITE))
                .add(CommandSpec.of("flushdb", -1, GROUP, "Removes all keys of the database.",
                        ServerCommands::flush, WRITE))
                .add(CommandSpec.of("shutdown", -1, GROUP, "Stops the server.", ServerCommands::shutdown,
                        ADMIN, LOADING, STALE));
    }

    private static Reply info(ClientSession client, Request request) {
        List<String> sections = new ArrayList<>();
        for (int i = 1; i < request.size(); i++) {
            sections.add(request.string(i));
        }
        return VerbatimReply.text(client.server().info(sections));
    }

    private static Reply config(ClientSession client, Request request) {
        String sub = request.string(1).toUpperCase(java.util.Locale.ROOT);
        var config = client.server().config();
        switch (sub) {
            case "GET" -> {
                if (request.size() < 3) {
                    throw Args.wrongArity("config|get");
                }
                Map<String, String> found = new LinkedHashMap<>();
                for (int i = 2; i < request.size(); i++) {
                    for (String[] pair : config.matching(request.string(i))) {
                        found.put(pair[0], pair[1]);
                    }
                }
                MapReply.Builder reply = new MapReply.Builder();
                found.forEach(reply::put);
                return reply.build();
            }
            case "SET" -> {
                if (request.size() < 4 || request.size() % 2 != 0) {
                    throw Args.wrongArity("config|set");
                }
                List<String[]> changes = new ArrayList<>();
                for (int i = 2; i < request.size(); i += 2) {
                    changes.add(new String[] {request.string(i), request.string(i + 1)});
                }
                try {
                    // all or nothing: check every pair before applying any
                    changes.forEach(change -> config.check(change[0], change[1]));
                    changes.forEach(change -> config.set(change[0], change[1]));
                } catch (IllegalArgumentException e) {
                    throw RespException.err(e.getMessage());
                }
                return SimpleStringReply.OK;
            }
            case "RESETSTAT" -> {
                client.server().stats().reset();
                return SimpleStringReply.OK;
            }
            default -> throw RespException.err("unknown subcommand '" + request.string(1) + "'. Try CONFIG HELP.");
        }
    }

    private static Reply dbsize(ClientSession client, Request request) {
        return IntegerReply.of(client.server().keyspace().size());
    }

    /** FLUSHALL / FLUSHDB [ASYNC|SYNC]: both free memory at once here. */
    private static Reply flush(ClientSession client, Request request) {
        if (request.size() > 2 || (request.size() == 2 && !request.is(1, "ASYNC") && !request.is(1, "SYNC"))) {
            throw Args.syntaxError();
        }
        client.server().keyspace().clear();
        return SimpleStringReply.OK;
    }

    /**
     * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE]: without either, a snapshot is saved when save points are set. If that
     * save fails the server keeps running, as Redis's does.
     */
    private static Reply shutdown(ClientSession client, Request request) {
        Boolean save = null;
        for (int i = 1; i < request.size(); i++) {
            if (request.is(i, "SAVE") && save == null) {
                save = true;
            } else if (request.is(i, "NOSAVE") && save == null) {
                save = false;
            } else if (!request.is(i, "NOW") && !request.is(i, "FORCE")) {
                throw Args.syntaxError();
            }
        }
        // answered only when the save fails and the server goes on; otherwise the connection closes with the server
        return new PendingReply(client.server().shutdown(save).thenCompose(stopped -> stopped
                ? new java.util.concurrent.CompletableFuture<Reply>()
                : java.util.concurrent.CompletableFuture.completedFuture(
                        ErrorReply.err("Errors trying to SHUTDOWN. Check logs."))));
    }
}
