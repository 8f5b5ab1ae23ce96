package org.inferis.backend.tf;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.inferis.backend.BackendException;
import org.inferis.backend.IoNames;
import org.inferis.backend.LoadedModel;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.proto.RunOptions;

/** A frozen graph in a TF session, fed and fetched by the names given at store time; sessions run concurrently. */
final class TfModel implements LoadedModel {
    private final Graph graph;
    private final Session session;
    private final IoNames names;
    private final Io io;
    private final LongSupplier runTimeoutMillis;
    /** Threads in a run: each run carries TF's own deadline, so TF ends it without our help. */
    private final Set<Thread> running = ConcurrentHashMap.newKeySet();

    /**
     * What a run feeds and fetches: the endpoints' names, and for INT8/INT16 ones (see {@link NarrowTypes}) the
     * narrow type, else null.
     */
    record Io(List<String> feeds, DType[] narrowInputs, List<String> fetches, DType[] narrowOutputs) {
    }

    TfModel(Graph graph, Session session, IoNames names, Io io, LongSupplier runTimeoutMillis) {
        this.graph = graph;
        this.session = session;
        this.names = names;
        this.io = io;
        this.runTimeoutMillis = runTimeoutMillis;
    }

    @Override
    public List<String> inputNames() {
        return names.inputs();
    }

    @Override
    public List<String> outputNames() {
        return names.outputs();
    }

    @Override
    public List<Tensor> run(List<Tensor> inputs) throws BackendException {
        List<org.tensorflow.Tensor> fed = new ArrayList<>(inputs.size());
        Thread self = Thread.currentThread();
        running.add(self);
        long timeout = runTimeoutMillis.getAsLong();
        long start = System.nanoTime();
        try {
            Session.Runner runner = session.runner();
            for (int i = 0; i < inputs.size(); i++) {
                Tensor input = inputs.get(i);
                DType narrow = io.narrowInputs()[i];
                if (narrow != null && input.dtype() != narrow) {
                    throw new BackendException("input " + names.inputs().get(i) + " takes " + narrow + " tensors, not "
                            + input.dtype());
                }
                org.tensorflow.Tensor tensor = TfTensors.toTf(narrow == null ? input : TfTensors.widened(input));
                fed.add(tensor);
                runner.feed(io.feeds().get(i), tensor);
            }
            io.fetches().forEach(runner::fetch);
            if (timeout > 0) {
                runner.setOptions(RunOptions.newBuilder().setTimeoutInMs(timeout).build());
            }
            try (Result result = runner.run()) {
                List<Tensor> outputs = new ArrayList<>(result.size());
                for (int i = 0; i < result.size(); i++) {
                    Tensor output = TfTensors.fromTf(result.get(i));
                    DType narrow = io.narrowOutputs()[i];
                    outputs.add(narrow == null ? output : TfTensors.narrowed(output, narrow));
                }
                return outputs;
            }
        } catch (RuntimeException e) { // TF's status exceptions (deadline, bad shapes, ...) and conversion errors
            if (timeout > 0 && System.nanoTime() - start >= timeout * 1_000_000) {
                throw new BackendException("run exceeded model-execution-timeout (" + timeout + " ms); TensorFlow "
                        + "stopped it (" + BackendException.whole(e) + ")", e);
            }
            throw new BackendException(BackendException.whole(e), e);
        } finally {
            running.remove(self);
            fed.forEach(org.tensorflow.Tensor::close);
        }
    }

    /** TF stops the run at its deadline (model-execution-timeout), so a watchdog's call does not stay stuck. */
    @Override
    public boolean terminate(Thread runningOn) {
        return running.contains(runningOn) && runTimeoutMillis.getAsLong() > 0;
    }

    @Override
    public void close() {
        session.close();
        graph.close();
    }
}
