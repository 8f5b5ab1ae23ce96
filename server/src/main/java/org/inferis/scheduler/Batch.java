package org.inferis.scheduler;

import java.util.ArrayList;
import java.util.List;
import org.inferis.backend.BackendException;
import org.inferis.tensor.Tensor;

/**
 * Runs taken together: their inputs stacked along dim 0, one engine call, the outputs split back so
 * each run gets exactly its own rows. A single run goes to the engine as it is.
 */
final class Batch {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Batch.class);
    static final String WRONG_BATCH_SIZE = "Model did not generate the expected batch size";

    final ModelQueue queue;
    final Runner instance;
    private final List<RunRequest> runs;
    final long samples;
    /** Set by whoever answers the runs first: the engine's result, or the watchdog giving up on it. */
    private final java.util.concurrent.atomic.AtomicBoolean settled = new java.util.concurrent.atomic.AtomicBoolean();
    /** Why the watchdog gave up on the engine call, or null. */
    private volatile String givenUp;

    Batch(ModelQueue queue, Runner instance, List<RunRequest> runs, long samples) {
        this.queue = queue;
        this.instance = instance;
        this.runs = runs;
        this.samples = samples;
    }

    /** Asks the engine to stop this batch's call on that thread: the run's own call (a script's), or the model's. */
    boolean terminate(Thread runningOn) {
        RunRequest single = runs.size() == 1 ? runs.get(0) : null;
        return (single != null && single.call != null ? single.call : instance).terminate(runningOn);
    }

    /**
     * Completes every run of the batch, whatever happens: an engine's output too large for the heap, too, fails the
     * batch's runs, not the worker thread (whose runs would wait for ever).
     */
    void execute(RunObserver observer) {
        try {
            runAndSplit(observer);
        } catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
            failAll("internal error while running the batch: " + e);
        }
    }

    private void runAndSplit(RunObserver observer) {
        long start = System.nanoTime();
        for (RunRequest run : runs) {
            observer.waited(queue.name, start - run.enqueuedNanos);
        }
        List<Tensor> outputs;
        try {
            RunRequest single = runs.size() == 1 ? runs.get(0) : null;
            outputs = single == null ? instance.run(stackedInputs())
                    : (single.call != null ? single.call : instance).run(single.inputs);
        } catch (BackendException e) {
            if (e.hasCrashedTheEngine() && queue.crashedTheEngineOnce()) {
                LOG.warn("{}", queue.quarantine());
            }
            failAll(e.getMessage());
            return;
        }
        long nanos = System.nanoTime() - start;
        long micros = nanos / 1000;
        queue.timing.ran(samples, nanos);
        observer.ran(queue.name, runs.size(), samples, nanos);
        if (queue.policy.batchSize() > 0) {
            for (Tensor output : outputs) {
                if (output.rank() == 0 || output.dim(0) != samples) {
                    failAll(WRONG_BATCH_SIZE);
                    return;
                }
            }
        }
        if (!settled.compareAndSet(false, true)) {
            return; // the watchdog already answered these runs
        }
        queue.stats.recordBatch(runs.size(), samples, micros);
        long row = 0;
        long now = System.nanoTime();
        for (RunRequest run : runs) {
            List<Tensor> mine = outputs;
            if (runs.size() > 1) {
                mine = new ArrayList<>(outputs.size());
                for (Tensor output : outputs) {
                    mine.add(output.slice(row, run.samples));
                }
                row += run.samples;
            }
            queue.stats.recordLatency((now - run.enqueuedNanos) / 1000);
            run.result.complete(mine);
        }
    }

    private List<Tensor> stackedInputs() {
        int count = runs.get(0).inputs.size();
        List<Tensor> stacked = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            List<Tensor> parts = new ArrayList<>(runs.size());
            for (RunRequest run : runs) {
                parts.add(run.inputs.get(i));
            }
            stacked.add(Tensor.concat(parts));
        }
        return stacked;
    }

    /** Answers every run with the error (the watchdog's, once it gave up), unless they were answered already. */
    void failAll(String error) {
        if (!settled.compareAndSet(false, true)) {
            return;
        }
        String reason = givenUp != null ? givenUp : error;
        queue.stats.recordErrors(runs.size());
        // at verbose (loglevel verbose or debug): each failure is answered to its client, the log is for operators
        LOG.debug("Run of '{}' failed ({} run(s), {} sample(s)): {}", queue.name, runs.size(), samples, reason);
        for (RunRequest run : runs) {
            run.result.completeExceptionally(new BackendException(reason));
        }
    }

    /**
     * The watchdog gives up on this batch's engine call: from now on a failure of the call is answered with the
     * reason, not with what stopping it made of it (the engine process it killed).
     */
    void giveUp(String reason) {
        givenUp = reason;
    }

    /**
     * The watchdog gave up on this batch's engine call: its runs get the reason (unless answered already), and a
     * shutdown need not wait for them.
     */
    void abandon() {
        failAll(givenUp);
        runs.forEach(RunRequest::settled);
    }

    /**
     * Releases the runs' references on their model or script. Called by the worker once the engine call returned,
     * never by the watchdog: an abandoned call may still be inside the engine, which must not be freed under it.
     */
    void release() {
        runs.forEach(RunRequest::finished);
    }
}
