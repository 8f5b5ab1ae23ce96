package org.inferis.command;

import static org.inferis.command.CommandFlag.DENYOOM;
import static org.inferis.command.CommandFlag.READONLY;
import static org.inferis.command.CommandFlag.WRITE;

import java.util.ArrayList;
import java.util.List;
import org.inferis.backend.Device;
import org.inferis.keyspace.Key;
import org.inferis.keyspace.Keyspace;
import org.inferis.keyspace.Value;
import org.inferis.keyspace.WrongTypeException;
import org.inferis.model.ScriptValue;
import org.inferis.resp.ArrayReply;
import org.inferis.resp.BulkReply;
import org.inferis.resp.Reply;
import org.inferis.resp.Request;
import org.inferis.resp.RespException;
import org.inferis.resp.SimpleStringReply;
import org.inferis.server.ClientSession;

/** AI.SCRIPTSTORE, AI.SCRIPTSET (deprecated), AI.SCRIPTGET, AI.SCRIPTDEL and AI._SCRIPTSCAN. */
final class ScriptCommands {
    private static final String GROUP = "ai";

    private ScriptCommands() {
    }

    static void register(CommandTable table) {
        table.add(CommandSpec.of("AI.SCRIPTSTORE", -8, GROUP, "Stores a TorchScript script.",
                        (c, r) -> store(c, r, true), WRITE, DENYOOM).keys(1, 1, 1))
                .add(CommandSpec.of("AI.SCRIPTSET", -5, GROUP, "Stores a TorchScript script (deprecated form).",
                        (c, r) -> store(c, r, false), WRITE, DENYOOM).keys(1, 1, 1))
                .add(CommandSpec.of("AI.SCRIPTGET", -2, GROUP, "Returns a script's metadata and source.",
                        ScriptCommands::get, READONLY).keys(1, 1, 1))
                .add(CommandSpec.of("AI.SCRIPTDEL", 2, GROUP, "Deletes a script.", ScriptCommands::delete, WRITE)
                        .keys(1, 1, 1))
                .add(CommandSpec.of("AI._SCRIPTSCAN", 1, GROUP, "Lists the scripts and their tags.",
                        ScriptCommands::scan, READONLY));
    }

    /** The script stored under the key; RedisAI's error when there is none. */
    static ScriptValue script(Keyspace keyspace, Key key) {
        ScriptValue script = keyspace.get(key, ScriptValue.class);
        if (script == null) {
            throw RespException.err("script key is empty");
        }
        return script;
    }

    /** AI.SCRIPTSTORE key device [TAG t] ENTRY_POINTS n fn... SOURCE src; AI.SCRIPTSET key device [TAG t] SOURCE src. */
    private static Reply store(ClientSession client, Request request, boolean withEntryPoints) {
        Key key = Args.key(request, 1);
        Value existing = client.server().keyspace().get(key);
        if (existing != null && !(existing instanceof ScriptValue)) {
            throw new WrongTypeException();
        }
        ArgCursor args = new ArgCursor(request, 2);
        Device device = Device.parse(args.next());
        if (device == null) {
            throw RespException.err("Invalid DEVICE");
        }
        String tag = args.nextIs("TAG") ? args.next() : "";
        List<String> entryPoints = new ArrayList<>();
        if (withEntryPoints) {
            if (!args.nextIs("ENTRY_POINTS")) {
                throw RespException.err("Insufficient arguments, missing script entry points");
            }
            long count = args.nextLong("Non numeric entry points number provided to AI.SCRIPTSTORE command");
            if (count <= 0) {
                throw RespException.err("Non numeric entry points number provided to AI.SCRIPTSTORE command");
            }
            if (count > args.remaining()) {
                throw RespException.err("Insufficient arguments, missing script entry points");
            }
            for (long i = 0; i < count; i++) {
                entryPoints.add(args.next());
            }
        }
        if (!args.nextIs("SOURCE") || args.atEnd()) {
            throw RespException.err("Insufficient arguments, missing script SOURCE");
        }
        String source = args.next();
        return StoredExecutables.pending(client, key, StoredExecutables.loadScript(client.server(), key, device.text(),
                tag, entryPoints, source));
    }

    /** AI.SCRIPTGET key [META] [SOURCE]: device, tag, entry points, then the source unless META alone. */
    private static Reply get(ClientSession client, Request request) {
        if (request.size() > 4) {
            throw Args.wrongArity("AI.SCRIPTGET");
        }
        ScriptValue script = script(client.server().keyspace(), Args.key(request, 1));
        boolean meta = false;
        boolean source = false;
        for (int i = 2; i < request.size(); i++) {
            meta |= request.is(i, "META");
            source |= request.is(i, "SOURCE");
        }
        if (source && !meta) {
            return BulkReply.of(script.source());
        }
        List<Reply> items = new ArrayList<>(List.of(
                BulkReply.of("device"), BulkReply.of(script.deviceText()),
                BulkReply.of("tag"), BulkReply.of(script.tag()),
                BulkReply.of("Entry Points"),
                new ArrayReply(script.entryPoints().stream().map(BulkReply::of).toList())));
        if (!meta || source) {
            items.add(BulkReply.of("source"));
            items.add(BulkReply.of(script.source()));
        }
        return new ArrayReply(items);
    }

    private static Reply delete(ClientSession client, Request request) {
        Keyspace keyspace = client.server().keyspace();
        Key key = Args.key(request, 1);
        script(keyspace, key);
        keyspace.delete(key);
        return SimpleStringReply.OK;
    }

    private static Reply scan(ClientSession client, Request request) {
        return StoredExecutables.scanTags(client.server().keyspace(), ScriptValue.class);
    }
}
