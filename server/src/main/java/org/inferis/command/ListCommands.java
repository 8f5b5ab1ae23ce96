package org.inferis.command;

import static org.inferis.command.CommandFlag.BLOCKING;
import static org.inferis.command.CommandFlag.DENYOOM;
import static org.inferis.command.CommandFlag.FAST;
import static org.inferis.command.CommandFlag.READONLY;
import static org.inferis.command.CommandFlag.WRITE;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.inferis.keyspace.Key;
import org.inferis.keyspace.Keyspace;
import org.inferis.keyspace.ListValue;
import org.inferis.resp.ArrayReply;
import org.inferis.resp.BulkReply;
import org.inferis.resp.IntegerReply;
import org.inferis.resp.Numbers;
import org.inferis.resp.NullReply;
import org.inferis.resp.Reply;
import org.inferis.resp.Request;
import org.inferis.resp.RespException;
import org.inferis.server.ClientSession;

/** LPUSH RPUSH LPOP RPOP BRPOP LLEN LRANGE: enough for LPUSH/BRPOP work queues. */
final class ListCommands {
    private static final String GROUP = "list";

    private ListCommands() {
    }

    static void register(CommandTable table) {
        table.add(CommandSpec.of("lpush", -3, GROUP, "Prepends elements to a list.", (c, r) -> push(c, r, true),
                        WRITE, DENYOOM, FAST).keys(1, 1, 1))
                .add(CommandSpec.of("rpush", -3, GROUP, "Appends elements to a list.", (c, r) -> push(c, r, false),
                        WRITE, DENYOOM, FAST).keys(1, 1, 1))
                .add(CommandSpec.of("lpop", -2, GROUP, "Removes and returns the first elements of a list.",
                        (c, r) -> pop(c, r, true), WRITE, FAST).keys(1, 1, 1))
                .add(CommandSpec.of("rpop", -2, GROUP, "Removes and returns the last elements of a list.",
                        (c, r) -> pop(c, r, false), WRITE, FAST).keys(1, 1, 1))
                .add(CommandSpec.of("brpop", -3, GROUP, "Removes and returns the last element of the first "
                        + "non-empty list, or blocks until one is available.", ListCommands::brpop, WRITE, BLOCKING)
                        .keys(1, -2, 1))
                .add(CommandSpec.of("llen", 2, GROUP, "Returns the length of a list.", ListCommands::llen,
                        READONLY, FAST).keys(1, 1, 1))
                .add(CommandSpec.of("lrange", 4, GROUP, "Returns a range of elements from a list.",
                        ListCommands::lrange, READONLY).keys(1, 1, 1));
    }

    private static Reply push(ClientSession client, Request request, boolean left) {
        Keyspace keyspace = client.server().keyspace();
        Key key = Args.key(request, 1);
        ListValue list = keyspace.get(key, ListValue.class);
        if (list == null) {
            list = new ListValue();
            keyspace.put(key, list);
        }
        long before = list.byteSize();
        for (int i = 2; i < request.size(); i++) {
            list.push(request.bytes(i), left);
        }
        keyspace.changedInPlace(key, list.byteSize() - before);
        int length = list.size();
        client.server().blockedPops().serve(key, keyspace, client.server().persistence().changes());
        return IntegerReply.of(length);
    }

    /** LPOP / RPOP key [count]. */
    private static Reply pop(ClientSession client, Request request, boolean left) {
        if (request.size() > 3) {
            throw Args.syntaxError();
        }
        Long count = null;
        if (request.size() == 3) {
            count = Args.integer(request, 2);
            if (count < 0) {
                throw RespException.err("value is out of range, must be positive");
            }
        }
        Keyspace keyspace = client.server().keyspace();
        Key key = Args.key(request, 1);
        ListValue list = keyspace.get(key, ListValue.class);
        if (list == null) {
            return count == null ? NullReply.BULK : NullReply.ARRAY;
        }
        List<Reply> popped = new ArrayList<>();
        long wanted = count == null ? 1 : count;
        long before = list.byteSize();
        while (popped.size() < wanted && !list.isEmpty()) {
            popped.add(BulkReply.of(list.pop(left)));
        }
        keyspace.changedInPlace(key, list.byteSize() - before);
        if (list.isEmpty()) {
            keyspace.delete(key);
        }
        return count == null ? popped.get(0) : new ArrayReply(popped);
    }

    /** BRPOP key [key ...] timeout: answers at once when a list has data, else blocks the connection. */
    private static Reply brpop(ClientSession client, Request request) {
        double timeoutSeconds;
        try {
            timeoutSeconds = Numbers.parseDouble(request.arg(request.size() - 1));
        } catch (NumberFormatException e) {
            throw RespException.err("timeout is not a float or out of range");
        }
        if (timeoutSeconds < 0) {
            throw RespException.err("timeout is negative");
        }
        if (Double.isInfinite(timeoutSeconds)) {
            throw RespException.err("timeout is out of range");
        }
        Keyspace keyspace = client.server().keyspace();
        List<Key> keys = new ArrayList<>();
        for (int i = 1; i < request.size() - 1; i++) {
            Key key = Args.key(request, i);
            ListValue list = keyspace.get(key, ListValue.class);
            if (list != null) {
                byte[] element = list.pop(false);
                keyspace.changedInPlace(key, -element.length);
                if (list.isEmpty()) {
                    keyspace.delete(key);
                }
                client.server().persistence().changes().rewriteCommand("RPOP", key.bytes());
                return ArrayReply.of(BulkReply.of(key.bytes()), BulkReply.of(element));
            }
            keys.add(key);
        }
        if (client.transaction().executing()) {
            return NullReply.ARRAY; // inside EXEC, as in Redis: blocking would stall the whole transaction
        }
        return block(client, keys, (long) (timeoutSeconds * 1000));
    }

    private static Reply block(ClientSession client, List<Key> keys, long timeoutMillis) {
        BlockedPops blockedPops = client.server().blockedPops();
        Keyspace keyspace = client.server().keyspace();
        CompletableFuture<Reply> reply = new CompletableFuture<>();
        BlockedPops.Waiter waiter = blockedPops.block(keys, reply);
        client.blocked(true);
        var timer = timeoutMillis == 0 ? null : client.channel().eventLoop().schedule(() -> {
            synchronized (keyspace) {
                reply.complete(NullReply.ARRAY);
            }
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        reply.whenComplete((result, error) -> {
            client.blocked(false);
            if (timer != null) {
                timer.cancel(false);
            }
            // after a timeout or a disconnect, stop waiting (a served waiter is already unblocked)
            synchronized (keyspace) {
                blockedPops.unblock(waiter);
            }
        });
        return new PendingReply(reply);
    }

    private static Reply llen(ClientSession client, Request request) {
        ListValue list = client.server().keyspace().get(Args.key(request, 1), ListValue.class);
        return IntegerReply.of(list == null ? 0 : list.size());
    }

    private static Reply lrange(ClientSession client, Request request) {
        long start = Args.integer(request, 2);
        long stop = Args.integer(request, 3);
        ListValue list = client.server().keyspace().get(Args.key(request, 1), ListValue.class);
        if (list == null) {
            return ArrayReply.EMPTY;
        }
        return new ArrayReply(list.range(start, stop).stream().map(BulkReply::of).toList());
    }
}

