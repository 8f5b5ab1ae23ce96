package org.inferis.scheduler;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.inferis.tensor.Tensor;

/** One client's run waiting in a model queue: its inputs, and the future its outputs complete. */
final class RunRequest {
    final List<Tensor> inputs;
    final long samples;
    final long enqueuedNanos;
    /** The request's own call (a script function with its keys and args), or null to use the queue's instance. */
    final Runner call;
    final CompletableFuture<List<Tensor>> result = new CompletableFuture<>();
    private final Runnable onDone;
    private final AtomicBoolean done = new AtomicBoolean();
    private final Runnable onSettled;
    private final AtomicBoolean settled = new AtomicBoolean();

    /**
     * @param onDone    the owner's release, once the run is over and no engine call uses its inputs any more
     * @param onSettled once the run holds up nothing any more: finished, or answered by the watchdog while its engine
     *                  call goes on (a shutdown need not wait for it)
     */
    RunRequest(List<Tensor> inputs, Runner call, long enqueuedNanos, Runnable onDone, Runnable onSettled) {
        this.inputs = inputs;
        this.call = call;
        Tensor first = inputs.isEmpty() ? null : inputs.get(0);
        this.samples = first == null || first.rank() == 0 ? 1 : first.dim(0);
        this.enqueuedNanos = enqueuedNanos;
        this.onDone = onDone;
        this.onSettled = onSettled;
    }

    /**
     * Whether this run may share a batch with another: same inputs but for dim 0, and within each run every input
     * has the same dim 0 (else splitting the outputs by rows would hand one client's rows to another).
     */
    boolean stacksWith(RunRequest other) {
        if (inputs.size() != other.inputs.size() || !rowsAgree() || !other.rowsAgree()) {
            return false;
        }
        for (int i = 0; i < inputs.size(); i++) {
            if (!inputs.get(i).stacksWith(other.inputs.get(i))) {
                return false;
            }
        }
        return true;
    }

    private boolean rowsAgree() {
        for (Tensor input : inputs) {
            if (input.rank() == 0 || input.dim(0) != samples) {
                return false;
            }
        }
        return true;
    }

    /** Runs the owner's release exactly once, however the run ended; settles it too. */
    void finished() {
        if (done.compareAndSet(false, true)) {
            onDone.run();
        }
        settled();
    }

    /**
     * Runs the owner's {@code onSettled} once: the run is finished, or was answered by the watchdog while its engine
     * call goes on.
     */
    void settled() {
        if (settled.compareAndSet(false, true)) {
            onSettled.run();
        }
    }
}
