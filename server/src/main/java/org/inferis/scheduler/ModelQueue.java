package org.inferis.scheduler;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The runs waiting for one model (or script), and its idle instances. Decides when and which queued
 * runs form the next batch. Guarded by its device's lock.
 */
public final class ModelQueue {
    /** How a model's runs are grouped: RedisAI's BATCHSIZE / MINBATCHSIZE / MINBATCHTIMEOUT, and MAXQUEUE. */
    public record Policy(long batchSize, long minBatchSize, long minBatchTimeoutMillis, long maxQueue) {
    }

    final String name;
    final String device;
    final Policy policy;
    final RunStats stats = new RunStats();
    final ArrayDeque<RunRequest> waiting = new ArrayDeque<>();
    private final ArrayDeque<Runner> idleInstances;
    /** How many batches may run at once: the device keeps at least this many workers. */
    final int instances;
    /** The device serving this queue, once a run was queued; set under its lock. */
    DeviceWorkers workers;
    /** Set when the model is deleted or replaced: what is queued runs without waiting for MINBATCHSIZE. */
    private volatile boolean draining;
    /** Batches of this queue given up by the watchdog; at {@link #QUARANTINE_AFTER} its runs are refused. */
    private int abandoned;
    static final int QUARANTINE_AFTER = 2;

    /**
     * @param name      the key of the model or script, for metrics
     * @param instances copies of the model (each runs one batch at a time), or slots for concurrent script calls */
    public ModelQueue(String name, String device, Policy policy, List<Runner> instances) {
        this.name = name;
        this.device = device;
        this.policy = policy;
        this.idleInstances = new ArrayDeque<>(instances);
        this.instances = instances.size();
    }

    public RunStats stats() {
        return stats;
    }

    /** The device queue name ({@code CPU}, {@code GPU:0}) the runs go to. */
    public String device() {
        return device;
    }

    /** Runs waiting, not yet in a batch. Read without the device lock, for INFO: a snapshot is enough. */
    public int depth() {
        return waiting.size();
    }

    /** A batch ready to run now, taken off the queue with an idle instance; null when none is. */
    Batch takeBatch(long nowNanos) {
        dropAbandoned();
        RunRequest head = waiting.peekFirst();
        if (head == null || idleInstances.isEmpty()) {
            return null;
        }
        List<RunRequest> runs = new ArrayList<>();
        runs.add(head);
        long samples = head.samples;
        long batchSize = policy.batchSize();
        if (batchSize > 0 && head.samples < batchSize) {
            Iterator<RunRequest> queued = waiting.iterator();
            queued.next();
            while (queued.hasNext() && samples < batchSize) {
                RunRequest next = queued.next();
                if (samples + next.samples <= batchSize && next.stacksWith(head)) {
                    runs.add(next);
                    samples += next.samples;
                }
            }
            if (samples < policy.minBatchSize() && !draining && !minBatchTimedOut(head, nowNanos)) {
                return null;
            }
        }
        waiting.removeAll(runs);
        return new Batch(this, idleInstances.poll(), runs, samples);
    }

    private boolean minBatchTimedOut(RunRequest head, long nowNanos) {
        long timeout = policy.minBatchTimeoutMillis();
        return timeout > 0 && nowNanos - head.enqueuedNanos >= timeout * 1_000_000;
    }

    /** Nanoseconds until a waiting partial batch is released by MINBATCHTIMEOUT, or -1 when none waits. */
    long nanosUntilRelease(long nowNanos) {
        RunRequest head = waiting.peekFirst();
        if (head == null || policy.minBatchSize() == 0 || policy.minBatchTimeoutMillis() == 0 || idleInstances.isEmpty()) {
            return -1;
        }
        return Math.max(0, head.enqueuedNanos + policy.minBatchTimeoutMillis() * 1_000_000 - nowNanos);
    }

    /** Runs whose client left before they started are not run. */
    private void dropAbandoned() {
        for (Iterator<RunRequest> queued = waiting.iterator(); queued.hasNext(); ) {
            RunRequest run = queued.next();
            if (run.result.isDone()) {
                queued.remove();
                if (run.result.isCancelled()) {
                    stats.recordDropped();
                }
                run.finished();
            }
        }
    }

    /** The model left the keyspace: answer every queued run now rather than wait for more. */
    public void drain() {
        draining = true;
        DeviceWorkers device = workers;
        if (device != null) {
            device.wake();
        }
    }

    /** The watchdog gave up on one of this queue's batches; true when that quarantines it. */
    boolean abandonedOnce() {
        return ++abandoned == QUARANTINE_AFTER;
    }

    /** Why runs are refused, or null: the model or script kept running past the limit and its threads are stuck. */
    String quarantine() {
        return abandoned >= QUARANTINE_AFTER ? "'" + name + "' is quarantined: " + abandoned + " of its runs exceeded "
                + "model-execution-timeout and could not be stopped; store it again to use it" : null;
    }

    void returnInstance(Runner instance) {
        idleInstances.add(instance);
    }

    boolean isIdle() {
        return waiting.isEmpty();
    }
}
