package org.inferis.backend.torch;

import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.inferis.backend.BackendException;
import org.inferis.backend.ThreadBindings;
import org.inferis.tensor.Tensor;

/**
 * How a model's or script's calls hand their input tensors to libtorch: through the calling thread's
 * {@link TorchBinding}s when their shapes come often, else wrapped where {@link TorchTensors#in} staged them.
 * The memory of every binding made stays until {@link #close()}, which comes after the module is freed: a model may
 * have kept a view of its input past the binding's life. So a model binds at most {@link #MAX_KEPT_BYTES} in all.
 */
final class TorchInputs implements AutoCloseable {
    /** Binding memory a model or script may keep: every batch size of 1 to 32 of the reference CNN is 1.6 MiB. */
    static final long MAX_KEPT_BYTES = 8L << 20;

    private final PtNDManager manager;
    /** Each thread's; a thread's own calls alone use it, {@link #close()} (with no call left) closes them all. */
    private final Map<Thread, ThreadBindings<TorchBinding>> bindings = new ConcurrentHashMap<>();
    /** The memory of every binding made; guarded by itself. */
    private final List<ByteBuffer> kept = new ArrayList<>();
    private long keptBytes;

    /** @param owner the model's or script's manager; the bindings' tensors live in a sub-manager of it */
    TorchInputs(PtNDManager owner) {
        this.manager = (PtNDManager) owner.newSubManager();
    }

    /** The call's inputs as libtorch tensors owned by {@code callManager}, valid until this thread's next call. */
    List<PtNDArray> in(PtNDManager callManager, List<Tensor> tensors) throws BackendException {
        ThreadBindings<TorchBinding> mine = bindings.computeIfAbsent(Thread.currentThread(),
                thread -> new ThreadBindings<>());
        TorchBinding binding = mine.find(tensors);
        if (binding == null && mine.countUnbound(tensors)) {
            binding = TorchBinding.of(manager, tensors);
            if (binding != null && !keep(binding)) {
                binding.close();
                binding = null;
            }
            if (binding != null) {
                mine.add(binding);
            }
        }
        return binding != null ? binding.views(callManager, tensors) : TorchTensors.in(callManager, tensors);
    }

    /** Takes the binding's memory into keeping; false when that would pass {@link #MAX_KEPT_BYTES}. */
    private boolean keep(TorchBinding binding) {
        synchronized (kept) {
            if (keptBytes + binding.bytes() > MAX_KEPT_BYTES) {
                return false;
            }
            keptBytes += binding.bytes();
            kept.addAll(binding.memory());
            return true;
        }
    }

    /** Frees the bindings and their memory; the module must be freed first. */
    @Override
    public void close() {
        bindings.values().forEach(ThreadBindings::close);
        bindings.clear();
        manager.close();
        synchronized (kept) {
            kept.clear();
        }
    }
}
