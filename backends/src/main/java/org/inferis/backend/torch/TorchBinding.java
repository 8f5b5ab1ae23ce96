package org.inferis.backend.torch;

import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.inferis.backend.BackendException;
import org.inferis.backend.InputSignature;
import org.inferis.backend.ThreadBindings;
import org.inferis.tensor.Tensor;

/**
 * One thread's input tensors of a TorchScript model or script, kept from call to call while their shapes stay the
 * same: each call copies its data into them instead of wrapping staged memory in new tensors (DJL's
 * {@code torchFromBlob} and freeing that tensor cost a fifth of a small forward: in-process p50 over three runs each,
 * the Linear(4,3) fixture took 85-88 µs a run that way and 70-74 µs bound, the reference CNN 396-416 and 371-397 µs).
 * Each call gets detached views of them: a model that changes its input's shape or strides in place
 * ({@code unsqueeze_}, {@code t_}) changes only its view, never the next call's input. They wrap memory of ours, as
 * staged inputs do, so libtorch cannot resize it ({@code resize_} fails as on any input) and reallocate it under the
 * next call's copy; and that memory outlives the binding ({@link TorchInputs} keeps it until the model is freed), as a
 * model may keep its input.
 */
final class TorchBinding implements ThreadBindings.Binding {
    /** A binding's tensors take at most this much memory. */
    static final long MAX_BYTES = 128 * 1024;
    private static final int ALIGNMENT = 64;

    private final InputSignature inputs;
    private final List<PtNDArray> tensors = new ArrayList<>();
    private final List<ByteBuffer> memory = new ArrayList<>();
    private final long bytes;

    /**
     * A binding for inputs like these, its tensors owned by {@code manager}; null when they cannot be bound: a model off
     * the CPU, empty tensors, or more than {@link #MAX_BYTES} in all.
     */
    static TorchBinding of(PtNDManager manager, List<Tensor> inputs) throws BackendException {
        if (!manager.getDevice().equals(ai.djl.Device.cpu())) {
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
        TorchBinding binding = new TorchBinding(new InputSignature(inputs), bytes);
        try {
            for (Tensor tensor : inputs) {
                int size = (int) tensor.byteSize();
                int units = (size + ALIGNMENT - 1) / ALIGNMENT;
                ByteBuffer memory = ByteBuffer.allocateDirect((units + 1) * ALIGNMENT) // room to align both ends
                        .alignedSlice(ALIGNMENT).limit(size).slice().order(ByteOrder.LITTLE_ENDIAN);
                binding.memory.add(memory);
                binding.tensors.add(JniUtils.createNdFromByteBuffer(manager, memory, new Shape(tensor.shape()),
                        TorchTensors.toDjl(tensor.dtype()), SparseFormat.DENSE, manager.getDevice()));
            }
        } catch (BackendException | RuntimeException e) {
            binding.close();
            throw e;
        }
        return binding;
    }

    private TorchBinding(InputSignature inputs, long bytes) {
        this.inputs = inputs;
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

    /** The memory its tensors wrap, which must live as long as the model. */
    List<ByteBuffer> memory() {
        return memory;
    }

    /** The run's inputs: the tensors' data copied in, one view of each kept tensor, owned by {@code runManager}. */
    List<PtNDArray> views(PtNDManager runManager, List<Tensor> runInputs) {
        List<PtNDArray> views = new ArrayList<>(runInputs.size());
        for (int i = 0; i < runInputs.size(); i++) {
            memory.get(i).clear().put(runInputs.get(i).data());
            PtNDArray view = JniUtils.detachGradient(tensors.get(i));
            view.attach(runManager);
            views.add(view);
        }
        return views;
    }

    /** Drops its tensors; their memory stays with {@link TorchInputs}. */
    @Override
    public void close() {
        tensors.forEach(PtNDArray::close);
    }
}
