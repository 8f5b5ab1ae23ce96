package org.inferis.backend.torch;

import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.inferis.backend.BackendException;
import org.inferis.backend.ThreadBindings;
import org.inferis.tensor.Tensor;

/**
 * How a model's or script's calls hand their input tensors to libtorch: through the calling thread's
 * {@link TorchBinding}s when their shapes come often, else copied into new tensors ({@link TorchTensors#in}).
 */
final class TorchInputs implements AutoCloseable {
    private final PtNDManager owner;
    /** False for a model whose code may keep its input from call to call ({@link StatefulCode}). */
    private final boolean bindable;
    /** Each thread's; a thread's own calls alone use it, {@link #close()} (with no call left) closes them all. */
    private final Map<Thread, ThreadBindings<TorchBinding>> bindings = new ConcurrentHashMap<>();

    /**
     * @param owner    the model's or script's manager, whose sub-managers own the bindings' tensors
     * @param bindable false when every call is to get inputs of its own
     */
    TorchInputs(PtNDManager owner, boolean bindable) {
        this.owner = owner;
        this.bindable = bindable;
    }

    /** The call's inputs as libtorch tensors owned by {@code callManager}, valid until this thread's next call. */
    List<PtNDArray> in(PtNDManager callManager, List<Tensor> tensors) throws BackendException {
        if (!bindable) {
            return TorchTensors.in(callManager, tensors);
        }
        ThreadBindings<TorchBinding> mine = bindings.computeIfAbsent(Thread.currentThread(),
                thread -> new ThreadBindings<>());
        TorchBinding binding = mine.find(tensors);
        if (binding == null && mine.countUnbound(tensors)) {
            binding = TorchBinding.of(owner, tensors);
            if (binding != null) {
                mine.add(binding);
            }
        }
        return binding != null ? binding.views(callManager, tensors) : TorchTensors.in(callManager, tensors);
    }

    @Override
    public void close() {
        bindings.values().forEach(ThreadBindings::close);
        bindings.clear();
    }
}
