package org.inferis.command;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.inferis.keyspace.Key;
import org.inferis.keyspace.Keyspace;
import org.inferis.persistence.ChangeLog;
import org.inferis.keyspace.ListValue;
import org.inferis.resp.ArrayReply;
import org.inferis.resp.BulkReply;
import org.inferis.resp.Reply;

/**
 * Clients blocked in BRPOP, per key, first come first served. Guarded by the keyspace lock like
 * the keyspace itself.
 */
public final class BlockedPops {
    /** One blocked BRPOP waiting on several keys. */
    public static final class Waiter {
        private final List<Key> keys;
        private final CompletableFuture<Reply> reply;

        Waiter(List<Key> keys, CompletableFuture<Reply> reply) {
            this.keys = keys;
            this.reply = reply;
        }
    }

    private final Map<Key, ArrayDeque<Waiter>> waiting = new HashMap<>();

    Waiter block(List<Key> keys, CompletableFuture<Reply> reply) {
        Waiter waiter = new Waiter(keys, reply);
        for (Key key : keys) {
            waiting.computeIfAbsent(key, k -> new ArrayDeque<>()).addLast(waiter);
        }
        return waiter;
    }

    void unblock(Waiter waiter) {
        for (Key key : waiter.keys) {
            ArrayDeque<Waiter> queue = waiting.get(key);
            if (queue != null) {
                queue.remove(waiter);
                if (queue.isEmpty()) {
                    waiting.remove(key);
                }
            }
        }
    }

    /** Hands elements of the list at {@code key} to its waiters, oldest first, while both last. */
    void serve(Key key, Keyspace keyspace, ChangeLog changes) {
        ArrayDeque<Waiter> queue = waiting.get(key);
        while (queue != null && !queue.isEmpty()) {
            if (!(keyspace.get(key) instanceof ListValue list)) {
                return;
            }
            Waiter waiter = queue.peekFirst();
            unblock(waiter);
            byte[] element = list.pop(false);
            keyspace.changedInPlace(key, -element.length);
            if (!waiter.reply.complete(ArrayReply.of(BulkReply.of(key.bytes()), BulkReply.of(element)))) {
                list.push(element, false); // the client left or timed out meanwhile: the element stays
                keyspace.changedInPlace(key, element.length);
            } else {
                changes.propagate("RPOP", key.bytes());
                if (list.isEmpty()) {
                    keyspace.delete(key);
                }
            }
            queue = waiting.get(key);
        }
    }
}
