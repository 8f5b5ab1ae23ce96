package org.inferis.backend.torch;

import ai.djl.ndarray.types.DataType;
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
import org.inferis.backend.DirectStaging;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;

/** Our tensors into libtorch (copied once, into tensors libtorch allocated) and back out (copied once, to the heap). */
final class TorchTensors {
    private TorchTensors() {
    }

    /**
     * The tensors copied into libtorch tensors of their own, owned by {@code manager}. libtorch allocates them and
     * counts references to their memory, so a model that keeps its input (a module attribute) keeps that memory; memory
     * reused from call to call (staging) would be freed under it once replaced. On a GPU the copy to the device makes
     * them the model's own anyway.
     */
    static List<PtNDArray> in(PtNDManager manager, List<Tensor> tensors) throws BackendException {
        boolean cpu = manager.getDevice().equals(ai.djl.Device.cpu());
        List<ByteBuffer> staged = cpu ? null : DirectStaging.stage(tensors);
        List<PtNDArray> arrays = new ArrayList<>(tensors.size());
        for (int i = 0; i < tensors.size(); i++) {
            Tensor tensor = tensors.get(i);
            if (cpu) {
                PtNDArray array = empty(manager, tensor);
                arrays.add(array);
                if (tensor.byteSize() > 0) {
                    copyInto(array, tensor);
                }
            } else {
                arrays.add(JniUtils.createNdFromByteBuffer(manager, staged.get(i), new Shape(tensor.shape()),
                        toDjl(tensor.dtype()), SparseFormat.DENSE, manager.getDevice()));
            }
        }
        return arrays;
    }

    /** A libtorch tensor of the tensor's dtype and shape, its memory not yet written. */
    static PtNDArray empty(PtNDManager manager, Tensor like) throws BackendException {
        return JniUtils.createEmptyNdArray(manager, new Shape(like.shape()), toDjl(like.dtype()), manager.getDevice(),
                SparseFormat.DENSE);
    }

    /** Copies the tensor's data into a CPU libtorch tensor of its size, wherever libtorch has its memory now. */
    static void copyInto(PtNDArray array, Tensor tensor) {
        JniUtils.getByteBuffer(array, true).order(ByteOrder.LITTLE_ENDIAN).put(tensor.data());
    }

    static Tensor out(PtNDArray array) throws BackendException {
        return new Tensor(fromDjl(array.getDataType()), array.getShape().getShape(), JniUtils.getByteBuffer(array, false));
    }

    static DataType toDjl(DType dtype) throws BackendException {
        return switch (dtype) {
            case FLOAT -> DataType.FLOAT32;
            case DOUBLE -> DataType.FLOAT64;
            case FLOAT16 -> DataType.FLOAT16;
            case INT8 -> DataType.INT8;
            case INT32 -> DataType.INT32;
            case INT64 -> DataType.INT64;
            case UINT8 -> DataType.UINT8;
            case BOOL -> DataType.BOOLEAN;
            // DJL 0.35.1's bridge to libtorch 2.7.1 aborts the whole process on these types
            case BFLOAT16, INT16, UINT16 -> throw new BackendException("the TORCH backend does not take " + dtype
                    + " tensors (its libtorch bridge lacks the type); convert them to FLOAT or INT32 first");
            case STRING -> throw new BackendException("TorchScript does not take STRING tensors");
        };
    }

    static DType fromDjl(DataType type) throws BackendException {
        return switch (type) {
            case FLOAT32 -> DType.FLOAT;
            case FLOAT64 -> DType.DOUBLE;
            case FLOAT16 -> DType.FLOAT16;
            case INT8 -> DType.INT8;
            case INT32 -> DType.INT32;
            case INT64 -> DType.INT64;
            case UINT8 -> DType.UINT8;
            case BOOLEAN -> DType.BOOL;
            default -> throw new BackendException("the TORCH backend cannot return a tensor of type "
                    + (type == DataType.UNKNOWN ? "INT16, UINT16, BFLOAT16 or another its libtorch bridge lacks" : type)
                    + "; convert it to FLOAT or INT32 in the model");
        };
    }
}
