package org.inferis.command;

import static org.inferis.command.CommandFlag.LOADING;
import static org.inferis.command.CommandFlag.STALE;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.inferis.resp.ArrayReply;
import org.inferis.resp.BulkReply;
import org.inferis.resp.IntegerReply;
import org.inferis.resp.MapReply;
import org.inferis.resp.NullReply;
import org.inferis.resp.Reply;
import org.inferis.resp.Request;
import org.inferis.resp.RespException;
import org.inferis.resp.SetReply;
import org.inferis.resp.SimpleStringReply;
import org.inferis.server.ClientSession;

/** COMMAND, COMMAND COUNT / INFO / DOCS / LIST, from the command table. */
final class IntrospectionCommands {
    private IntrospectionCommands() {
    }

    static void register(CommandTable table) {
        table.add(CommandSpec.of("command", -1, "server", "Returns detailed information about all commands.",
                IntrospectionCommands::command, LOADING, STALE));
    }

    private static Reply command(ClientSession client, Request request) {
        CommandTable table = client.server().commands();
        if (request.size() == 1) {
            return new ArrayReply(table.all().stream().map(IntrospectionCommands::info).toList());
        }
        String sub = request.string(1).toUpperCase(Locale.ROOT);
        return switch (sub) {
            case "COUNT" -> IntegerReply.of(table.size());
            case "LIST" -> new ArrayReply(table.all().stream().map(spec -> BulkReply.of(lower(spec))).toList());
            case "INFO" -> new ArrayReply(selected(table, request).stream()
                    .map(spec -> spec == null ? NullReply.BULK : info(spec)).toList());
            case "DOCS" -> docs(table, request);
            default -> throw RespException.err("unknown subcommand '" + request.string(1) + "'. Try COMMAND HELP.");
        };
    }

    /** The specs named from argument 2 on (null for unknown names), or all of them. */
    private static List<CommandSpec> selected(CommandTable table, Request request) {
        if (request.size() == 2) {
            return new ArrayList<>(table.all());
        }
        List<CommandSpec> specs = new ArrayList<>();
        for (int i = 2; i < request.size(); i++) {
            specs.add(table.lookup(request.string(i).toLowerCase(Locale.ROOT)));
        }
        return specs;
    }

    /** Redis 7's ten-element command description. */
    private static Reply info(CommandSpec spec) {
        List<Reply> flags = spec.flags().stream()
                .map(flag -> (Reply) new SimpleStringReply(flag.replyName())).toList();
        return ArrayReply.of(
                BulkReply.of(lower(spec)),
                IntegerReply.of(spec.arity()),
                new SetReply(flags),
                IntegerReply.of(spec.firstKey()),
                IntegerReply.of(spec.lastKey()),
                IntegerReply.of(spec.keyStep()),
                new SetReply(List.of()),
                ArrayReply.EMPTY,
                ArrayReply.EMPTY,
                ArrayReply.EMPTY);
    }

    private static Reply docs(CommandTable table, Request request) {
        List<Reply> entries = new ArrayList<>();
        for (CommandSpec spec : selected(table, request)) {
            if (spec != null) {
                entries.add(BulkReply.of(lower(spec)));
                entries.add(new MapReply.Builder()
                        .put("summary", spec.summary())
                        .put("since", spec.name().startsWith("AI.") ? CommandContext.VERSION : "1.0.0")
                        .put("group", spec.group())
                        .build());
            }
        }
        return new MapReply(entries);
    }

    private static String lower(CommandSpec spec) {
        return spec.name().toLowerCase(Locale.ROOT);
    }
}
