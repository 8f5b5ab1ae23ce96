package org.inferis.command;

import static org.inferis.command.CommandFlag.FAST;
import static org.inferis.command.CommandFlag.READONLY;
import static org.inferis.command.CommandFlag.WRITE;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.inferis.keyspace.GlobPattern;
import org.inferis.keyspace.Key;
import org.inferis.keyspace.Keyspace;
import org.inferis.keyspace.ListValue;
import org.inferis.keyspace.Value;
import org.inferis.resp.ArrayReply;
import org.inferis.resp.BulkReply;
import org.inferis.resp.IntegerReply;
import org.inferis.resp.Reply;
import org.inferis.resp.Request;
import org.inferis.resp.RespException;
import org.inferis.resp.SimpleStringReply;
import org.inferis.server.ClientSession;

/** DEL UNLINK EXISTS TYPE KEYS SCAN RENAME EXPIRE PEXPIRE TTL PTTL PERSIST: on every kind of value. */
final class KeyCommands {
    private static final String GROUP = "generic";

    private KeyCommands() {
    }

    static void register(CommandTable table) {
        table.add(CommandSpec.of("del", -2, GROUP, "Deletes one or more keys.", KeyCommands::del, WRITE).keys(1, -1, 1))
                .add(CommandSpec.of("unlink", -2, GROUP, "Deletes one or more keys.", KeyCommands::del, WRITE, FAST)
                        .keys(1, -1, 1))
                .add(CommandSpec.of("exists", -2, GROUP, "Counts the given keys that exist.", KeyCommands::exists,
                        READONLY, FAST).keys(1, -1, 1))
                .add(CommandSpec.of("type", 2, GROUP, "Returns the type of value stored at a key.",
                        KeyCommands::type, READONLY, FAST).keys(1, 1, 1))
                .add(CommandSpec.of("keys", 2, GROUP, "Returns all key names that match a pattern.",
                        KeyCommands::keys, READONLY))
                .add(CommandSpec.of("scan", -2, GROUP, "Iterates over the key names in the database.",
                        KeyCommands::scan, READONLY))
                .add(CommandSpec.of("rename", 3, GROUP, "Renames a key and overwrites the destination.",
                        KeyCommands::rename, WRITE).keys(1, 2, 1))
                .add(CommandSpec.of("expire", -3, GROUP, "Sets the expiration time of a key in seconds.",
                        (c, r) -> expire(c, r, TimeUnit.SECONDS, false, "expire"), WRITE, FAST).keys(1, 1, 1))
                .add(CommandSpec.of("pexpire", -3, GROUP, "Sets the expiration time of a key in milliseconds.",
                        (c, r) -> expire(c, r, TimeUnit.MILLISECONDS, false, "pexpire"), WRITE, FAST).keys(1, 1, 1))
                .add(CommandSpec.of("expireat", -3, GROUP, "Sets the expiration time of a key to a Unix timestamp.",
                        (c, r) -> expire(c, r, TimeUnit.SECONDS, true, "expireat"), WRITE, FAST).keys(1, 1, 1))
                .add(CommandSpec.of("pexpireat", -3, GROUP,
                        "Sets the expiration time of a key to a Unix milliseconds timestamp.",
                        (c, r) -> expire(c, r, TimeUnit.MILLISECONDS, true, "pexpireat"), WRITE, FAST).keys(1, 1, 1))
                .add(CommandSpec.of("ttl", 2, GROUP, "Returns the expiration time in seconds of a key.",
                        (c, r) -> ttl(c, r, TimeUnit.SECONDS), READONLY, FAST).keys(1, 1, 1))
                .add(CommandSpec.of("pttl", 2, GROUP, "Returns the expiration time in milliseconds of a key.",
                        (c, r) -> ttl(c, r, TimeUnit.MILLISECONDS), READONLY, FAST).keys(1, 1, 1))
                .add(CommandSpec.of("persist", 2, GROUP, "Removes the expiration time of a key.",
                        KeyCommands::persist, WRITE, FAST).keys(1, 1, 1));
    }

    private static Reply del(ClientSession client, Request request) {
        return countKeys(request, client.server().keyspace()::delete);
    }

    private static Reply exists(ClientSession client, Request request) {
        return countKeys(request, client.server().keyspace()::exists);
    }

    /** How many of the key arguments the action answers true for (a key named twice counts twice). */
    private static Reply countKeys(Request request, Predicate<Key> action) {
        int count = 0;
        for (int i = 1; i < request.size(); i++) {
            if (action.test(Args.key(request, i))) {
                count++;
            }
        }
        return IntegerReply.of(count);
    }

    private static Reply type(ClientSession client, Request request) {
        Value value = client.server().keyspace().get(Args.key(request, 1));
        return new SimpleStringReply(value == null ? "none" : value.type().typeName());
    }

