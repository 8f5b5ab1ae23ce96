package org.inferis.scheduler;

/** Told about every batch the workers run, for metrics; implementations must be cheap and thread-safe. */
public interface RunObserver {
    RunObserver NONE = new RunObserver() {
        @Override
        public void waited(String queue, long nanos) {
        }

        @Override
        public void ran(String queue, int requests, long samples, long nanos) {
        }
    };

    /** A run of the named model or script waited this long in its queue before its batch started. */
    void waited(String queue, long nanos);

    /** A batch of {@code requests} runs and {@code samples} samples took this long in the engine. */
    void ran(String queue, int requests, long samples, long nanos);
}
