package org.inferis.backend.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.inferis.backend.BackendException;
import org.inferis.backend.DirectStaging;
import org.inferis.backend.LoadedModel;
import org.inferis.backend.ThreadBindings;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;

/** An ONNX Runtime session; each run closes its input and output tensors before returning. */
final class OnnxModel implements LoadedModel {
    private final OrtEnvironment environment;
    private final OrtSession session;
    private final List<String> inputNames;
    private final List<String> outputNames;
    /** Each thread's; a thread's own runs alone use it, {@link #close()} (with no run left) closes them all. */
    private final Map<Thread, ThreadBindings<OnnxBinding>> bindings = new java.util.concurrent.ConcurrentHashMap<>();
    /** False once a bound run failed where an unbound one did not: the outputs' shapes depend on the data. */
    private volatile boolean bindable = true;
    /** The run options of the call running on each thread, so the watchdog can terminate it. */
    private final Map<Thread, OrtSession.RunOptions> running = new java.util.concurrent.ConcurrentHashMap<>();

    /** What ONNX Runtime would run unchecked, checked before each run. */
    private final RunChecks.Bound checks;

    OnnxModel(OrtEnvironment environment, OrtSession session, RunChecks checks) throws OrtException {
        this.environment = environment;
        this.session = session;
        this.inputNames = List.copyOf(session.getInputInfo().keySet());
        this.outputNames = List.copyOf(session.getOutputInfo().keySet());
        try {
            this.checks = checks.bind(inputNames);
        } catch (IllegalArgumentException e) {
            session.close();
            throw e;
        }
    }

    @Override
    public List<String> inputNames() {
        return inputNames;
    }

    @Override
    public List<String> outputNames() {
        return outputNames;
    }

    @Override
    public List<Tensor> run(List<Tensor> inputs) throws BackendException {
        checks.check(inputs);
        Thread self = Thread.currentThread();
        try (OrtSession.RunOptions options = new OrtSession.RunOptions()) {
            running.put(self, options);
            try {
                return bindable ? runBound(self, inputs, options) : runUnbound(inputs, options);
            } finally {
                running.remove(self);
            }
        } catch (OrtException | RuntimeException e) {
            throw new BackendException(BackendException.whole(e), e);
        }
    }

    /**
     * Runs on one of this thread's {@link OnnxBinding}s when the inputs fit it, otherwise unbound, binding the inputs'
     * shapes once they come often ({@link ThreadBindings}). A model whose output shapes depend on the data fails a
     * bound run with other data: the run is repeated unbound (with the same options, so a terminated run stays
     * terminated), and the model binds no more.
     */
    private List<Tensor> runBound(Thread self, List<Tensor> inputs, OrtSession.RunOptions options)
            throws OrtException, BackendException {
        ThreadBindings<OnnxBinding> mine = bindings.computeIfAbsent(self, thread -> new ThreadBindings<>());
        OnnxBinding binding = mine.find(inputs);
        if (binding != null) {
            try (OrtSession.Result ignored = session.run(binding.feed(inputs), Set.of(), binding.pinned(), options)) {
                return binding.results();
            } catch (OrtException boundFailed) {
                List<Tensor> outputs = runUnbound(inputs, options); // the model's own error, if it fails again
                bindable = false;
                mine.close();
                return outputs;
            }
        }
        List<Tensor> outputs = runUnbound(inputs, options);
        if (mine.countUnbound(inputs)) {
            try {
                OnnxBinding made = OnnxBinding.of(environment, inputNames, inputs, outputNames, outputs);
                if (made != null) {
                    mine.add(made);
                }
            } catch (OrtException e) {
                bindable = false; // runs go on unbound, as before bindings
            }
        }
        return outputs;
    }

    private List<Tensor> runUnbound(List<Tensor> inputs, OrtSession.RunOptions options)
            throws OrtException, BackendException {
        List<ByteBuffer> staged = DirectStaging.stage(inputs);
        Map<String, OnnxTensor> feed = new HashMap<>();
        try {
            for (int i = 0; i < inputs.size(); i++) {
                Tensor tensor = inputs.get(i);
                feed.put(inputNames.get(i), tensor.dtype() == DType.STRING
                        ? OnnxTensor.createTensor(environment, OnnxStrings.decode(tensor), tensor.shape())
                        : OnnxTensor.createTensor(environment, staged.get(i), tensor.shape(), toOnnx(tensor.dtype())));
            }
            try (OrtSession.Result result = session.run(feed, options)) {
                List<Tensor> outputs = new ArrayList<>(outputNames.size());
                for (Map.Entry<String, OnnxValue> entry : result) {
                    if (!(entry.getValue() instanceof OnnxTensor output)) {
                        throw new BackendException("output " + entry.getKey() + " is not a tensor");
                    }
                    TensorInfo info = output.getInfo();
                    outputs.add(info.type == OnnxJavaType.STRING ? OnnxStrings.encode(output)
                            : new Tensor(fromOnnx(info.type), info.getShape(),
                                    output.getByteBuffer().order(ByteOrder.LITTLE_ENDIAN)));
                }
                return outputs;
            }
        } finally {
            feed.values().forEach(OnnxTensor::close);
        }
    }

    @Override
    public boolean terminate(Thread runningOn) {
        OrtSession.RunOptions options = running.get(runningOn);
        if (options == null) {
            return false;
        }
        try {
            options.setTerminate(true);
        } catch (OrtException | IllegalStateException e) {
            // the run ended and closed its options meanwhile: nothing left to stop
        }
        return true;
    }

    static OnnxJavaType toOnnx(DType dtype) throws BackendException {
        return switch (dtype) {
            case FLOAT -> OnnxJavaType.FLOAT;
            case DOUBLE -> OnnxJavaType.DOUBLE;
            case FLOAT16 -> OnnxJavaType.FLOAT16;
            case BFLOAT16 -> OnnxJavaType.BFLOAT16;
            case INT8 -> OnnxJavaType.INT8;
            case INT16 -> OnnxJavaType.INT16;
            case INT32 -> OnnxJavaType.INT32;
            case INT64 -> OnnxJavaType.INT64;
            case UINT8 -> OnnxJavaType.UINT8;
            case BOOL -> OnnxJavaType.BOOL;
            case UINT16 -> throw new BackendException("ONNX models here do not take " + dtype + " tensors");
            case STRING -> throw new IllegalArgumentException("STRING tensors are fed as Java strings");
        };
    }

    private static DType fromOnnx(OnnxJavaType type) throws BackendException {
        return switch (type) {
            case FLOAT -> DType.FLOAT;
            case DOUBLE -> DType.DOUBLE;
            case FLOAT16 -> DType.FLOAT16;
            case BFLOAT16 -> DType.BFLOAT16;
            case INT8 -> DType.INT8;
            case INT16 -> DType.INT16;
            case INT32 -> DType.INT32;
            case INT64 -> DType.INT64;
            case UINT8 -> DType.UINT8;
            case BOOL -> DType.BOOL;
            default -> throw new BackendException("the model returned a " + type + " tensor, which has no tensor type here");
        };
    }

    @Override
    public void close() {
        bindings.values().forEach(ThreadBindings::close);
        bindings.clear();
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("could not close an ONNX session", e);
        }
    }
}
