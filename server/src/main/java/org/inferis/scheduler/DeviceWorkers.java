package org.inferis.scheduler;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

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
        Thread thread;
    }

    private final Object lock = new Object();
    private final List<ModelQueue> queues = new ArrayList<>();
    private final List<Worker> workers = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final String device;
    private int next;
    private int spawned;
    private final java.util.function.Supplier<RunObserver> observer;
    private volatile boolean stopped;

    DeviceWorkers(String device, int threadCount, java.util.function.Supplier<RunObserver> observer) {
        this.device = device;
        this.observer = observer;
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
     * Gives up on batches running longer than the limit: their runs get an error, their instance goes back
     * to the queue (engine models accept concurrent runs) and a new worker takes the stuck one's place.
     * The stuck thread cannot be stopped (native code ignores interrupts); it just stops counting.
     */
    void abandonOverdue(long limitNanos) {
        long now = System.nanoTime();
        for (Worker worker : workers) {
            Batch batch = worker.running;
            if (batch != null && !worker.abandoned && now - worker.startedNanos > limitNanos) {
                worker.abandoned = true;
                workers.remove(worker);
                batch.failAll("run exceeded model-execution-timeout (" + limitNanos / 1_000_000 + " ms); "
                        + "its worker was replaced");
                synchronized (lock) {
                    batch.queue.returnInstance(batch.instance);
                    startWorker();
                    lock.notifyAll();
                }
            }
        }
    }

    /** Queues a run, or refuses it when its model's queue is at MAXQUEUE. */
    void enqueue(ModelQueue queue, RunRequest run) throws QueueFullException {
        synchronized (lock) {
            long maxQueue = queue.policy.maxQueue();
            if (maxQueue > 0 && queue.waiting.size() >= maxQueue) {
                throw new QueueFullException();
            }
            if (!queues.contains(queue)) {
                queues.add(queue);
                queue.workers = this;
            }
            queue.waiting.add(run);
            lock.notifyAll();
        }
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
                batch = awaitBatch();
            } catch (InterruptedException e) {
                return;
            }
            worker.startedNanos = System.nanoTime();
            worker.running = batch;
            try {
                batch.execute(observer.get());
            } finally {
                worker.running = null;
                synchronized (lock) {
                    if (!worker.abandoned) { // an abandoned worker's instance was handed back already
                        batch.queue.returnInstance(batch.instance);
                    }
                    lock.notifyAll();
                }
            }
        }
    }

    private Batch awaitBatch() throws InterruptedException {
        synchronized (lock) {
            while (true) {
                long now = System.nanoTime();
                long wait = -1;
                for (int i = 0; i < queues.size(); i++) {
                    int index = (next + i) % queues.size();
                    ModelQueue queue = queues.get(index);
                    Batch batch = queue.takeBatch(now);
                    if (batch != null) {
                        next = index + 1;
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
