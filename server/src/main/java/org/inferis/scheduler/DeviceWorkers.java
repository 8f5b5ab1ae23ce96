package org.inferis.scheduler;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.inferis.backend.BackendException;

/**
 * The workers of one device. Each takes the next ready batch from the model queues in turn, so a flood
 * on one model cannot starve another on the same device, and waits when no batch is ready (until a
 * run arrives, an instance comes back, or a MINBATCHTIMEOUT expires).
 */
final class DeviceWorkers {
    /** One worker thread and the batch it is running, for the watchdog. */
    private static final class Worker {
        volatile Batch running;
        volatile long startedNanos;
        volatile boolean abandoned;
        /** When the watchdog asked the engine to stop its abandoned call (the watchdog's clock). */
        long stopAskedNanos;
        Thread thread;
    }

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DeviceWorkers.class);
    /** Stuck threads per device beyond which the watchdog stops replacing workers. */
    static final int MAX_ABANDONED = 8;

    final Object lock = new Object();
    /** Abandoned workers whose engine call has not returned yet; guarded by the lock. */
    private int abandonedAlive;
    private final List<ModelQueue> queues = new ArrayList<>();
    private final List<Worker> workers = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Abandoned workers whose engine was asked to stop their call, until it returns or is found unstoppable. */
    private final List<Worker> stopping = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final String device;
    private int next;
    private int spawned;
    private final java.util.function.Supplier<RunObserver> observer;
    /** The watchdog's nanoseconds. */
    private final java.util.function.LongSupplier clock;
    private volatile boolean stopped;
    private final WorkerSpin spin;
    /** Runs queued since start; a spinning worker watches it change. */
    private final java.util.concurrent.atomic.AtomicLong arrivals = new java.util.concurrent.atomic.AtomicLong();
    /** Batches running; guarded by the lock. */
    private int runningBatches;
    /**
     * Runs in a row that found the device idle (nothing queued or running): a client that waits for each reply before
     * its next run, the case spinning serves. Written under the lock.
     */
    private volatile int loneArrivals;
    /** Lone arrivals in a row after which a worker spins. */
    static final int LONE_ARRIVALS_TO_SPIN = 8;
    /** When the last batch ended; guarded by the lock. */
    private long lastBatchEndNanos;
    /** How much of the recent time the device computed; guarded by the lock. */
    private final BusyShare busy = new BusyShare();
    /**
     * Of the recent lone arrivals, the share (a moving average) that came within the spin's budget after the batch
     * before them ended: those a spinning worker would catch. Below a half, spinning would mostly burn its budget for
     * nothing. Written under the lock.
     */
    private volatile double catchRate;
    /** One worker of the device spins at a time. */
    private final java.util.concurrent.atomic.AtomicBoolean spinning = new java.util.concurrent.atomic.AtomicBoolean();

    DeviceWorkers(String device, int threadCount, java.util.function.Supplier<RunObserver> observer,
                  java.util.function.LongSupplier clock, WorkerSpin spin) {
        this.device = device;
        this.observer = observer;
        this.clock = clock;
        this.spin = spin;
        for (int i = 0; i < threadCount; i++) {
            startWorker();
        }
    }

    private void startWorker() {
        Worker worker = new Worker();
        worker.thread = new Thread(() -> work(worker), "inferis-run-" + device + "-" + (++spawned));
        worker.thread.setDaemon(true);
        workers.add(worker);
        worker.thread.start();
    }

    /**
     * Gives up on batches running longer than the limit: their runs get an error, the engine is asked to stop the
     * call where it can (ONNX Runtime's terminate flag), the instance goes back to the queue (engine models accept
     * concurrent runs) and a new worker takes the stuck one's place, unless {@link #MAX_ABANDONED} stuck threads
     * are alive already. A model or script whose calls the engine could not stop
     * {@link ModelQueue#QUARANTINE_AFTER} times is quarantined; so are calls the engine was asked to stop that are
     * still inside it a limit later (ONNX Runtime looks at its flag only between nodes: one NonMaxSuppression of
     * many boxes runs for seconds).
     * The references of an abandoned batch stay held until its engine call returns.
     */
    void abandonOverdue(long limitNanos) {
        long now = clock.getAsLong();
        for (Worker worker : stopping) {
            Batch batch = worker.running;
            if (batch == null) {
                stopping.remove(worker); // its call came back
            } else if (now - worker.stopAskedNanos > limitNanos) {
                stopping.remove(worker);
                countUnstoppable(batch);
            }
        }
        for (Worker worker : workers) {
            Batch batch = worker.running;
            if (batch == null || worker.abandoned || now - worker.startedNanos <= limitNanos) {
                continue;
            }
            synchronized (lock) {
                if (worker.running != batch || worker.abandoned) {
                    continue; // it finished meanwhile: its worker handed the instance back
                }
                worker.abandoned = true;
                abandonedAlive++;
                workers.remove(worker);
                batch.queue.returnInstance(batch.instance);
                if (abandonedAlive <= MAX_ABANDONED) {
                    startWorker();
                } else {
                    LOG.error("{} runs on {} are stuck past model-execution-timeout; no worker replaces this one",
                            abandonedAlive, device);
                }
                lock.notifyAll();
            }
            // stopping the call fails it too (a killed engine process), in words of its own: its runs get these
            batch.giveUp("run exceeded model-execution-timeout (" + limitNanos / 1_000_000 + " ms); "
                    + "its worker was replaced");
            if (batch.terminate(worker.thread)) {
                worker.stopAskedNanos = now;
                stopping.add(worker);
            } else {
                countUnstoppable(batch);
            }
            batch.abandon();
        }
    }

    /** A call of the batch's model or script could not be stopped: toward its quarantine. */
    private void countUnstoppable(Batch batch) {
        synchronized (lock) {
            if (batch.queue.abandonedOnce()) {
                LOG.warn("{}", batch.queue.quarantine());
            }
        }
    }

    /** Threads still inside an engine call the watchdog gave up on, for INFO. */
    int abandonedThreads() {
        synchronized (lock) {
            return abandonedAlive;
        }
    }

    /** Queues a run, or refuses it when its model's queue is at MAXQUEUE; a quarantined queue's run fails at once. */
    void enqueue(ModelQueue queue, RunRequest run) throws QueueFullException {
        synchronized (lock) {
            String quarantine = queue.quarantine();
            if (quarantine != null) {
                run.result.completeExceptionally(new BackendException(quarantine));
                run.finished();
                return;
            }
            long maxQueue = queue.policy.maxQueue();
            if (maxQueue > 0 && queue.waiting.size() >= maxQueue) {
                throw new QueueFullException();
            }
            if (!queues.contains(queue)) {
                queues.add(queue);
                queue.workers = this;
                while (workers.size() < queue.instances) { // INSTANCES k runs k batches at once
                    startWorker();
                }
            }
            if (isIdle()) {
                loneArrivals = Math.min(loneArrivals + 1, LONE_ARRIVALS_TO_SPIN); // counts to the threshold, no further
                boolean caught = run.enqueuedNanos - lastBatchEndNanos <= spin.limitNanos();
                catchRate += ((caught ? 1 : 0) - catchRate) / LONE_ARRIVALS_TO_SPIN;
            } else {
                loneArrivals = 0;
            }
            queue.waiting.add(run);
            queue.arrived(run);
            lock.notifyAll();
        }
        arrivals.incrementAndGet(); // after the lock, so that a spinning worker finds it free
    }

    /** Nothing queued or running; under the lock. */
    private boolean isIdle() {
        if (runningBatches > 0) {
            return false;
        }
        for (ModelQueue queue : queues) {
            if (!queue.isIdle()) {
                return false;
            }
        }
        return true;
    }

    /** Takes a run off its queue if it has not started; false when it already has. */
    boolean withdraw(ModelQueue queue, RunRequest run) {
        synchronized (lock) {
            return queue.waiting.remove(run);
        }
    }

    private void work(Worker worker) {
        while (!stopped && !worker.abandoned) {
            Batch batch;
            try {
                batch = awaitBatch(worker);
            } catch (InterruptedException e) {
                return;
            }
            long startNanos = System.nanoTime();
            try {
                batch.execute(observer.get());
            } finally {
                synchronized (lock) {
                    runningBatches--;
                    lastBatchEndNanos = System.nanoTime();
                    busy.ran(startNanos, lastBatchEndNanos);
                    worker.running = null;
                    if (worker.abandoned) { // the watchdog handed its instance back already
                        abandonedAlive--;
                    } else {
                        batch.queue.returnInstance(batch.instance);
                    }
                    lock.notifyAll();
                }
                batch.release();
            }
            spinForNextRun();
        }
    }

    /**
     * Right after a batch, when runs come one at a time, mostly within the budget, and the machine has cores to spare,
     * waits for the next run awake ({@link WorkerSpin}). Runs that overlap (several clients keeping the device busy)
     * never spin: there the spinning core is one the event loops and the other forwards need.
     */
    private void spinForNextRun() {
        long budget = spin.budgetNanos();
        if (budget == 0 || loneArrivals < LONE_ARRIVALS_TO_SPIN || catchRate < 0.5
                || !spinning.compareAndSet(false, true)) {
            return;
        }
        long seen = arrivals.get();
        long start = System.nanoTime();
        long now = start;
        while (arrivals.get() == seen && now - start < budget && !stopped) {
            SpinPause.awaitingRequest();
            now = System.nanoTime();
        }
        spinning.set(false);
        spin.spun(now - start);
    }

    /** The next batch, set as the worker's running one under the lock, so the watchdog never sees it half-taken. */
    private Batch awaitBatch(Worker worker) throws InterruptedException {
        synchronized (lock) {
            while (true) {
                long now = System.nanoTime();
                long wait = -1;
                for (int i = 0; i < queues.size(); i++) {
                    int index = (next + i) % queues.size();
                    ModelQueue queue = queues.get(index);
                    Batch batch = queue.takeBatch(now, busy.hasSpareTime());
                    if (batch != null) {
                        next = index + 1;
                        worker.startedNanos = clock.getAsLong();
                        worker.running = batch;
                        runningBatches++;
                        return batch;
                    }
                    long release = queue.nanosUntilRelease(now);
                    if (release >= 0 && (wait < 0 || release < wait)) {
                        wait = release;
                    }
                }
                queues.removeIf(ModelQueue::isIdle); // re-added on their next run
                if (stopped) {
                    throw new InterruptedException("stopped");
                }
                if (wait < 0) {
                    lock.wait();
                } else {
                    TimeUnit.NANOSECONDS.timedWait(lock, Math.max(wait, 100_000));
                }
            }
        }
    }

    /** Every queue runs what it holds without waiting for MINBATCHSIZE. */
    void drainAll() {
        List<ModelQueue> all;
        synchronized (lock) {
            all = List.copyOf(queues);
        }
        all.forEach(ModelQueue::drain);
    }

    /** Makes waiting workers look at the queues again. */
    void wake() {
        synchronized (lock) {
            lock.notifyAll();
        }
    }

    void stop() {
        stopped = true;
        workers.forEach(worker -> worker.thread.interrupt());
    }
}
