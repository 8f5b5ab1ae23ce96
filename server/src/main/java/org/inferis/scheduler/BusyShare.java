package org.inferis.scheduler;

/**
 * The share of recent time a device spent running batches: a moving average over about {@link #WINDOW_NANOS}, updated
 * as each batch ends. Guarded by the device's lock.
 */
final class BusyShare {
    /** How far back it looks: long against one batch, short against a change of load. */
    static final double WINDOW_NANOS = 100e6;
    /**
     * Below this share the device has time to spare: a batch's fixed cost paid twice comes out of its idle time, not
     * out of the runs it serves.
     */
    static final double SPARE_BELOW = 0.85;

    private double share;
    /** When the last batch ended; none yet: one batch alone tells nothing of a load, and the share stays 0. */
    private long lastEndNanos;
    private boolean ranBefore;

    /** A batch ran from {@code startNanos} to {@code endNanos}; with several workers, the share is of time some ran. */
    void ran(long startNanos, long endNanos) {
        if (!ranBefore) {
            ranBefore = true;
            lastEndNanos = endNanos;
            return;
        }
        long sinceLast = Math.max(1, endNanos - lastEndNanos);
        double busy = Math.min(1.0, (double) (endNanos - startNanos) / sinceLast);
        share += (busy - share) * Math.min(1.0, sinceLast / WINDOW_NANOS);
        lastEndNanos = endNanos;
    }

    double share() {
        return share;
    }

    boolean hasSpareTime() {
        return share < SPARE_BELOW;
    }
}
