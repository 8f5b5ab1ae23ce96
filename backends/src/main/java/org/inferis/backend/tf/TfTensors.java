package org.inferis.backend.tf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.inferis.backend.BackendException;
import org.inferis.backend.StringElements;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;
import org.tensorflow.ndarray.NdArray;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint16;
import org.tensorflow.types.TUint8;
import org.tensorflow.types.family.TType;

/**
 * Our tensors to TF's and back, one copy each way (TF's memory is its own). STRING elements are NUL-terminated
 * here and byte strings in TF. TF for Java has no 8- and 16-bit signed types: INT8 and INT16 go through INT32
 * (see {@link NarrowTypes}).
 */
final class TfTensors {
    private TfTensors() {
    }

    static org.tensorflow.Tensor toTf(Tensor tensor) throws BackendException {
        Shape shape = Shape.of(tensor.shape());
        if (tensor.dtype() == DType.STRING) {
            NdArray<byte[]> elements = NdArrays.ofObjects(byte[].class, shape);
            ByteBuffer data = tensor.data();
            elements.scalars().forEach(element -> element.setObject(Tensor.nextString(data)));
            return TString.tensorOfBytes(elements);
        }
        return org.tensorflow.Tensor.of(typeOf(tensor.dtype()), shape, DataBuffers.of(tensor.data()));
    }

    static Tensor fromTf(org.tensorflow.Tensor output) throws BackendException {
        long[] shape = output.shape().asArray();
        if (output instanceof TString strings) {
            StringElements elements = new StringElements();
            for (var element : strings.asBytes().scalars()) {
                elements.add(element.getObject());
            }
            return elements.toTensor(shape);
        }
        byte[] data = new byte[Math.toIntExact(output.numBytes())];
        output.asRawTensor().data().read(data);
        return new Tensor(dtypeOf(output.dataType()), shape, ByteBuffer.wrap(data));
    }

    /** An INT8 or INT16 tensor as INT32, for the INT32 placeholder that stands in for its narrow one. */
    static Tensor widened(Tensor narrow) {
        ByteBuffer from = narrow.data();
        ByteBuffer to = ByteBuffer.allocate(Math.toIntExact(narrow.elementCount() * 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < narrow.elementCount(); i++) {
            to.putInt(narrow.dtype() == DType.INT8 ? from.get() : from.getShort());
        }
        return new Tensor(DType.INT32, narrow.shape(), to.flip());
    }

    /** An INT32 output of a Cast from INT8 or INT16 back to that type (its values fit: they came from it). */
    static Tensor narrowed(Tensor wide, DType narrow) {
        ByteBuffer from = wide.data();
        ByteBuffer to = ByteBuffer.allocate(Math.toIntExact(wide.elementCount() * narrow.byteSize()))
                .order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < wide.elementCount(); i++) {
            int value = from.getInt();
            if (narrow == DType.INT8) {
                to.put((byte) value);
            } else {
                to.putShort((short) value);
            }
        }
        return new Tensor(narrow, wide.shape(), to.flip());
    }

    private static Class<? extends TType> typeOf(DType dtype) throws BackendException {
        return switch (dtype) {
            case FLOAT -> TFloat32.class;
            case DOUBLE -> TFloat64.class;
            case FLOAT16 -> TFloat16.class;
            case BFLOAT16 -> TBfloat16.class;
            case INT32 -> TInt32.class;
            case INT64 -> TInt64.class;
            case UINT8 -> TUint8.class;
            case UINT16 -> TUint16.class;
            case BOOL -> TBool.class;
            case INT8, INT16 -> throw new BackendException(dtype + " tensors feed only " + dtype + " placeholders");
            case STRING -> throw new IllegalArgumentException("STRING tensors are fed as byte strings");
        };
    }

    private static DType dtypeOf(DataType type) throws BackendException {
        return switch (type) {
            case DT_FLOAT -> DType.FLOAT;
            case DT_DOUBLE -> DType.DOUBLE;
            case DT_HALF -> DType.FLOAT16;
            case DT_BFLOAT16 -> DType.BFLOAT16;
            case DT_INT32 -> DType.INT32;
            case DT_INT64 -> DType.INT64;
            case DT_UINT8 -> DType.UINT8;
            case DT_UINT16 -> DType.UINT16;
            case DT_BOOL -> DType.BOOL;
            default -> throw new BackendException("the model returned a " + type + " tensor, which has no tensor type "
                    + "here");
        };
    }
}
