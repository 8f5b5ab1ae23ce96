package org.inferis.server;

import io.netty.channel.EventLoop;
import io.netty.channel.SelectStrategy;
import io.netty.channel.SelectStrategyFactory;
import io.netty.util.IntSupplier;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import org.inferis.scheduler.SpinPause;

/**
 * How an event loop waits while one of its connections awaits a run: polling its sockets and task queue, for at most
 * {@link #LIMIT_NANOS}, instead of sleeping in epoll. A sleeping loop is woken by the worker that finished the run,
 * which on a VM means an interrupt to a halted vCPU; at one client of a small model that wake measured 20-25 µs of
 * the round trip (TorchScript Linear p50 126-133 µs sleeping, 99-112 polling). Past its first 20 µs a poll yields
 * the core between checks ({@link SpinPause#awaitingResult}), so the client it answers is not kept waiting for it.
 * It costs the core, so a loop polls only when exactly one run of its connections is pending (more: the loop has
 * other work coming) and the scheduler says spinning is allowed: {@code run-spin} on and a core to spare
 * ({@code RunScheduler#spinAllowed}). While it polls, work handed to the loop from other threads is seen in its task
 * queue; a poll on a loop that knows its timers ({@link Timers}) ends when the next one is due.
 * <p>
 * Once a run is answered and none is pending, the loop polls on for {@link #NEXT_REQUEST_NANOS} after the answer: a
 * client that waits for each reply sends its next run about then, and a sleeping loop would be woken by it the dear
 * way. That poll yields its core from the first check ({@link SpinPause#awaitingRequest}): the client needs one now.
 * On a VM where a halted vCPU's wake-up is slow (a PING at 1 client 120-170 µs), the reference CNN in ONNX at one
 * client measured p50 116-126 µs with it and 122-270 without, the ONNX Linear 44-53 against 52-193 (six alternating
 * pairs); 16 clients lost nothing (27.8-35.2k against 19.7-32.0k runs/s).
 */
final class LoopSpin implements SelectStrategy {
    /** The longest poll: a run slower than this hides the wake-up in its own time. */
    static final long LIMIT_NANOS = 1_000_000;
    /** How long after a run's answer the loop polls for the client's next request. */
    static final long NEXT_REQUEST_NANOS = 200_000;
    private static final ThreadLocal<LoopSpin> OF_LOOP = new ThreadLocal<>();

    /** An event loop that tells when its next timer is due; asked on its own thread only. */
    interface Timers {
        /** Nanoseconds until the next timer is due (0: due now), or -1 with none. */
        long nanosToNextTimer();
    }

    private final BooleanSupplier allowed;
    private final long limitNanos;
    private final long nextRequestNanos;
    private final LongAdder spunNanos;
    /** Set with the first run awaited; the loop whose thread this is. */
    private SingleThreadEventExecutor loop;
    /** Written by the loop's thread only; read by INFO from any. */
    private volatile int awaitedRuns;
    /** When the last awaited run was answered (System.nanoTime); 0: none yet. Loop's thread only. */
    private long answeredNanos;
    private boolean bound;

    LoopSpin(BooleanSupplier allowed, long limitNanos, long nextRequestNanos, LongAdder spunNanos) {
        this.allowed = allowed;
        this.limitNanos = limitNanos;
        this.nextRequestNanos = nextRequestNanos;
        this.spunNanos = spunNanos;
    }

    /** One per event loop, each counted in {@code stats}. */
    static SelectStrategyFactory factory(BooleanSupplier allowed, ServerStats stats) {
        return () -> {
            LoopSpin spin = new LoopSpin(allowed, LIMIT_NANOS, NEXT_REQUEST_NANOS, stats.loopSpinNanos());
            stats.loopStarted(spin);
            return spin;
        };
    }

    /** The calling event loop's, or null (a loop without one, or not an event loop). */
    static LoopSpin ofCurrentLoop() {
        return OF_LOOP.get();
    }

    /** On the loop's thread: a connection of {@code eventLoop} awaits a run's reply. */
    void runStarted(EventLoop eventLoop) {
        if (loop == null && eventLoop instanceof SingleThreadEventExecutor executor) {
            loop = executor;
        }
        awaitedRuns = awaitedRuns + 1;
    }

    /** On the loop's thread: the reply of a run counted by {@link #runStarted} arrived. */
    void runAnswered() {
        awaitedRuns = awaitedRuns - 1;
        answeredNanos = System.nanoTime();
    }

    /** Runs of this loop's connections whose replies have not arrived. */
    int awaitedRuns() {
        return awaitedRuns;
    }

    @Override
    public int calculateStrategy(IntSupplier selectNow, boolean hasTasks) throws Exception {
        if (hasTasks) {
            return selectNow.get();
        }
        if (!bound) { // the first call is on the loop's thread, before any connection of it
            OF_LOOP.set(this);
            bound = true;
        }
        long limit = pollNanos();
        if (limit <= 0 || !allowed.getAsBoolean()) {
            return SelectStrategy.SELECT;
        }
        if (loop instanceof Timers timers) {
            long due = timers.nanosToNextTimer(); // timers set from elsewhere come through the task queue
            if (due >= 0) {
                limit = Math.min(limit, due);
            }
        }
        boolean awaitingRequest = awaitedRuns == 0; // polling on after an answer
        long start = System.nanoTime();
        long now = start;
        try {
            while (now - start < limit) {
                int ready = selectNow.get();
                if (ready > 0 || loop.pendingTasks() > 0) {
                    return ready; // handled as ready events (none, when it was a task), then the tasks run
                }
                if (awaitingRequest) {
                    SpinPause.awaitingRequest();
                } else {
                    SpinPause.awaitingResult(now - start);
                }
                now = System.nanoTime();
            }
            return SelectStrategy.SELECT;
        } finally {
            spunNanos.add(System.nanoTime() - start);
        }
    }

    /** How long the loop may poll now, before the timers: 0 or less to sleep. */
    private long pollNanos() {
        if (loop == null) {
            return 0;
        }
        if (awaitedRuns == 1) {
            return limitNanos;
        }
        return awaitedRuns == 0 && answeredNanos != 0 ? answeredNanos + nextRequestNanos - System.nanoTime() : 0;
    }
}