    private static Reply keys(ClientSession client, Request request) {
        GlobPattern pattern = new GlobPattern(request.bytes(1));
        return keyArray(client.server().keyspace().keys(key -> pattern.matches(key.bytes())));
    }

    /** SCAN cursor [MATCH pattern] [COUNT n] [TYPE type]. */
    private static Reply scan(ClientSession client, Request request) {
        long cursor;
        try {
            cursor = Long.parseUnsignedLong(request.string(1));
        } catch (NumberFormatException e) {
            throw RespException.err("invalid cursor");
        }
        Predicate<Key> filter = key -> true;
        long count = 10;
        Keyspace keyspace = client.server().keyspace();
        for (int i = 2; i < request.size(); i += 2) {
            if (i + 1 >= request.size()) {
                throw Args.syntaxError();
            }
            if (request.is(i, "MATCH")) {
                GlobPattern pattern = new GlobPattern(request.bytes(i + 1));
                filter = filter.and(key -> pattern.matches(key.bytes()));
            } else if (request.is(i, "COUNT")) {
                count = Args.integer(request, i + 1);
                if (count < 1) {
                    throw Args.syntaxError();
                }
            } else if (request.is(i, "TYPE")) {
                String type = request.string(i + 1);
                filter = filter.and(key -> type.equalsIgnoreCase(keyspace.get(key).type().typeName()));
            } else {
                throw Args.syntaxError();
            }
        }
        Keyspace.ScanPage page = keyspace.scan(cursor, (int) Math.min(count, Integer.MAX_VALUE), filter);
        return ArrayReply.of(BulkReply.of(Long.toUnsignedString(page.nextCursor())), keyArray(page.keys()));
    }

    private static Reply rename(ClientSession client, Request request) {
        Keyspace keyspace = client.server().keyspace();
        Key destination = Args.key(request, 2);
        if (!keyspace.rename(Args.key(request, 1), destination)) {
            throw RespException.err("no such key");
        }
        if (keyspace.get(destination) instanceof ListValue) {
            client.server().blockedPops().serve(destination, keyspace, client.server().persistence().changes());
        }
        return SimpleStringReply.OK;
    }

    /** EXPIRE / PEXPIRE key time, EXPIREAT / PEXPIREAT key unix-time, [NX|XX|GT|LT]. */
    private static Reply expire(ClientSession client, Request request, TimeUnit unit, boolean absolute, String name) {
        Keyspace keyspace = client.server().keyspace();
        Key key = Args.key(request, 1);
        long amount = Args.integer(request, 2);
        long at;
        try {
            at = Math.addExact(absolute ? 0 : keyspace.now(), Math.multiplyExact(amount, unit.toMillis(1)));
        } catch (ArithmeticException e) {
            throw RespException.err("invalid expire time in '" + name + "' command");
        }
        String condition = request.size() > 3 ? request.string(3).toUpperCase(java.util.Locale.ROOT) : "";
        if (request.size() > 4 || !List.of("", "NX", "XX", "GT", "LT").contains(condition)) {
            throw RespException.err("Unsupported option " + request.string(request.size() - 1));
        }
        Long current = keyspace.expireAt(key);
        if (current == null) {
            return IntegerReply.of(0);
        }
        boolean hasExpiry = current != Keyspace.NO_EXPIRY;
        boolean allowed = switch (condition) {
            case "NX" -> !hasExpiry;
            case "XX" -> hasExpiry;
            case "GT" -> hasExpiry && at > current;
            case "LT" -> !hasExpiry || at < current;
            default -> true;
        };
        if (!allowed || !keyspace.setExpireAt(key, at)) {
            return IntegerReply.of(0);
        }
        // logged with the absolute time, so a replay means the same moment; a time already past deleted the key
        client.server().persistence().changes().rewriteCommand(keyspace.exists(key)
                ? new Object[] {"PEXPIREAT", key.bytes(), at} : new Object[] {"DEL", key.bytes()});
        return IntegerReply.of(1);
    }

    private static Reply ttl(ClientSession client, Request request, TimeUnit unit) {
        Keyspace keyspace = client.server().keyspace();
        Long at = keyspace.expireAt(Args.key(request, 1));
        if (at == null) {
            return IntegerReply.of(-2);
        }
        if (at == Keyspace.NO_EXPIRY) {
            return IntegerReply.of(-1);
        }
        long remaining = Math.max(0, at - keyspace.now());
        return IntegerReply.of(unit == TimeUnit.SECONDS ? (remaining + 500) / 1000 : remaining);
    }

    private static Reply persist(ClientSession client, Request request) {
        return IntegerReply.of(client.server().keyspace().persist(Args.key(request, 1)) ? 1 : 0);
    }

    private static Reply keyArray(List<Key> keys) {
        return new ArrayReply(keys.stream().map(key -> BulkReply.of(key.bytes())).toList());
    }
}
