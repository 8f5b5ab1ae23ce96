package org.inferis.backend;

import java.util.List;
import org.inferis.tensor.Tensor;

/** A compiled TorchScript script. Calls may run from several threads; {@link #close} frees it. */
public interface LoadedScript extends AutoCloseable {
    /** Whether the script defines a function of that name that can be called. */
    boolean hasFunction(String name);

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

    @Override
    void close();
}
