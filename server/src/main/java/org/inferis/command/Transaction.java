package org.inferis.command;

import java.util.ArrayList;
import java.util.List;
import org.inferis.keyspace.KeyWatch;
import org.inferis.keyspace.Keyspace;
import org.inferis.resp.Request;

/**
 * One client's MULTI/EXEC state: the commands queued since MULTI (copies, since a request's buffers live only while
 * it is dispatched), whether one was refused while queueing, and the keys it WATCHes. Used under the keyspace lock.
 */
public final class Transaction {
    private final KeyWatch watch = new KeyWatch();
    /** Null outside MULTI. */
    private List<Request> queued;
    private boolean refused;
    private boolean executing;

    boolean queueing() {
        return queued != null;
    }

    void begin() {
        queued = new ArrayList<>();
        refused = false;
    }

    void queue(Request request) {
        queued.add(request.copy());
    }

    /** A command was refused while queueing (unknown, wrong arity, over memory): EXEC will abort. */
    void refuse() {
        if (queued != null) {
            refused = true;
        }
    }

    boolean refused() {
        return refused;
    }

    /** Commands queued, or -1 outside MULTI (CLIENT LIST's {@code multi}). */
    public int queuedCount() {
        return queued == null ? -1 : queued.size();
    }

    KeyWatch watch() {
        return watch;
    }

    /** True while EXEC runs the queued commands: runs are refused and blocking pops do not block. */
    public boolean executing() {
        return executing;
    }

    void executing(boolean executing) {
        this.executing = executing;
    }

    /** The queued commands, handed to EXEC; the transaction is over. */
    List<Request> take() {
        List<Request> taken = queued;
        queued = null;
        return taken;
    }

    /** Ends it all: queued commands dropped, keys unwatched (DISCARD, RESET, a failed EXEC, a disconnect). */
    public void reset(Keyspace keyspace) {
        if (queued != null) {
            queued.forEach(Request::release);
            queued = null;
        }
        refused = false;
        keyspace.unwatch(watch);
    }
}
