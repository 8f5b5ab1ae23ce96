package org.inferis.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The share of recent time a device computed, from batch start and end times made up here. */
class BusyShareTest {
    private static final long MS = 1_000_000;

    private final BusyShare busy = new BusyShare();

    /** Batches of {@code busyMicros} in every millisecond, from {@code fromMs} for {@code forMs}. */
    private void load(long fromMs, long forMs, long busyMicros) {
        for (long t = fromMs; t < fromMs + forMs; t++) {
            busy.ran(t * MS, t * MS + busyMicros * 1000);
        }
    }

    @Test
    void oneBatchAloneTellsNothing() {
        busy.ran(0, 500 * MS);
        assertEquals(0, busy.share());
        assertTrue(busy.hasSpareTime());
    }

    @Test
    void aDeviceComputingNineTenthsOfTheTimeHasNoneToSpare() {
        load(0, 1000, 900);
        assertEquals(0.9, busy.share(), 0.02);
        assertFalse(busy.hasSpareTime());
    }

    @Test
    void aDeviceComputingHalfTheTimeHasTimeToSpare() {
        load(0, 1000, 500);
        assertEquals(0.5, busy.share(), 0.02);
        assertTrue(busy.hasSpareTime());
    }

    @Test
    void aPauseLongerThanTheWindowForgetsTheLoad() {
        load(0, 1000, 950);
        assertFalse(busy.hasSpareTime());
        busy.ran(1200 * MS, 1201 * MS); // the first batch after 200 ms of idling
        assertTrue(busy.share() < 0.01, "share " + busy.share());
    }
}
