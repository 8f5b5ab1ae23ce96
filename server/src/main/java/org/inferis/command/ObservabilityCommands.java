package org.inferis.command;

import static org.inferis.command.CommandFlag.ADMIN;
import static org.inferis.command.CommandFlag.LOADING;
import static org.inferis.command.CommandFlag.STALE;

import java.util.Locale;
import org.inferis.observability.SlowLog;
import org.inferis.resp.ArrayReply;
import org.inferis.resp.BulkReply;
import org.inferis.resp.IntegerReply;
import org.inferis.resp.Reply;
import org.inferis.resp.Request;
import org.inferis.resp.RespException;
import org.inferis.resp.SimpleStringReply;
import org.inferis.server.ClientSession;

/** SLOWLOG GET / LEN / RESET and MONITOR. */
final class ObservabilityCommands {
    private ObservabilityCommands() {
    }

    static void register(CommandTable table) {
        table.add(CommandSpec.of("slowlog", -2, "server", "Reads or resets the slow log.",
                        ObservabilityCommands::slowlog, ADMIN, LOADING, STALE))
                .add(CommandSpec.of("monitor", 1, "server", "Streams every command the server runs.",
                        ObservabilityCommands::monitor, ADMIN, LOADING, STALE));
    }

    private static Reply slowlog(ClientSession client, Request request) {
        SlowLog log = client.server().slowLog();
        String sub = request.string(1).toUpperCase(Locale.ROOT);
        switch (sub) {
            case "GET" -> {
                if (request.size() > 3) {
                    throw Args.wrongArity("slowlog|get");
                }
                long count = request.size() == 3 ? Args.integer(request, 2) : 10;
                if (count < -1) {
                    throw RespException.err("count should be greater than or equal to -1");
                }
                return new ArrayReply(log.newest(count).stream().map(ObservabilityCommands::entry).toList());
            }
            case "LEN" -> {
                return IntegerReply.of(log.size());
            }
            case "RESET" -> {
                log.reset();
                return SimpleStringReply.OK;
            }
            default -> throw RespException.err("unknown subcommand '" + request.string(1) + "'. Try SLOWLOG HELP.");
        }
    }

    /** Redis's six-element entry: id, unix time, duration in µs, arguments, client address, client name. */
    private static Reply entry(SlowLog.Entry entry) {
        return ArrayReply.of(IntegerReply.of(entry.id()), IntegerReply.of(entry.unixSeconds()),
                IntegerReply.of(entry.micros()), new ArrayReply(entry.args().stream().map(BulkReply::of).toList()),
                BulkReply.of(entry.address()), BulkReply.of(entry.clientName()));
    }

    private static Reply monitor(ClientSession client, Request request) {
        client.server().monitors().add(client);
        return SimpleStringReply.OK;
    }
}
