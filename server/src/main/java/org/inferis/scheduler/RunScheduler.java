package org.inferis.scheduler;

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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Runs model work off the I/O threads: one queue per device served by {@code threads-per-queue}
 * workers, and a separate loader so that loading a large model never delays runs or other clients.
 * Knows nothing of Netty or RESP: work goes in, a future comes out.
 */
public final class RunScheduler implements AutoCloseable {
    /** A run that waited in its queue longer than its TIMEOUT and was dropped without running. */
    public static final class TimedOutException extends RuntimeException {
        public TimedOutException() {
            super("TIMEDOUT", null, false, false);
        }
    }

    private final int threadsPerQueue;
    private final Map<String, ExecutorService> queues = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> depths = new ConcurrentHashMap<>();
    private final ExecutorService loader = Executors.newFixedThreadPool(2, daemonThreads("inferis-loader"));
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            daemonThreads("inferis-run-timer"));

    public RunScheduler(int threadsPerQueue) {
        this.threadsPerQueue = threadsPerQueue;
    }

    /**
     * Queues work on a device's queue. With {@code timeoutMillis > 0}, work still queued after that
     * long completes with {@link TimedOutException} and never runs. Cancelling the future drops work
     * that has not started. Exactly one of {@code work} and {@code dropped} runs, so a resource the
     * work needs can be released in both.
     */
    public <T> CompletableFuture<T> submit(String queue, long timeoutMillis, Supplier<T> work, Runnable dropped) {
        CompletableFuture<T> result = new CompletableFuture<>();
        AtomicInteger depth = depths.computeIfAbsent(queue, q -> new AtomicInteger());
        depth.incrementAndGet();
        AtomicBoolean leftQueue = new AtomicBoolean(); // set once: by the worker that starts it, or by the timeout
        ScheduledFuture<?> expiry = timeoutMillis <= 0 ? null : timer.schedule(() -> {
            if (leftQueue.compareAndSet(false, true)) {
                dropped.run();
                result.completeExceptionally(new TimedOutException());
            }
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        queues.computeIfAbsent(queue, this::newQueue).execute(() -> {
            depth.decrementAndGet();
            if (!leftQueue.compareAndSet(false, true)) {
                return; // timed out: dropped already ran
            }
            if (result.isDone()) {
                dropped.run(); // cancelled while queued
                return;
            }
            if (expiry != null) {
                expiry.cancel(false);
            }
            try {
                result.complete(work.get());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result;
    }

    /** Runs a model load on the loader threads. */
    public <T> CompletableFuture<T> load(Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, loader);
    }

    /** Runs waiting in each device's queue, by queue name. */
    public Map<String, Integer> queueDepths() {
        Map<String, Integer> result = new java.util.TreeMap<>();
        depths.forEach((queue, depth) -> result.put(queue, depth.get()));
        return result;
    }

    private ExecutorService newQueue(String queue) {
        return Executors.newFixedThreadPool(threadsPerQueue, daemonThreads("inferis-run-" + queue));
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    @Override
    public void close() {
        queues.values().forEach(ExecutorService::shutdownNow);
        loader.shutdownNow();
        timer.shutdownNow();
    }
}
