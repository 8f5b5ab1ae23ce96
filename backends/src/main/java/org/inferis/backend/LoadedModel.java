package org.inferis.backend;

import java.util.List;
import org.inferis.tensor.Tensor;

/**
 * A model in an engine's memory. {@link #run} may be called from several threads at once; each call
 * releases its native tensors before returning. {@link #close} frees the model's native memory and is
 * called once no run uses it any more.
 */
public interface LoadedModel extends AutoCloseable {
    /** Input names in the order runs take them; empty when the format does not say. */
    List<String> inputNames();

    /** Output names in the order runs return them ("" where the format names none); empty when unknown. */
    List<String> outputNames();

    /** Runs the model; outputs are copied out of the engine once, into heap buffers. */
    List<Tensor> run(List<Tensor> inputs) throws BackendException;

    /**
     * Asks the engine to stop the run on that thread (it then fails with the engine's error); false where the engine
     * offers no way (libtorch), or no run of this model is on that thread.
     */
    default boolean terminate(Thread runningOn) {
        return false;
    }

    @Override
    void close();
}
