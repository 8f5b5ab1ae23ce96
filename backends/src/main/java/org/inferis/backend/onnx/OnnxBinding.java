package org.inferis.backend.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.inferis.backend.BackendException;
import org.inferis.backend.InputSignature;
import org.inferis.backend.ThreadBindings;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;

/**
 * One thread's input and output tensors of a session, kept from run to run while the input shapes stay the same:
 * inputs are copied into direct memory ONNX Runtime reads in place, and it writes the outputs into direct memory of
 * their own. Creating and closing a run's tensors through ONNX Runtime's Java binding costs more than a small model's
 * forward (the binding looks classes and methods up through JNI for every tensor it returns): measured in-process,
 * the Linear(4,3) fixture took 14.8 µs a run that way and 5 µs bound, the reference CNN 109 and 96 µs.
 */
final class OnnxBinding implements ThreadBindings.Binding {
    /** A binding takes at most this much direct memory, inputs and outputs together. */
    static final long MAX_BYTES = 128 * 1024;

    private final InputSignature inputs;
    private final long bytes;
    private final List<ByteBuffer> inputMemory = new ArrayList<>();
    private final Map<String, OnnxTensor> feed = new HashMap<>();
    private final List<Tensor> outputs = new ArrayList<>(); // shape and dtype of each output, over its direct memory
    private final Map<String, OnnxTensor> pinned = new HashMap<>();

    /**
     * A binding for runs like the one that took {@code inputs} and returned {@code outputs}, or null when that run
     * cannot be bound: STRING or empty tensors, or more than {@link #MAX_BYTES} in all.
     */
    static OnnxBinding of(OrtEnvironment environment, List<String> inputNames, List<Tensor> inputs,
                          List<String> outputNames, List<Tensor> outputs) throws OrtException, BackendException {
        long bytes = 0;
        for (Tensor tensor : concat(inputs, outputs)) {
            if (tensor.dtype() == DType.STRING || tensor.byteSize() == 0) {
                return null;
            }
            bytes += tensor.byteSize();
        }
        if (bytes > MAX_BYTES || outputs.size() != outputNames.size()) {
            return null;
        }
        OnnxBinding binding = new OnnxBinding(new InputSignature(inputs), bytes);
        try {
            for (int i = 0; i < inputs.size(); i++) {
                ByteBuffer memory = direct(inputs.get(i).byteSize());
                binding.inputMemory.add(memory);
                binding.feed.put(inputNames.get(i), tensorOver(environment, memory, inputs.get(i)));
            }
            for (int i = 0; i < outputs.size(); i++) {
                Tensor output = outputs.get(i);
                ByteBuffer memory = direct(output.byteSize());
                binding.outputs.add(new Tensor(output.dtype(), output.shape(), memory));
                binding.pinned.put(outputNames.get(i), tensorOver(environment, memory, output));
            }
        } catch (OrtException | BackendException | RuntimeException e) {
            binding.close();
            throw e;
        }
        return binding;
    }

    private OnnxBinding(InputSignature inputs, long bytes) {
        this.inputs = inputs;
        this.bytes = bytes;
    }

    /** The direct memory it takes. */
    @Override
    public long bytes() {
        return bytes;
    }

    private static List<Tensor> concat(List<Tensor> first, List<Tensor> second) {
        List<Tensor> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }

    private static ByteBuffer direct(long bytes) {
        return ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static OnnxTensor tensorOver(OrtEnvironment environment, ByteBuffer memory, Tensor like)
            throws OrtException, BackendException {
        OnnxJavaType type = OnnxModel.toOnnx(like.dtype());
        return OnnxTensor.createTensor(environment, memory.duplicate().order(ByteOrder.LITTLE_ENDIAN), like.shape(), type);
    }

    @Override
    public boolean fits(List<Tensor> tensors) {
        return inputs.fits(tensors);
    }

    /** The inputs to run on, once the tensors' data is copied in. */
    Map<String, OnnxTensor> feed(List<Tensor> tensors) {
        for (int i = 0; i < tensors.size(); i++) {
            inputMemory.get(i).clear().put(tensors.get(i).data());
        }
        return feed;
    }

    /** The outputs ONNX Runtime is to write into. */
    Map<String, OnnxTensor> pinned() {
        return pinned;
    }

    /** What the run wrote, copied out into tensors of their own before the next run overwrites it. */
    List<Tensor> results() {
        List<Tensor> results = new ArrayList<>(outputs.size());
        for (Tensor output : outputs) {
            ByteBuffer copy = ByteBuffer.allocate((int) output.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
            copy.put(output.data()).flip();
            results.add(new Tensor(output.dtype(), output.shape(), copy));
        }
        return results;
    }

    @Override
    public void close() {
        feed.values().forEach(OnnxTensor::close);
        pinned.values().forEach(OnnxTensor::close);
    }
}
