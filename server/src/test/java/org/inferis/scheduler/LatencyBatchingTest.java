package org.inferis.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.util.List;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * LATENCY's decisions, on a queue driven by hand with made-up times: when a partial batch is held, until when, and
 * when it goes at once; and the forward-time fit they rest on.
 */
class LatencyBatchingTest {
    private static final long MS = 1_000_000;
    /** BATCHSIZE 8, LATENCY 10 ms. */
    private static final ModelQueue.Policy POLICY = new ModelQueue.Policy(8, 0, 0, 0, 10);
    private static final Runner UNUSED = inputs -> inputs;

    private final ModelQueue queue = new ModelQueue("m", "CPU", POLICY, List.of(UNUSED));

    private void arrive(long atNanos) {
        RunRequest run = new RunRequest(List.of(new Tensor(DType.FLOAT, new long[] {1}, ByteBuffer.allocate(4))), null,
                atNanos, () -> { }, () -> { });
        queue.waiting.add(run);
        queue.arrived(run);
    }

    @Test
    void untilTheModelHasRunNothingWaits() {
        arrive(0);
        arrive(MS / 10);
        Batch batch = queue.takeBatch(MS / 5, false);
        assertNotNull(batch, "no forward time known: what is there runs");
        assertEquals(2, batch.samples);
    }

    /** Forward time 6/7 ms + 1/7 ms a sample: 1 ms for one, 2 ms for eight; larger batches cost less a sample. */
    private void fixedCostModel() {
        for (int i = 0; i < 6; i++) {
            queue.timing.ran(1, MS);
            queue.timing.ran(8, 2 * MS);
        }
    }

    /** Runs that arrived (and were served) over the last 10 ms at this many a millisecond. */
    private void recentLoad(int perMs, long untilNanos) {
        for (long t = untilNanos - 10 * MS; t < untilNanos; t += MS / perMs) {
            queue.timing.arrived(t, 1);
        }
    }

    @Test
    void nearSaturationABatchWaitsUntilAFullOneCouldStillFinishInTime() {
        fixedCostModel();
        recentLoad(10, 0); // 10 a ms, each adding 1/7 ms of forward: more than the device can serve
        for (int i = 0; i < 4; i++) {
            arrive(i * MS / 10);
        }
        long now = MS / 2;
        assertNull(queue.takeBatch(now, false), "more runs are expected before the deadline: wait for them");
        // head queued at 0: 10 ms target - 1 ms margin - 2 ms forward
        assertEquals(7 * MS - now, queue.nanosUntilRelease(now));
        for (int i = 4; i < 8; i++) {
            arrive(now + i * MS / 10);
        }
        Batch full = queue.takeBatch(now + MS, false);
        assertNotNull(full, "full: it goes at once");
        assertEquals(8, full.samples);
    }

    @Test
    void aHeldBatchGoesAtItsDeadline() {
        fixedCostModel();
        recentLoad(10, 0);
        arrive(0);
        arrive(MS / 10);
        arrive(MS / 5);
        assertNull(queue.takeBatch(MS / 4, false));
        Batch late = queue.takeBatch(7 * MS, false);
        assertNotNull(late, "at the deadline the partial batch goes");
        assertEquals(3, late.samples);
    }

    @Test
    void aLoadTheDeviceKeepsUpWithAddsNoWait() {
        fixedCostModel();
        recentLoad(1, 0); // one a ms, each adding 1/7 ms: the device keeps up serving whatever waits
        arrive(0);
        arrive(MS / 10);
        Batch now = queue.takeBatch(MS / 5, false);
        assertNotNull(now);
        assertEquals(2, now.samples);
    }

    @Test
    void whenLargerBatchesCostTheSameASampleNothingWaits() {
        for (int i = 0; i < 6; i++) { // 1 ms a sample whatever the batch
            queue.timing.ran(8, 8 * MS);
            queue.timing.ran(2, 2 * MS);
        }
        recentLoad(10, 0);
        arrive(0);
        assertNotNull(queue.takeBatch(MS / 2, false), "waiting would add latency and save nothing");
    }

    @Test
    void untilBatchesOfDifferentSizesRanNothingWaits() {
        queue.timing.ran(1, MS); // only batches of one so far: the fixed cost is unknown
        recentLoad(10, 0);
        arrive(0);
        assertNotNull(queue.takeBatch(MS / 2, false));
    }

    @Test
    void whenNoOtherRunIsExpectedInTimeItGoesAtOnce() {
        fixedCostModel();
        arrive(0); // an idle period: one run in the last 10 ms
        Batch alone = queue.takeBatch(MS / 2, false);
        assertNotNull(alone, "an idle period adds no wait");
        assertEquals(1, alone.samples);
    }

    @Test
    void theForwardTimeFitFollowsBatchSize() {
        BatchTiming timing = new BatchTiming(10 * MS);
        assertEquals(-1, timing.forwardNanos(4));
        timing.ran(4, 4 * MS);
        assertEquals(8 * MS, timing.forwardNanos(8), "one size seen: proportional to samples");
        assertEquals(-1, timing.nanosPerSample(), "nor can it tell a batch's fixed cost from its samples'");
        timing.ran(8, 6 * MS);
        timing.ran(2, 3 * MS); // time = 2 ms + 0.5 ms a sample fits all three
        assertEquals(2 * MS + 16 * MS / 2, timing.forwardNanos(16), 1000);
        assertEquals(-1, timing.nanosPerSample(), "three batches are too few to trust");
        for (int i = 0; i < 4; i++) {
            timing.ran(8, 6 * MS);
            timing.ran(2, 3 * MS);
        }
        assertEquals(MS / 2, timing.nanosPerSample(), 1);
        assertEquals(0, timing.rate(0));
        timing.arrived(0, 3);
        timing.arrived(5 * MS, 1);
        assertEquals(0.4 / MS, timing.rate(5 * MS), 1e-12);
        assertEquals(0.1 / MS, timing.rate(12 * MS), 1e-12, "the run at 0 left the 10 ms window");
    }
}
