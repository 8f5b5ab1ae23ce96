package org.inferis.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.List;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * When a greedy batch that would take every queued run goes as two halves ({@link ModelQueue}): on a queue driven by
 * hand, with made-up forward times.
 */
class BatchSplitTest {
    private static final long US = 1_000;
    private static final Runner UNUSED = inputs -> inputs;

    private ModelQueue queue = queue(new ModelQueue.Policy(32, 0, 0, 0));

    private static ModelQueue queue(ModelQueue.Policy policy) {
        return new ModelQueue("m", "CPU", policy, List.of(UNUSED));
    }

    private void arrive(long... samples) {
        for (long rows : samples) {
            RunRequest run = new RunRequest(List.of(new Tensor(DType.FLOAT, new long[] {rows, 1},
                    ByteBuffer.allocate((int) rows * 4))), null, 0, () -> { }, () -> { });
            queue.waiting.add(run);
            queue.arrived(run);
        }
    }

    private void arriveOnes(int runs) {
        for (int i = 0; i < runs; i++) {
            arrive(1);
        }
    }

    /** Batches of 32 took this long a sample. */
    private void ranAt(long nanosPerSample) {
        queue.timing.ran(32, 32 * nanosPerSample);
    }

    /** The samples of the next batch taken, or 0 for none; the taken instance goes back as a worker would return it. */
    private long take(boolean spare) {
        Batch batch = queue.takeBatch(0, spare);
        if (batch == null) {
            return 0;
        }
        queue.returnInstance(batch.instance);
        return batch.samples;
    }

    @Test
    void aBatchThatWouldTakeEveryQueuedRunGoesAsTwoHalves() {
        ranAt(50 * US); // half of 16: 400 µs
        arriveOnes(16);
        assertEquals(8, take(true));
        assertEquals(8, take(true), "the second half: too small to halve again");
        assertEquals(0, take(true));
    }

    @Test
    void aHalfLeftAloneInTheQueueHalvesAgainWhileItsHalvesAreLargeEnough() {
        ranAt(50 * US);
        arriveOnes(32);
        assertEquals(16, take(true));
        assertEquals(8, take(true));
        assertEquals(8, take(true));
    }

    @Test
    void aBusyDeviceTakesThemAll() {
        ranAt(50 * US);
        arriveOnes(16);
        assertEquals(16, take(false));
    }

    @Test
    void runsLeftQueuedAnywayMeanNoSplit() {
        ranAt(50 * US);
        arriveOnes(40);
        assertEquals(32, take(true), "a full batch leaves 8 queued for the next forward");
        assertEquals(8, take(true));
    }

    @Test
    void shortForwardsAndSmallBatchesAreNotSplit() {
        ranAt(20 * US); // half of 16: 160 µs
        arriveOnes(16);
        assertEquals(16, take(true), "halves too short to cover the other's trip");
        ranAt(50 * US);
        arriveOnes(15);
        assertEquals(15, take(true), "halves under 8 samples");
    }

    @Test
    void nothingIsSplitBeforeTheModelRan() {
        arriveOnes(16);
        assertEquals(16, take(true));
    }

    @Test
    void runsOfSeveralSamplesSplitBetweenRunsWhenBothHalvesAreLargeEnough() {
        ranAt(50 * US);
        arrive(12, 4, 4, 4);
        assertEquals(12, take(true));
        assertEquals(12, take(true));
        arrive(2, 14);
        assertEquals(16, take(true), "a first half of 2 samples: not split");
    }

    @Test
    void minBatchSizeAndLatencyKeepTheirOwnRules() {
        for (ModelQueue.Policy policy : List.of(new ModelQueue.Policy(32, 16, 0, 0),
                new ModelQueue.Policy(32, 0, 0, 0, 1000))) {
            queue = queue(policy);
            ranAt(50 * US);
            arriveOnes(16);
            assertEquals(16, take(true), policy.toString());
        }
    }
}
