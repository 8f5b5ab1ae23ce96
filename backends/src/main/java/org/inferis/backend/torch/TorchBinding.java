package org.inferis.backend.torch;

import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import org.inferis.backend.BackendException;
import org.inferis.backend.InputSignature;
import org.inferis.backend.ThreadBindings;
import org.inferis.tensor.Tensor;

/**
 * One thread's input tensors of a TorchScript model or script, kept from call to call while their shapes stay the
 * same: each call copies its data into them instead of making new tensors, which through DJL costs more than a small
 * forward's arithmetic (in-process p50 over three runs each: the Linear(4,3) fixture took 85-88 µs a call with DJL
 * wrapping staged memory in a new tensor and 75-79 µs bound, the reference CNN 396-416 and 390-397 µs).
 * Each call gets detached views of them: a model that changes its input's shape or strides in place
 * ({@code unsqueeze_}, {@code t_}) changes only its view, never the next call's input. The calls share the memory, so
 * models whose code may keep a tensor are never bound ({@link StatefulCode}). libtorch allocated it and counts
 * references to it, and a model that grows its input ({@code resize_}) has it reallocated: each call asks where the
 * memory is before copying into it.
 */
final class TorchBinding implements ThreadBindings.Binding {
    /** A binding's tensors take at most this much memory. */
    static final long MAX_BYTES = 128 * 1024;

    private final InputSignature inputs;
    private final PtNDManager manager;
    private final List<PtNDArray> tensors = new ArrayList<>();
    private final long bytes;

    /**
     * A binding for inputs like these, its tensors owned by a sub-manager of the model's; null when they cannot be
     * bound: a model off the CPU, empty tensors, or more than {@link #MAX_BYTES} in all.
     */
    static TorchBinding of(PtNDManager model, List<Tensor> inputs) throws BackendException {
        if (!model.getDevice().equals(ai.djl.Device.cpu())) {
            return null; // inputs reach a GPU through a copy anyway
        }
        long bytes = 0;
        for (Tensor tensor : inputs) {
            if (tensor.byteSize() == 0) {
                return null;
            }
            bytes += tensor.byteSize();
        }
        if (bytes > MAX_BYTES) {
            return null;
        }
        TorchBinding binding = new TorchBinding(new InputSignature(inputs), (PtNDManager) model.newSubManager(), bytes);
        try {
            for (Tensor tensor : inputs) {
                binding.tensors.add(TorchTensors.empty(binding.manager, tensor));
            }
        } catch (BackendException | RuntimeException e) {
            binding.close();
            throw e;
        }
        return binding;
    }

    private TorchBinding(InputSignature inputs, PtNDManager manager, long bytes) {
        this.inputs = inputs;
        this.manager = manager;
        this.bytes = bytes;
    }

    @Override
    public boolean fits(List<Tensor> tensors) {
        return inputs.fits(tensors);
    }

    @Override
    public long bytes() {
        return bytes;
    }

    /** The run's inputs: the tensors' data copied in, one view of each kept tensor, owned by {@code runManager}. */
    List<PtNDArray> views(PtNDManager runManager, List<Tensor> runInputs) {
        List<PtNDArray> views = new ArrayList<>(runInputs.size());
        for (int i = 0; i < runInputs.size(); i++) {
            TorchTensors.copyInto(tensors.get(i), runInputs.get(i)); // a model that grew its input had it reallocated
            PtNDArray view = JniUtils.detachGradient(tensors.get(i));
            view.attach(runManager);
            views.add(view);
        }
        return views;
    }

    @Override
    public void close() {
        manager.close();
    }
}
