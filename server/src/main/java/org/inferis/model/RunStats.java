package org.inferis.model;

import java.util.concurrent.atomic.LongAdder;

/** AI.INFO's counters for one model or script: run time in µs, samples (sum of dim 0), calls, errors. */
public final class RunStats {
    private final LongAdder durationMicros = new LongAdder();
    private final LongAdder samples = new LongAdder();
    private final LongAdder calls = new LongAdder();
    private final LongAdder errors = new LongAdder();

    public void recordRun(long micros, long runSamples) {
        durationMicros.add(micros);
        samples.add(runSamples);
        calls.increment();
    }

    /** A failed run counts as a call and an error, as in RedisAI. */
    public void recordError() {
        calls.increment();
        errors.increment();
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

    public void reset() {
        durationMicros.reset();
        samples.reset();
        calls.reset();
        errors.reset();
    }
}
