package org.inferis.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayDeque;
import java.util.List;
import org.junit.jupiter.api.Test;

/** When workers may spin: decided from the machine's load over a quiet tick, one without spinning. */
class WorkerSpinTest {
    /** A spin of 100 µs on a machine whose successive load readings are given. */
    private static WorkerSpin spin(int cores, Double... loads) {
        ArrayDeque<Double> readings = new ArrayDeque<>(List.of(loads));
        return new WorkerSpin(cores, () -> 100, readings::poll);
    }

    @Test
    void spinsOnlyOnceAQuietTickShowedCoresToSpareAndChecksAgainAfterTicksOfSpinning() {
        WorkerSpin spin = spin(2, 0.0, 0.3, 0.0, 0.9);
        assertEquals(0, spin.budgetNanos(), "nothing measured yet");
        spin.tick(); // the quiet tick opens
        assertEquals(0, spin.budgetNanos());
        spin.tick(); // 30% of 2 cores busy: 1.4 idle
        assertEquals(100_000, spin.budgetNanos());
        for (int i = 1; i < WorkerSpin.TICKS_BETWEEN_CHECKS; i++) {
            spin.tick(); // the decision holds, whatever spinning does to the load meanwhile
            assertEquals(100_000, spin.budgetNanos());
        }
        spin.tick(); // the next quiet tick: no spinning while it is measured
        assertEquals(0, spin.budgetNanos());
        spin.tick(); // 90% busy: 0.2 cores idle
        assertEquals(0, spin.budgetNanos());
    }

    @Test
    void whileNothingSpinsEveryTickIsMeasuredSoSpinningResumesOneTickAfterTheLoadGoes() {
        WorkerSpin spin = spin(2, 0.0, 0.9, 0.8, 0.2);
        spin.tick(); // opens
        spin.tick(); // 0.2 idle
        assertEquals(0, spin.budgetNanos());
        spin.tick(); // 0.4 idle
        assertEquals(0, spin.budgetNanos());
        spin.tick(); // 1.6 idle: the very next tick decides, not one a cycle later
        assertEquals(100_000, spin.budgetNanos());
    }

    @Test
    void neverOnOneCoreNorWhenTheLoadIsUnknown() {
        WorkerSpin oneCore = spin(1, 0.0, 0.0);
        oneCore.tick();
        oneCore.tick();
        assertEquals(0, oneCore.budgetNanos());
        WorkerSpin unknown = spin(2, -1.0, -1.0);
        unknown.tick();
        unknown.tick();
        assertEquals(0, unknown.budgetNanos());
    }

    @Test
    void theOptionSetsTheSpinAndZeroTurnsItOff() {
        long[] micros = {250};
        WorkerSpin spin = new WorkerSpin(4, () -> micros[0], () -> 0.0);
        spin.tick();
        spin.tick();
        assertEquals(250_000, spin.budgetNanos());
        micros[0] = 0;
        assertEquals(0, spin.budgetNanos());
    }
}
