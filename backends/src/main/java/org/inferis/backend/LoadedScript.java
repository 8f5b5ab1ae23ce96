package org.inferis.backend;

import java.util.List;
import java.util.Set;
import org.inferis.tensor.Tensor;

/** A compiled TorchScript script. Calls may run from several threads; {@link #close} frees it. */
public interface LoadedScript extends AutoCloseable {
    /** The functions the script defines that can be called. */
    Set<String> functionNames();

    /** Whether the script defines a function of that name that can be called. */
    default boolean hasFunction(String name) {
        return functionNames().contains(name);
    }

    /**
     * Calls {@code fn(tensors: List[Tensor], keys: List[str], args: List[str])}, as AI.SCRIPTEXECUTE does;
     * any list may be empty. Tensors the function returns (one, a list or a tuple) are copied out once. A function
     * without that signature (from a deprecated AI.SCRIPTSET) gets the tensors as its arguments, in order.
     */
    List<Tensor> execute(String fn, List<Tensor> tensors, List<String> keys, List<String> args) throws BackendException;

    /**
     * Calls a function with tensors as positional arguments and, when {@code variadic} is not null, a final
     * {@code List[Tensor]} argument, as the deprecated AI.SCRIPTRUN does.
     */
    List<Tensor> call(String fn, List<Tensor> positional, List<Tensor> variadic) throws BackendException;

    /** As {@link LoadedModel#terminate}: asks the engine to stop the call on that thread, where it has a way. */
    default boolean terminate(Thread runningOn) {
        return false;
    }

    @Override
    void close();
}
