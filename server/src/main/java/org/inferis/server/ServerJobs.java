package org.inferis.server;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.inferis.keyspace.Key;
import org.inferis.keyspace.Value;
import org.inferis.model.ModelValue;
import org.inferis.scheduler.QueueFullException;
import org.inferis.tensor.Tensor;
import org.inferis.worker.JobRunner;

/** Stream workers' jobs, run on the models of this node's keyspace as AI.MODELEXECUTE runs them. */
final class ServerJobs implements JobRunner {
    private final ServerContext server;

    ServerJobs(ServerContext server) {
        this.server = server;
    }

    @Override
    public CompletableFuture<List<Tensor>> run(String model, List<Tensor> inputs) throws QueueFullException {
        CompletableFuture<List<Tensor>> run;
        synchronized (server.keyspace()) {
            Value value = server.keyspace().get(Key.of(model));
            if (!(value instanceof ModelValue stored)) {
                throw new JobFailedException(value == null ? "no model under key '" + model + "'"
                        : "key '" + model + "' holds no model");
            }
            int expected = stored.model().inputNames().size();
            if (expected > 0 && expected != inputs.size()) {
                throw new JobFailedException("model '" + model + "' takes " + expected + " inputs, the job has "
                        + inputs.size());
            }
            run = stored.start(server.scheduler(), inputs, null, 0);
        }
        if (run == null) { // deleted since
            throw new JobFailedException("no model under key '" + model + "'");
        }
        return run;
    }
}
