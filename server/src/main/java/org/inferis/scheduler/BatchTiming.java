package org.inferis.scheduler;

import java.util.ArrayDeque;

/**
 * What a model's LATENCY target needs to decide when to release a batch: its forward time by batch size, learned from
 * the batches it ran (an exponentially weighted linear fit, time = a + b * samples), and the rate its runs arrive at,
 * over the last target's length of time. Guarded by the device's lock, but {@link #ran} comes from a worker: the fit
 * has its own lock.
 */
final class BatchTiming {
    /** Weight of the newest batch in the fit: about the last twenty batches count. */
    private static final double DECAY = 0.05;

    private final long windowNanos;
    /** Arrival times and samples within the window, oldest first. */
    private final ArrayDeque<long[]> arrivals = new ArrayDeque<>();
    private long samplesInWindow;

    private double weight;
    private double sumX;
    private double sumY;
    private double sumXX;
    private double sumXY;

    /** @param windowNanos how far back arrivals count toward the rate (the latency target) */
    BatchTiming(long windowNanos) {
        this.windowNanos = Math.max(windowNanos, 1_000_000);
    }

    /** A run of {@code samples} was queued. */
    void arrived(long nowNanos, long samples) {
        arrivals.addLast(new long[] {nowNanos, samples});
        samplesInWindow += samples;
        forget(nowNanos);
    }

    /** Samples arriving per nanosecond, lately. */
    double rate(long nowNanos) {
        forget(nowNanos);
        return (double) samplesInWindow / windowNanos;
    }

    private void forget(long nowNanos) {
        while (!arrivals.isEmpty() && arrivals.peekFirst()[0] < nowNanos - windowNanos) {
            samplesInWindow -= arrivals.pollFirst()[1];
        }
    }

    /** A batch of {@code samples} took {@code nanos} in the engine. */
    synchronized void ran(long samples, long nanos) {
        double keep = 1 - DECAY;
        weight = weight * keep + 1;
        sumX = sumX * keep + samples;
        sumY = sumY * keep + nanos;
        sumXX = sumXX * keep + (double) samples * samples;
        sumXY = sumXY * keep + (double) samples * nanos;
    }

    /**
     * The expected forward time of a batch of {@code samples}, or -1 before any batch ran. With batches of one size
     * only, time scales with samples from there: an overestimate for larger batches, so holding errs early.
     */
    synchronized long forwardNanos(long samples) {
        double[] fit = fit();
        return fit == null ? -1 : Math.round(fit[0] + fit[1] * samples);
    }

    /**
     * What one more sample adds to a batch's forward time, in ns; -1 until some ten batches of sizes a sample apart or
     * more ran (one size cannot tell a batch's fixed cost from its samples', and a few noisy forwards mislead).
     */
    synchronized double nanosPerSample() {
        double[] fit = fit();
        boolean spread = weight > 0 && sumXX / weight - (sumX / weight) * (sumX / weight) >= 1;
        return fit == null || fit.length < 3 || weight < 8 || !spread ? -1 : fit[1];
    }

    /** {intercept, slope, 1} of the fit; {0, time a sample} when all batches had one size; null without data. */
    private double[] fit() {
        if (weight == 0) {
            return null;
        }
        double meanX = sumX / weight;
        double meanY = sumY / weight;
        double varianceX = sumXX / weight - meanX * meanX;
        if (varianceX < 0.25) {
            return new double[] {0, meanY / Math.max(meanX, 1)};
        }
        double slope = Math.max(0, (sumXY / weight - meanX * meanY) / varianceX);
        return new double[] {Math.max(0, meanY - slope * meanX), slope, 1};
    }
}
