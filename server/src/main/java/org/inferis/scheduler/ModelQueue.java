package org.inferis.scheduler;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The runs waiting for one model (or script), and its idle instances. Decides when and which queued
 * runs form the next batch. Guarded by its device's lock.
 */
public final class ModelQueue {
    /**
     * How a model's runs are grouped: RedisAI's BATCHSIZE / MINBATCHSIZE / MINBATCHTIMEOUT, MAXQUEUE, and LATENCY (a
     * target for each run's queue wait plus forward, in ms; 0 for none) that replaces MINBATCHSIZE's fixed wait.
     */
    public record Policy(long batchSize, long minBatchSize, long minBatchTimeoutMillis, long maxQueue,
                         long latencyMillis) {
        public Policy(long batchSize, long minBatchSize, long minBatchTimeoutMillis, long maxQueue) {
            this(batchSize, minBatchSize, minBatchTimeoutMillis, maxQueue, 0);
        }
    }

    final String name;
    final String device;
    final Policy policy;
    final RunStats stats = new RunStats();
    final BatchTiming timing;
    /** When the partial batch takeBatch last held goes anyway (Long.MAX_VALUE: only when full), or -1: none held. */
    private long heldUntil = -1;
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
    /**
     * Runs of this queue that ended the engine process (engine-isolation) with no other model's call under way in it;
     * at {@link #QUARANTINE_AFTER} its runs are refused. Counted by the worker, outside the device's lock.
     */
    private final AtomicInteger crashes = new AtomicInteger();
    static final int QUARANTINE_AFTER = 2;
    /** A half of fewer samples would pay its batch's fixed cost on too few. */
    static final long SPLIT_MIN_HALF_SAMPLES = 8;
    /** A shorter half could not cover the other half's replies and next requests (tens of µs each, one loop). */
    static final long SPLIT_MIN_HALF_FORWARD_NANOS = 200_000;

    /**
     * @param name      the key of the model or script, for metrics
     * @param instances copies of the model (each runs one batch at a time), or slots for concurrent script calls */
    public ModelQueue(String name, String device, Policy policy, List<Runner> instances) {
        this.name = name;
        this.device = device;
        this.policy = policy;
        this.timing = new BatchTiming(policy.latencyMillis() * 1_000_000);
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

    /**
     * A batch ready to run now, taken off the queue with an idle instance; null when none is.
     *
     * @param deviceHasSpareTime the device computed less than most of the recent time ({@link BusyShare})
     */
    Batch takeBatch(long nowNanos, boolean deviceHasSpareTime) {
        heldUntil = -1;
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
            long until = draining || samples >= batchSize ? -1 : holdUntil(head, samples, nowNanos);
            if (until > nowNanos) {
                heldUntil = until;
                return null;
            }
        }
        if (deviceHasSpareTime && runs.size() == waiting.size() && splits(samples)) {
            long half = 0;
            int taken = 0;
            while (half < samples / 2) {
                half += runs.get(taken++).samples;
            }
            if (half >= SPLIT_MIN_HALF_SAMPLES && samples - half >= SPLIT_MIN_HALF_SAMPLES) {
                runs = new ArrayList<>(runs.subList(0, taken));
                samples = half;
            }
        }
        waiting.removeAll(runs);
        return new Batch(this, idleInstances.poll(), runs, samples);
    }

    /**
     * Whether a batch of {@code samples} that takes every queued run runs as two halves instead (BATCHSIZE alone, each
     * half at least {@link #SPLIT_MIN_HALF_SAMPLES} samples and {@link #SPLIT_MIN_HALF_FORWARD_NANOS} of forward by the
     * fit). Clients that wait for each reply make a convoy: a batch that takes them all leaves the device nothing to do
     * while its replies go out and the next requests come back, and those come back all together into the next such
     * batch. Halved, the second half runs while the first half's replies travel, and the two groups keep alternating.
     * A half left alone in the queue may halve again. Only while the device has time to spare (the caller says), so
     * that paying the batch's fixed cost twice costs idle time rather than throughput; and only for forwards long
     * enough to cover that trip. 32 clients, BATCHSIZE 32, on 2 cores, six alternating rounds beside the server
     * without it: the reference CNN in ONNX 1.12x the runs a second (more in 5 rounds of 6), the MNIST CNN in
     * TorchScript 1.05x (6 of 6); the reference CNN in TorchScript, which keeps the device busy, the MNIST CNN in ONNX,
     * whose halves are mostly too short, and 16 clients of the reference CNN in ONNX within the spread (1.00-1.05x).
     */
    private boolean splits(long samples) {
        return policy.minBatchSize() == 0 && policy.latencyMillis() == 0 && samples >= 2 * SPLIT_MIN_HALF_SAMPLES
                && timing.forwardNanos(samples / 2) >= SPLIT_MIN_HALF_FORWARD_NANOS;
    }

