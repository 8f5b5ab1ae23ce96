package org.inferis.server;

import io.netty.util.concurrent.FastThreadLocal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.inferis.persistence.AppendOnly;

/**
 * The connections of one event loop whose replies wait for their writes to reach the OS. As Redis writes the
 * append-only buffer once before replying to everyone, this hands the file its bytes with one write for all of them,
 * in a task that runs after the loop has read from every ready connection.
 */
final class AppendOnlyWriteBatch {
    /** A connection waiting in the batch; told whether its bytes were written. */
    interface Waiting {
        void written(boolean ok);
    }

    private static final FastThreadLocal<AppendOnlyWriteBatch> PER_LOOP = new FastThreadLocal<>() {
        @Override
        protected AppendOnlyWriteBatch initialValue() {
            return new AppendOnlyWriteBatch();
        }
    };

    private final List<Waiting> waiting = new ArrayList<>();
    private long upTo;

    private AppendOnlyWriteBatch() {
    }

    /** Called on the event loop: the connection's replies leave once the file has its bytes up to the offset. */
    static void join(Executor loop, AppendOnly appendOnly, Waiting connection, long offset) {
        AppendOnlyWriteBatch batch = PER_LOOP.get();
        if (batch.waiting.isEmpty()) {
            loop.execute(() -> batch.write(appendOnly));
        }
        batch.waiting.add(connection);
        batch.upTo = Math.max(batch.upTo, offset);
    }

    private void write(AppendOnly appendOnly) {
        boolean ok = appendOnly.writeOut(upTo);
        List<Waiting> done = new ArrayList<>(waiting);
        waiting.clear();
        upTo = 0;
        done.forEach(connection -> connection.written(ok));
    }
}
