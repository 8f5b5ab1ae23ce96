package org.inferis.backend.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import java.util.List;
import org.inferis.backend.BackendException;
import org.inferis.backend.Device;
import org.inferis.backend.EngineOptions;
import org.inferis.backend.IoNames;
import org.inferis.backend.LoadedModel;
import org.inferis.backend.ModelBackend;

/**
 * ONNX models on ONNX Runtime (the runtime DJL's onnxruntime-engine brings), through its own session API,
 * which gives the graph's input and output names and types in order.
 */
public final class OnnxBackend implements ModelBackend {
    private final EngineOptions options;

    public OnnxBackend(EngineOptions options) {
        this.options = options;
    }

    @Override
    public String name() {
        return "ONNX";
    }

    @Override
    public String engineVersion() {
        return OrtEnvironment.getEnvironment().getVersion();
    }

    @Override
    public LoadedModel load(byte[] blob, Device device, IoNames names) throws BackendException {
        if (blob.length == 0) {
            // ONNX Runtime's own answer to an empty model, which its Java API refuses before asking it
            throw BackendException.enginesWords("No graph was found in the protobuf.", null);
        }
        ModelContent.check(blob);
        RunChecks checks;
        byte[] model;
        try {
            OnnxGraph graph = OnnxGraph.read(blob); // after ModelContent, which bounds the nesting
            TrustingOperators.check(graph);
            checks = MlOperators.check(graph).withNonZero(Divisions.check(graph)).withOffsets(TriluOffsets.check(graph));
            model = ModelRewrite.rewritten(blob, graph, List.of(new EinsumOperands(), KernelShapes.of(graph),
                    new EmptyOperands(), VectorProducts.of(graph), OperandRanks.of(graph)));
        } catch (java.io.IOException e) {
            throw BackendException.enginesWords("Failed to load model because protobuf parsing failed.", e);
        }
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions sessionOptions = new OrtSession.SessionOptions()) {
            if (options.intraOpThreads() > 0) {
                sessionOptions.setIntraOpNumThreads(options.intraOpThreads());
            }
            if (options.interOpThreads() > 0) {
                sessionOptions.setInterOpNumThreads(options.interOpThreads());
            }
            if (device.gpu()) {
                if (!OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
                    throw new BackendException("GPU requested but ONNX Runtime has no CUDA provider: this server "
                            + "runs the CPU build (com.microsoft.onnxruntime:onnxruntime); a GPU host needs "
                            + "onnxruntime_gpu (see README)");
                }
                sessionOptions.addCUDA(device.index());
            }
            return new OnnxModel(environment, environment.createSession(model, sessionOptions), checks);
        } catch (OrtException | RuntimeException e) {
            throw BackendException.enginesWords(BackendException.whole(e), e); // ONNX Runtime's, as RedisAI answers
        }
    }
}