    /**
     * Until when a partial batch of {@code samples} headed by {@code head} waits for more runs (Long.MAX_VALUE: until
     * MINBATCHSIZE is reached), or -1 to run it now.
     */
    private long holdUntil(RunRequest head, long samples, long nowNanos) {
        if (policy.latencyMillis() > 0) {
            return latencyDeadline(head, samples, nowNanos);
        }
        if (samples >= policy.minBatchSize()) {
            return -1;
        }
        long timeout = policy.minBatchTimeoutMillis();
        return timeout > 0 ? head.enqueuedNanos + timeout * 1_000_000 : Long.MAX_VALUE;
    }

    /**
     * LATENCY: a partial batch waits only when waiting can help and the target allows it. While the device keeps up
     * with the arrivals past each batch's fixed cost (arrival rate x the forward time a sample adds < 1.25), serving
     * whatever waits is best: the runs arriving during a forward form the next batch, which grows with the load by
     * itself (to rate x fixed cost / (1 - rate x per-sample cost)), and waiting would only add latency; with a forward
     * time linear in the batch, holding never lowers the runs' total wait. Waiting can help only at saturation, to
     * make every forward a full one, when a full batch costs at least a fifth less a sample than this one. The target
     * allows it while a full batch would still finish in time (a tenth of the target kept in hand) and another run is
     * expected before then. So idle periods and loads the device keeps up with add no wait, and saturating bursts fill
     * batches. Until the fit is trusted (some ten batches of different sizes), nothing waits.
     */
    private long latencyDeadline(RunRequest head, long samples, long nowNanos) {
        long fullBatch = timing.forwardNanos(policy.batchSize());
        if (fullBatch < 0) {
            return -1;
        }
        double rate = timing.rate(nowNanos);
        double perSample = timing.nanosPerSample();
        // unknown: waiting is the risk, not serving; a quarter in hand, as the fit of noisy forwards wavers
        boolean keepsUp = perSample < 0 || rate * perSample < 1.25;
        boolean largerIsCheaper = (double) fullBatch / policy.batchSize()
                <= 0.8 * timing.forwardNanos(samples) / samples;
        if (keepsUp || !largerIsCheaper) {
            return -1;
        }
        long target = policy.latencyMillis() * 1_000_000;
        long deadline = head.enqueuedNanos + target - target / 10 - fullBatch;
        if (deadline <= nowNanos || rate * (deadline - nowNanos) < 1) {
            return -1;
        }
        return deadline;
    }

    /** Nanoseconds until the partial batch held is released anyway, or -1 when none is held or only fullness frees it. */
    long nanosUntilRelease(long nowNanos) {
        return heldUntil < 0 || heldUntil == Long.MAX_VALUE ? -1 : Math.max(0, heldUntil - nowNanos);
    }

    /** A run was queued: counts toward the arrival rate LATENCY looks at. Under the device's lock. */
    void arrived(RunRequest run) {
        if (policy.latencyMillis() > 0) {
            timing.arrived(run.enqueuedNanos, run.samples);
        }
    }

    /** LATENCY's estimates, for AI.INFO EXTENDED: samples arriving a second lately (LATENCY models only). */
    public double arrivalsPerSecond() {
        DeviceWorkers device = workers;
        if (device == null) {
            return 0;
        }
        synchronized (device.lock) {
            return timing.rate(System.nanoTime()) * 1e9;
        }
    }

    /** What a sample adds to a batch's forward, in µs (-1 until batches of different sizes ran). */
    public double sampleForwardMicros() {
        double nanos = timing.nanosPerSample();
        return nanos < 0 ? -1 : Math.round(nanos / 10) / 100.0;
    }

    /** The fitted forward time of a BATCHSIZE batch, in µs (-1 before any batch ran). */
    public long fullBatchForwardMicros() {
        long nanos = timing.forwardNanos(Math.max(1, policy.batchSize()));
        return nanos < 0 ? -1 : nanos / 1000;
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

    /** One of this queue's runs ended the engine process; true when that quarantines it. */
    boolean crashedTheEngineOnce() {
        return crashes.incrementAndGet() == QUARANTINE_AFTER;
    }

    /**
     * Why runs are refused, or null: the model or script kept running past the limit and its threads are stuck, or
     * its runs ended the engine process (each crash fails every call under way there and reloads every model).
     */
    String quarantine() {
        if (abandoned >= QUARANTINE_AFTER) {
            return "'" + name + "' is quarantined: " + abandoned + " of its runs exceeded model-execution-timeout and "
                    + "could not be stopped; store it again to use it";
        }
        int crashed = crashes.get();
        return crashed >= QUARANTINE_AFTER ? "'" + name + "' is quarantined: " + crashed + " of its runs ended the "
                + "engine process; store it again to use it" : null;
    }

    void returnInstance(Runner instance) {
        idleInstances.add(instance);
    }

    boolean isIdle() {
        return waiting.isEmpty();
    }
}
