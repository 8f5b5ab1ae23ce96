package org.inferis.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayDeque;
import java.util.List;
import org.junit.jupiter.api.Test;

/** When workers may spin: decided each cycle from the machine's load over a tick without spinning. */
class WorkerSpinTest {
    /** A spin of 100 µs on a machine whose successive load readings are given. */
    private static WorkerSpin spin(int cores, Double... loads) {
        ArrayDeque<Double> readings = new ArrayDeque<>(List.of(loads));
        return new WorkerSpin(cores, () -> 100, readings::poll);
    }

    @Test
    void spinsOnlyOnceATickWithoutSpinningShowedCoresToSpare() {
        WorkerSpin spin = spin(2, 0.0, 0.3, 0.0, 0.9);
        assertEquals(0, spin.budgetNanos(), "nothing measured yet");
        spin.tick(); // the quiet tick opens
        assertEquals(0, spin.budgetNanos());
        spin.tick(); // 30% of 2 cores busy: 1.4 idle
        assertEquals(100_000, spin.budgetNanos());
        for (int i = 2; i < WorkerSpin.TICKS_PER_CYCLE; i++) {
            spin.tick(); // the decision holds for the cycle, whatever spinning does to the load meanwhile
            assertEquals(100_000, spin.budgetNanos());
        }
        spin.tick(); // the next cycle's quiet tick: no spinning while it is measured
        assertEquals(0, spin.budgetNanos());
        spin.tick(); // 90% busy: 0.2 cores idle
        assertEquals(0, spin.budgetNanos());
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
