package org.inferis.scheduler;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.inferis.tensor.Tensor;

/**
 * Runs model work off the I/O threads: per-model queues whose runs are batched, served by each
 * device's {@code threads-per-queue} workers, and loader threads so that loading a large model never
 * delays runs or other clients. Knows nothing of Netty or RESP: a run goes in, a future comes out.
 */
public final class RunScheduler implements AutoCloseable {
    /** A run that waited in its queue longer than its TIMEOUT and was dropped without running. */
    public static final class TimedOutException extends RuntimeException {
        public TimedOutException() {
            super("TIMEDOUT", null, false, false);
        }
    }

    private final int threadsPerQueue;
    private final java.util.function.LongSupplier executionTimeout;
    /** Nanoseconds, for the watchdog: how long a batch has been running. */
    private final java.util.function.LongSupplier clock;
    /** Runs submitted and not yet finished (dropped, answered or returned from the engine), plus loads. */
    private final InFlight inFlight = new InFlight();
    private volatile RunObserver observer = RunObserver.NONE;
    private final Map<String, DeviceWorkers> devices = new ConcurrentHashMap<>();
    private final WorkerSpin spin;
    /**
     * Stack of the loader threads. libtorch's TorchScript parser and ONNX's protobuf parser recurse on the calling
     * thread; a 1 MB stack dies (SIGSEGV, no Java exception) on a few hundred nesting levels. Reserved, not committed.
     */
    static final long LOADER_STACK_BYTES = 512L << 20;

    private final ExecutorService loader = Executors.newFixedThreadPool(2,
            daemonThreads("inferis-loader", LOADER_STACK_BYTES));
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            daemonThreads("inferis-run-timer", 0));

    /**
     * @param executionTimeout how long one batch may run before its runs are answered with an error and its
     *                         worker replaced (0: never), read at each watchdog tick
     * @param spinMicros       the longest a worker spins for the next run when a core is spare ({@link WorkerSpin})
     */
    public RunScheduler(int threadsPerQueue, java.util.function.LongSupplier executionTimeout,
                        java.util.function.LongSupplier spinMicros) {
        this(threadsPerQueue, executionTimeout, System::nanoTime, new WorkerSpin(
                Runtime.getRuntime().availableProcessors(), spinMicros, WorkerSpin::systemCpuLoad));
        timer.scheduleAtFixedRate(() -> {
            checkOverdue();
            spin.tick();
        }, 100, 100, TimeUnit.MILLISECONDS);
    }

    /**
     * With the watchdog's clock and the spin given, and no watchdog tick: the caller calls {@link #checkOverdue}
     * (tests).
     */
    RunScheduler(int threadsPerQueue, java.util.function.LongSupplier executionTimeout,
                 java.util.function.LongSupplier clock, WorkerSpin spin) {
        this.threadsPerQueue = threadsPerQueue;
        this.executionTimeout = executionTimeout;
        this.clock = clock;
        this.spin = spin;
    }

    /** The watchdog's check: gives up on batches running longer than {@code model-execution-timeout}. */
    void checkOverdue() {
        long limit = executionTimeout.getAsLong();
        if (limit > 0) {
            devices.values().forEach(workers -> workers.abandonOverdue(limit * 1_000_000));
        }
    }

    /**
     * Queues a run: on the queue's instances (a model; batched with others) when {@code call} is null, else a
     * call of its own (a script function, never batched). With {@code timeoutMillis > 0}, a run still queued
     * after that long completes with {@link TimedOutException} and never runs. {@code onDone} runs once the
     * run is over, however it ended (the caller's reference on the model or script is released there).
     *
     * @throws QueueFullException when the queue is at MAXQUEUE; {@code onDone} is not called
     */
    public CompletableFuture<List<Tensor>> submit(ModelQueue queue, List<Tensor> inputs, Runner call,
                                                  long timeoutMillis, Runnable onDone) throws QueueFullException {
        inFlight.increment();
        try {
            return submit(queue, new RunRequest(inputs, call, System.nanoTime(), onDone, inFlight::decrement),
                    timeoutMillis);
        } catch (QueueFullException | RuntimeException e) {
            inFlight.decrement();
            throw e;
        }
    }

    private CompletableFuture<List<Tensor>> submit(ModelQueue queue, RunRequest run, long timeoutMillis)
            throws QueueFullException {
        DeviceWorkers workers = devices.computeIfAbsent(queue.device, device -> new DeviceWorkers(device, threadsPerQueue,
                () -> observer, clock, spin));
        workers.enqueue(queue, run);
        run.result.whenComplete((outputs, error) -> {
            if (run.result.isCancelled()) {
                workers.wake(); // its client left: drop it now rather than at the queue's next batch
            }
        });
        if (timeoutMillis > 0) {
            ScheduledFuture<?> expiry = timer.schedule(() -> {
                if (workers.withdraw(queue, run)) {
                    run.result.completeExceptionally(new TimedOutException());
                    run.finished();
                }
            }, timeoutMillis, TimeUnit.MILLISECONDS);
            run.result.whenComplete((outputs, error) -> expiry.cancel(false));
        }
        return run.result;
    }

    /** Who hears about every batch (metrics); {@link RunObserver#NONE} by default. */
    public void observer(RunObserver observer) {
        this.observer = observer;
    }

    /** Runs a model load on the loader threads. */
    public <T> CompletableFuture<T> load(Supplier<T> work) {
        inFlight.increment();
        return CompletableFuture.supplyAsync(work, loader).whenComplete((result, error) -> inFlight.decrement());
    }

    /**
     * Waits until no run is queued or inside an engine call (abandoned ones aside) and no load is in flight;
     * false if that did not happen within the time.
     */
    public boolean awaitIdle(long timeoutNanos) {
        return inFlight.awaitZero(timeoutNanos);
    }

    /**
     * Shutting down: runs that MINBATCHSIZE holds go now instead of waiting for a full batch. (If the shutdown is
     * called off, those models run partial batches until stored again.)
     */
    public void releaseHeldBatches() {
        devices.values().forEach(DeviceWorkers::drainAll);
    }

    /** Threads stuck in engine calls the watchdog gave up on, over all devices. */
    public int abandonedThreads() {
        return devices.values().stream().mapToInt(DeviceWorkers::abandonedThreads).sum();
    }

    /**
     * Whether a thread waiting on runs may spin now: {@code run-spin} is on and the machine leaves a core to spare
     * ({@link WorkerSpin}). Event loops awaiting a run ask it too.
     */
    public boolean spinAllowed() {
        return spin.budgetNanos() > 0;
    }

    /** Microseconds workers spent spinning for their next run ({@link WorkerSpin}). */
    public long spinMicros() {
        return spin.spunMicros();
    }

    /** @param stackBytes 0 for the JVM's default */
    private static ThreadFactory daemonThreads(String prefix, long stackBytes) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(null, runnable, prefix + "-" + count.incrementAndGet(), stackBytes);
            thread.setDaemon(true);
            return thread;
        };
    }

    @Override
    public void close() {
        devices.values().forEach(DeviceWorkers::stop);
        loader.shutdownNow();
        timer.shutdownNow();
    }
}
