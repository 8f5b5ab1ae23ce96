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
import org.inferis.backend.BackendException;
import org.inferis.backend.DirectStaging;
import org.inferis.backend.LoadedModel;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;

/** An ONNX Runtime session; each run closes its input and output tensors before returning. */
final class OnnxModel implements LoadedModel {
    private final OrtEnvironment environment;
    private final OrtSession session;
    private final List<String> inputNames;
    private final List<String> outputNames;
    /** The run options of the call running on each thread, so the watchdog can terminate it. */
    private final Map<Thread, OrtSession.RunOptions> running = new java.util.concurrent.ConcurrentHashMap<>();

    OnnxModel(OrtEnvironment environment, OrtSession session) throws OrtException {
        this.environment = environment;
        this.session = session;
        this.inputNames = List.copyOf(session.getInputInfo().keySet());
        this.outputNames = List.copyOf(session.getOutputInfo().keySet());
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
        List<ByteBuffer> staged = DirectStaging.stage(inputs);
        Map<String, OnnxTensor> feed = new HashMap<>();
        try {
            for (int i = 0; i < inputs.size(); i++) {
                Tensor tensor = inputs.get(i);
                feed.put(inputNames.get(i), tensor.dtype() == DType.STRING
                        ? OnnxTensor.createTensor(environment, OnnxStrings.decode(tensor), tensor.shape())
                        : OnnxTensor.createTensor(environment, staged.get(i), tensor.shape(), toOnnx(tensor.dtype())));
            }
            try (OrtSession.RunOptions options = new OrtSession.RunOptions();
                 OrtSession.Result result = runWith(options, feed)) {
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
        } catch (OrtException | RuntimeException e) {
            throw new BackendException(BackendException.whole(e), e);
        } finally {
            feed.values().forEach(OnnxTensor::close);
        }
    }

    private OrtSession.Result runWith(OrtSession.RunOptions options, Map<String, OnnxTensor> feed)
            throws OrtException {
        Thread self = Thread.currentThread();
        running.put(self, options);
        try {
            return session.run(feed, options);
        } finally {
            running.remove(self);
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

    private static OnnxJavaType toOnnx(DType dtype) throws BackendException {
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
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("could not close an ONNX session", e);
        }
    }
}
