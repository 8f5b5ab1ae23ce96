package org.inferis.command;

import static org.inferis.command.CommandFlag.DENYOOM;
import static org.inferis.command.CommandFlag.FAST;
import static org.inferis.command.CommandFlag.READONLY;
import static org.inferis.command.CommandFlag.WRITE;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.inferis.keyspace.Key;
import org.inferis.keyspace.Keyspace;
import org.inferis.keyspace.StringValue;
import org.inferis.keyspace.Value;
import org.inferis.keyspace.WrongTypeException;
import org.inferis.resp.ArrayReply;
import org.inferis.resp.BulkReply;
import org.inferis.resp.IntegerReply;
import org.inferis.resp.NullReply;
import org.inferis.resp.Numbers;
import org.inferis.resp.Reply;
import org.inferis.resp.Request;
import org.inferis.resp.RespException;
import org.inferis.resp.SimpleStringReply;
import org.inferis.server.ClientSession;

/** SET GET MGET MSET INCR. */
final class StringCommands {
    private static final String GROUP = "string";

    private StringCommands() {
    }

    static void register(CommandTable table) {
        table.add(CommandSpec.of("set", -3, GROUP, "Sets the string value of a key.", StringCommands::set,
                        WRITE, DENYOOM).keys(1, 1, 1))
                .add(CommandSpec.of("get", 2, GROUP, "Returns the string value of a key.", StringCommands::get,
                        READONLY, FAST).keys(1, 1, 1))
                .add(CommandSpec.of("mget", -2, GROUP, "Returns the string values of one or more keys.",
                        StringCommands::mget, READONLY, FAST).keys(1, -1, 1))
                .add(CommandSpec.of("mset", -3, GROUP, "Sets the string values of one or more keys.",
                        StringCommands::mset, WRITE, DENYOOM).keys(1, -1, 2))
                .add(CommandSpec.of("incr", 2, GROUP, "Increments the integer value of a key by one.",
                        StringCommands::incr, WRITE, DENYOOM, FAST).keys(1, 1, 1));
    }

    /** SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL]. */
    private static Reply set(ClientSession client, Request request) {
        Keyspace keyspace = client.server().keyspace();
        boolean nx = false;
        boolean xx = false;
        boolean get = false;
        boolean keepTtl = false;
        long expireAt = Keyspace.NO_EXPIRY;
        for (int i = 3; i < request.size(); i++) {
            boolean hasValue = i + 1 < request.size();
            if (request.is(i, "NX") && !xx) {
                nx = true;
            } else if (request.is(i, "XX") && !nx) {
                xx = true;
            } else if (request.is(i, "GET")) {
                get = true;
            } else if (request.is(i, "KEEPTTL") && expireAt == Keyspace.NO_EXPIRY) {
                keepTtl = true;
            } else if (hasValue && expireAt == Keyspace.NO_EXPIRY && !keepTtl
                    && (request.is(i, "EX") || request.is(i, "PX") || request.is(i, "EXAT") || request.is(i, "PXAT"))) {
                expireAt = absoluteExpiry(request, i, keyspace.now());
                i++;
            } else {
                throw Args.syntaxError();
            }
        }
        Key key = Args.key(request, 1);
        Reply previous = SimpleStringReply.OK;
        if (nx || xx || get) { // a plain SET needs no look at the old value: one lookup fewer
            Value old = keyspace.get(key);
            if (get) {
                if (old != null && !(old instanceof StringValue)) {
                    throw new WrongTypeException();
                }
                previous = old == null ? NullReply.BULK : BulkReply.of(((StringValue) old).bytes());
            }
            boolean exists = old != null;
            if ((nx && exists) || (xx && !exists)) {
                return get ? previous : NullReply.BULK;
            }
        }
        keyspace.put(key, new StringValue(request.bytes(2)), keepTtl);
        if (expireAt != Keyspace.NO_EXPIRY) {
            keyspace.setExpireAt(key, expireAt);
            // a relative time would mean another moment on replay
            client.server().persistence().changes().rewriteCommand("SET", key.bytes(), request.arg(2), "PXAT", expireAt);
        }
        return previous;
    }

    private static long absoluteExpiry(Request request, int i, long now) {
        long amount = Args.integer(request, i + 1);
        if (amount <= 0) {
            throw RespException.err("invalid expire time in 'set' command");
        }
        try {
            if (request.is(i, "EX")) {
                return Math.addExact(now, Math.multiplyExact(amount, 1000));
            } else if (request.is(i, "PX")) {
                return Math.addExact(now, amount);
            } else if (request.is(i, "EXAT")) {
                return Math.multiplyExact(amount, 1000);
            }
            return amount;
        } catch (ArithmeticException e) {
            throw RespException.err("invalid expire time in 'set' command");
        }
    }

    private static Reply get(ClientSession client, Request request) {
        StringValue value = client.server().keyspace().get(Args.key(request, 1), StringValue.class);
        return value == null ? NullReply.BULK : BulkReply.of(value.bytes());
    }

    private static Reply mget(ClientSession client, Request request) {
        Keyspace keyspace = client.server().keyspace();
        List<Reply> values = new ArrayList<>(request.size() - 1);
        for (int i = 1; i < request.size(); i++) {
            values.add(keyspace.get(Args.key(request, i)) instanceof StringValue value
                    ? BulkReply.of(value.bytes()) : NullReply.BULK);
        }
        return new ArrayReply(values);
    }

    private static Reply mset(ClientSession client, Request request) {
        if (request.size() % 2 == 0) {
            throw Args.wrongArity("mset");
        }
        Keyspace keyspace = client.server().keyspace();
        for (int i = 1; i < request.size(); i += 2) {
            keyspace.put(Args.key(request, i), new StringValue(request.bytes(i + 1)));
        }
        return SimpleStringReply.OK;
    }

    private static Reply incr(ClientSession client, Request request) {
        Keyspace keyspace = client.server().keyspace();
        Key key = Args.key(request, 1);
        StringValue value = keyspace.get(key, StringValue.class);
        long current = 0;
        if (value != null) {
            try {
                current = Numbers.parseLong(io.netty.buffer.Unpooled.wrappedBuffer(value.bytes()));
            } catch (NumberFormatException | ArithmeticException e) {
                throw RespException.err(Args.NOT_AN_INTEGER);
            }
        }
        if (current == Long.MAX_VALUE) {
            throw RespException.err("increment or decrement would overflow");
        }
        long next = current + 1;
        keyspace.put(key, new StringValue(Long.toString(next).getBytes(StandardCharsets.US_ASCII)), true);
        return IntegerReply.of(next);
    }
}
