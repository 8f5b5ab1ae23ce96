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
    private final Object lock = new Object();
    private final List<ModelQueue> queues = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private int next;
    private final java.util.function.Supplier<RunObserver> observer;
    private volatile boolean stopped;

    DeviceWorkers(String device, int threadCount, java.util.function.Supplier<RunObserver> observer) {
        this.observer = observer;
        for (int i = 1; i <= threadCount; i++) {
            Thread thread = new Thread(this::work, "inferis-run-" + device + "-" + i);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
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

    private void work() {
        while (!stopped) {
            Batch batch;
            try {
                batch = awaitBatch();
            } catch (InterruptedException e) {
                return;
            }
            try {
                batch.execute(observer.get());
            } finally {
                synchronized (lock) {
                    batch.queue.returnInstance(batch.instance);
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
        threads.forEach(Thread::interrupt);
    }
}
