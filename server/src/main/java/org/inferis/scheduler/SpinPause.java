package org.inferis.scheduler;

/**
 * The pause between two checks of a thread spinning for work, by what it waits for.
 * <p>
 * Awaiting a run's result (an event loop whose client waits on it): for the first {@link #BUSY_NANOS} a CPU pause
 * hint; after that the thread yields its core, so a thread woken onto it (a compiler thread, another client) runs at
 * once instead of waiting for the spinner's time slice. At one client on 2 cores, busy spinning alone put the p99 at
 * 160-180 µs for the ONNX Linear and 240-270 µs for the TorchScript one; yielding from the start brought them to
 * 90-120 and 190-215 but the ONNX p50 from 36 to 43-52 µs (a yield costs a system call); yielding after 20 µs kept
 * both: p50 35-37 and 107-108 µs, p99 101-117 and 181-188.
 * <p>
 * Awaiting a client's next request (a worker after its batch, an event loop after a run's reply): a yield from the
 * first check. The client just answered needs a core to read its reply and send that request, and on 2 cores the
 * worker and the loop held both, busy, for their first 20 µs: perf sched saw the woken client wait 34 µs for a core.
 * Yielding there, four alternating rounds at one client against busy first: the reference CNN p50 80-109 µs against
 * 122-134 in ONNX (p99 266-309 against 349-730) and 403-435 against 427-457 in TorchScript; the Linear 36-44 against
 * 42-53 in ONNX and 111-117 against 121-161 in TorchScript.
 */
public final class SpinPause {
    static final long BUSY_NANOS = 20_000;

    private SpinPause() {
    }

    /** One pause of a spin for a run's result that has gone on for {@code spunNanos}. */
    public static void awaitingResult(long spunNanos) {
        if (spunNanos < BUSY_NANOS) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    /** One pause of a spin for a client's next request. */
    public static void awaitingRequest() {
        Thread.yield();
    }
}
