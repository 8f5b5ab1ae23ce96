package org.inferis.scheduler;

/**
 * The pause between two checks of a thread spinning for work (a worker for its next run, an event loop for a run's
 * reply). For the first {@link #BUSY_NANOS} a CPU pause hint; after that the thread yields its core, so a thread
 * woken onto it (the client, a compiler thread) runs at once instead of waiting for the spinner's time slice. At one
 * client on 2 cores, busy spinning alone put the p99 at 160-180 µs for the ONNX Linear and 240-270 µs for the
 * TorchScript one; yielding from the start brought them to 90-120 and 190-215 but the ONNX p50 from 36 to 43-52 µs
 * (a yield costs a system call); yielding after 20 µs kept both: p50 35-37 and 107-108 µs, p99 101-117 and 181-188.
 */
public final class SpinPause {
    static final long BUSY_NANOS = 20_000;

    private SpinPause() {
    }

    /** One pause of a spin that has gone on for {@code spunNanos}. */
    public static void after(long spunNanos) {
        if (spunNanos < BUSY_NANOS) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }
}
