package org.inferis.scheduler;

import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;

/**
 * AI.INFO's counters for one model: run time in µs, samples (sum of dim 0), calls, errors, batches,
 * and the latency (queue wait and run) of recent requests for p50 / p99.
 */
public final class RunStats {
    private static final int LATENCY_WINDOW = 1024;

    private final LongAdder durationMicros = new LongAdder();
    private final LongAdder samples = new LongAdder();
    private final LongAdder calls = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder batches = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final long[] latencies = new long[LATENCY_WINDOW];
    private long latencyCount;

    /** A batch of {@code requests} runs with {@code batchSamples} samples in all took {@code micros}. */
    public void recordBatch(int requests, long batchSamples, long micros) {
        durationMicros.add(micros);
        samples.add(batchSamples);
        calls.add(requests);
        batches.increment();
    }

    /** Failed runs count as calls and errors, as in RedisAI. */
    public void recordErrors(int requests) {
        calls.add(requests);
        errors.add(requests);
    }

    public synchronized void recordLatency(long micros) {
        latencies[(int) (latencyCount++ % LATENCY_WINDOW)] = micros;
    }

    /** The latency below which the given fraction of recent requests finished, in µs (0 before any). */
    public synchronized long latencyPercentile(double fraction) {
        int n = (int) Math.min(latencyCount, LATENCY_WINDOW);
        if (n == 0) {
            return 0;
        }
        long[] recent = Arrays.copyOf(latencies, n);
        Arrays.sort(recent);
        return recent[Math.min(n - 1, (int) (fraction * n))];
    }

    public long durationMicros() {
        return durationMicros.sum();
    }

    public long samples() {
        return samples.sum();
    }

    public long calls() {
        return calls.sum();
    }

    public long errors() {
        return errors.sum();
    }

    /** Runs dropped before they ran because their client left. */
    public void recordDropped() {
        dropped.increment();
    }

    public long dropped() {
        return dropped.sum();
    }

    public long batches() {
        return batches.sum();
    }

    public synchronized void reset() {
        durationMicros.reset();
        samples.reset();
        calls.reset();
        errors.reset();
        batches.reset();
        latencyCount = 0;
    }
}
