package org.inferis.backend.isolated;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.inferis.backend.BackendException;

/**
 * A model or script living in the engine process under a handle. The process may die and start again; the first
 * call into a new generation loads it again from what the server keeps (its blob or source), so its clients see one
 * failed call, not a lost model.
 */
abstract class IsolatedExecutable implements AutoCloseable {
    /** One exchange with the engine process, given the handle this executable has there. */
    interface Exchange<T> {
        T over(EngineProcess.Connection connection, long handle) throws BackendException;
    }

    /** A call under way on a thread: its connection once it has one, and whether it was sent to the engine yet. */
    private static final class Call {
        EngineProcess.Connection connection;
        boolean sent;
        boolean stopped;
    }

    /** Its handle in one generation of the engine process. */
    private record Handle(long generation, long value) {
    }

    private final EngineProcess engine;
    private final Map<Thread, Call> calls = new ConcurrentHashMap<>();
    /** Where it is loaded now (null: nowhere); read without a lock, so a load under way holds up no one else. */
    private volatile Handle loaded;

    IsolatedExecutable(EngineProcess engine) {
        this.engine = engine;
    }

    /** Sends the load (or compile) and reads its answer, keeping what it says; returns the handle. */
    abstract long loadOn(EngineProcess.Connection connection) throws BackendException;

    /** Loads it into the running process now: a store answers the engine's verdict. */
    final void load() throws BackendException {
        EngineProcess.Connection connection = engine.borrow();
        try {
            handleIn(connection);
        } finally {
            engine.giveBack(connection);
        }
    }

    /**
     * One call: the process started and this loaded into it first if need be (after a crash), which the
     * watchdog's stop does not interrupt: a stop then only keeps the call from being sent.
     */
    final <T> T exchange(Exchange<T> exchange) throws BackendException {
        Thread current = Thread.currentThread();
        Call call = new Call();
        calls.put(current, call);
        EngineProcess.Connection connection = null;
        try {
            connection = engine.borrow();
            long handle = handleIn(connection);
            synchronized (call) {
                if (call.stopped) {
                    throw new BackendException("stopped at model-execution-timeout before it ran");
                }
                call.connection = connection;
                call.sent = true;
            }
            return exchange.over(connection, handle);
        } finally {
            calls.remove(current);
            if (connection != null) {
                engine.giveBack(connection);
            }
        }
    }

    private long handleIn(EngineProcess.Connection connection) throws BackendException {
        Handle current = loaded;
        if (current != null && current.generation() == connection.generation) {
            return current.value();
        }
        synchronized (this) { // one load per generation, whoever calls first
            current = loaded;
            if (current == null || current.generation() != connection.generation) {
                current = new Handle(connection.generation, loadOn(connection));
                loaded = current;
            }
            return current.value();
        }
    }

    /**
     * Stops the call on that thread: through its engine where the engine can (ONNX Runtime's terminate flag, TF's
     * deadline), else by killing the engine process, which fails the other calls under way in it too. An engine that
     * said it would stop the call but is still in it half a model-execution-timeout later (an ONNX Runtime kernel
     * looks at its flag only between nodes) has its process killed then, before the server's watchdog would count the
     * call as one it could not stop.
     */
    public final boolean terminate(Thread runningOn) {
        Call call = calls.get(runningOn);
        if (call == null) {
            return false;
        }
        EngineProcess.Connection running;
        synchronized (call) {
            if (!call.sent) {
                call.stopped = true;
                return true;
            }
            running = call.connection;
        }
        Handle current = loaded;
        if (current == null || current.generation() != running.generation) {
            return true; // the process that ran it is gone, and the call with it
        }
        String what = getClass().getSimpleName() + " call past model-execution-timeout";
        if (!engine.terminate(running, current.value())) {
            engine.kill(running.generation, what + ", which its engine cannot stop");
        } else {
            CompletableFuture.delayedExecutor(Math.max(1, engine.deadlineMillis() / 2), TimeUnit.MILLISECONDS)
                    .execute(() -> {
                        if (calls.get(runningOn) == call) {
                            engine.kill(running.generation, what + ", still running after its engine was asked to "
                                    + "stop it");
                        }
                    });
        }
        return true;
    }

    /** Frees it in the engine process, unless that process is gone (and took it along). */
    @Override
    public final synchronized void close() {
        Handle current = loaded;
        loaded = null;
        EngineProcess.Connection connection = current == null ? null : engine.borrowIfRunning();
        try {
            if (connection != null && connection.generation == current.generation()) {
                connection.request(Wire.Op.CLOSE).putLong(current.value());
                connection.call();
            }
        } catch (BackendException | RuntimeException e) {
            // gone with its process, or to be freed with it
        } finally {
            if (connection != null) {
                engine.giveBack(connection);
            }
        }
    }
}
