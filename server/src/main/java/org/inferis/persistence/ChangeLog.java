package org.inferis.persistence;

import java.util.ArrayList;
import java.util.List;
import org.inferis.resp.Request;

/**
 * Propagation of changes to the append-only file, as Redis's: a write command that changed something is logged as it
 * came, unless it logged a rewritten form (EXPIRE as PEXPIREAT); changes it caused for others (a blocked BRPOP served
 * by its LPUSH) follow it; changes that complete later (a model load, a run's outputs) are logged as their effect
 * when they land. Callers hold the keyspace lock, which orders the log as the keyspace. Also counts the changes
 * (Redis's dirty counter) that the save schedule reads.
 */
public final class ChangeLog {
    private final AppendOnly appendOnly;
    // guarded by the keyspace lock
    private boolean loading;
    private boolean inCommand;
    private Object[] commandRewrite;
    private final List<Object[]> afterCommand = new ArrayList<>();
    /** Inside EXEC: the transaction's changes, logged together when it ends; null otherwise. */
    private List<Object[]> transaction;
    /** Changes logged since start; written under the keyspace lock, read anywhere. */
    private volatile long dirty;

    ChangeLog(AppendOnly appendOnly) {
        this.appendOnly = appendOnly;
    }

    public void commandStarted() {
        inCommand = true;
    }

    /** The running command is logged in this form instead of as it came (relative times made absolute, ...). */
    public void rewriteCommand(Object... args) {
        commandRewrite = args;
    }

    /** Logs a change: after the running command if there is one, else at once. */
    public void propagate(Object... args) {
        if (inCommand) {
            afterCommand.add(args);
        } else {
            log(args);
        }
    }

    /**
     * @param changed the command is a write that succeeded and has replied: it is logged as it came
     * @return the append-only file's offset after what the command logged, 0 when it logged nothing
     */
    public long commandEnded(Request request, boolean changed) {
        long before = dirty;
        inCommand = false;
        if (commandRewrite != null) {
            log(commandRewrite);
            commandRewrite = null;
        } else if (changed) {
            Object[] args = new Object[request.size()];
            for (int i = 0; i < args.length; i++) {
                args[i] = request.arg(i);
            }
            log(args);
        }
        if (!afterCommand.isEmpty()) {
            afterCommand.forEach(this::log);
            afterCommand.clear();
        }
        return dirty == before ? 0 : appendOnly.offset();
    }

    /** EXEC begins: what its commands log is held until {@link #transactionEnded()}. */
    public void transactionStarted() {
        transaction = new ArrayList<>();
    }

    /**
     * EXEC ends: its changes go to the file between MULTI and EXEC in one append, so they land in one checksummed
     * group: a crash keeps the whole transaction or none of it.
     *
     * @return the append-only file's offset after them, 0 when the transaction changed nothing
     */
    public long transactionEnded() {
        List<Object[]> changes = transaction;
        transaction = null;
        if (changes.isEmpty()) {
            return 0;
        }
        dirty += changes.size();
        List<Object[]> unit = new ArrayList<>(changes.size() + 2);
        unit.add(new Object[] {"MULTI"});
        unit.addAll(changes);
        unit.add(new Object[] {"EXEC"});
        appendOnly.append(unit);
        return appendOnly.offset();
    }

    private void log(Object[] args) {
        if (loading) {
            return;
        }
        if (transaction != null) {
            transaction.add(args);
            return;
        }
        dirty++;
        appendOnly.append(List.<Object[]>of(args));
    }

    /** While loading, changes replayed from disk are neither counted nor logged again; callers hold the lock. */
    void loading(boolean loading) {
        this.loading = loading;
        if (!loading) {
            dirty = 0;
        }
    }

    long dirty() {
        return dirty;
    }
}
