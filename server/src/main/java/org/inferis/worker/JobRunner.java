package org.inferis.worker;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.inferis.scheduler.QueueFullException;
import org.inferis.tensor.Tensor;

/** Runs a job's inputs through a model of this node, on the same queues and batches as RESP clients' runs. */
public interface JobRunner {
    /**
     * Queues the run. The future fails with {@link JobFailedException} (the text for the job's {@code error}) when
     * the model is missing or the engine refuses the inputs.
     *
     * @throws QueueFullException when the model's queue is at MAXQUEUE: the caller holds the job and tries later
     */
    CompletableFuture<List<Tensor>> run(String model, List<Tensor> inputs) throws QueueFullException;

    /** A job that cannot succeed here, with the reason its result carries. */
    final class JobFailedException extends RuntimeException {
        public JobFailedException(String message) {
            super(message, null, false, false);
        }
    }
}
