package org.inferis.backend.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.inferis.backend.BackendException;
import org.inferis.backend.DirectStaging;
import org.inferis.backend.LoadedModel;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;

/** A loaded TorchScript module. Each run's native tensors live in a sub-manager closed when the run ends. */
final class TorchModel implements LoadedModel {
    private final PtNDManager manager;
    private final PtSymbolBlock block;
    private final TorchScriptSignature signature;

    TorchModel(PtNDManager manager, PtSymbolBlock block, TorchScriptSignature signature) {
        this.manager = manager;
        this.block = block;
        this.signature = signature;
    }

    @Override
    public List<String> inputNames() {
        return signature.inputs();
    }

    @Override
    public List<String> outputNames() {
        return signature.outputs();
    }

    @Override
    public List<Tensor> run(List<Tensor> inputs) throws BackendException {
        List<ByteBuffer> staged = DirectStaging.stage(inputs);
        try (NDManager runManager = manager.newSubManager()) {
            NDList arrays = new NDList(inputs.size());
            for (int i = 0; i < inputs.size(); i++) {
                Tensor tensor = inputs.get(i);
                arrays.add(JniUtils.createNdFromByteBuffer((PtNDManager) runManager, staged.get(i),
                        new Shape(tensor.shape()), toDjl(tensor.dtype()), SparseFormat.DENSE, manager.getDevice()));
            }
            NDList outputs = block.forward(new ParameterStore(runManager, false), arrays, false);
            List<Tensor> results = new ArrayList<>(outputs.size());
            for (NDArray output : outputs) {
                results.add(new Tensor(fromDjl(output.getDataType()), output.getShape().getShape(),
                        JniUtils.getByteBuffer((PtNDArray) output, false)));
            }
            return results;
        } catch (BackendException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new BackendException(BackendException.firstLine(e), e);
        }
    }

    static DataType toDjl(DType dtype) throws BackendException {
        return switch (dtype) {
            case FLOAT -> DataType.FLOAT32;
            case DOUBLE -> DataType.FLOAT64;
            case FLOAT16 -> DataType.FLOAT16;
            case BFLOAT16 -> DataType.BFLOAT16;
            case INT8 -> DataType.INT8;
            case INT16 -> DataType.INT16;
            case INT32 -> DataType.INT32;
            case INT64 -> DataType.INT64;
            case UINT8 -> DataType.UINT8;
            case UINT16 -> DataType.UINT16;
            case BOOL -> DataType.BOOLEAN;
            case STRING -> throw new BackendException("TORCH models do not take STRING tensors");
        };
    }

    static DType fromDjl(DataType type) throws BackendException {
        return switch (type) {
            case FLOAT32 -> DType.FLOAT;
            case FLOAT64 -> DType.DOUBLE;
            case FLOAT16 -> DType.FLOAT16;
            case BFLOAT16 -> DType.BFLOAT16;
            case INT8 -> DType.INT8;
            case INT16 -> DType.INT16;
            case INT32 -> DType.INT32;
            case INT64 -> DType.INT64;
            case UINT8 -> DType.UINT8;
            case UINT16 -> DType.UINT16;
            case BOOLEAN -> DType.BOOL;
            default -> throw new BackendException("the model returned a " + type + " tensor, which has no tensor type here");
        };
    }

    @Override
    public void close() {
        block.close();
        manager.close();
    }
}
