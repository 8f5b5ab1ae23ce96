package org.inferis.backend.tf;

import org.inferis.backend.BackendException;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Refuses a graph whose constants expand past {@link #MOST_BYTES} beyond the bytes the graph holds: a TensorProto may
 * give one value for a whole shape (TensorFlow repeats the last one), so a Const of 2^32 floats from a 4-byte value
 * took 16 GiB as the graph ran, and three such took the machine. A frozen graph's weights carry their bytes; its fills
 * (zeros of a bias) are small.
 */
final class ConstantFills {
    /** 1 GiB of constants made from nothing, in the whole graph. */
    static final long MOST_BYTES = 1L << 30;

    private ConstantFills() {
    }

    static void check(GraphDef graph) throws BackendException {
        long expansion = 0;
        for (NodeDef node : GraphNodes.of(graph)) {
            if (!node.getOp().equals("Const")) {
                continue;
            }
            TensorProto value = node.getAttrOrDefault("value", AttrValue.getDefaultInstance()).getTensor();
            expansion += Math.max(0, declaredBytes(value) - value.getSerializedSize());
            if (expansion > MOST_BYTES) {
                throw new BackendException("the graph's constants (up to node '" + node.getName() + "') expand to more "
                        + "than " + MOST_BYTES + " bytes beyond what the graph holds (a Const of 2^32 floats from one "
                        + "value took 16 GiB); Inferis refuses it");
            }
        }
    }

    /** The bytes the tensor's shape declares, saturating at Long.MAX_VALUE (TensorFlow refuses negative dimensions). */
    private static long declaredBytes(TensorProto value) {
        long bytes = elementBytes(value.getDtype());
        for (TensorShapeProto.Dim dim : value.getTensorShape().getDimList()) {
            long size = Math.max(dim.getSize(), 0);
            if (size != 0 && bytes > Long.MAX_VALUE / size) {
                return Long.MAX_VALUE;
            }
            bytes *= size;
        }
        return bytes;
    }

    private static long elementBytes(DataType type) {
        return switch (type) {
            case DT_BOOL, DT_INT8, DT_UINT8, DT_QINT8, DT_QUINT8, DT_FLOAT8_E5M2, DT_FLOAT8_E4M3FN -> 1;
            case DT_INT16, DT_UINT16, DT_QINT16, DT_QUINT16, DT_HALF, DT_BFLOAT16 -> 2;
            case DT_FLOAT, DT_INT32, DT_UINT32, DT_QINT32 -> 4;
            case DT_STRING -> 32; // a tstring each, before its characters
            case DT_COMPLEX128 -> 16;
            default -> 8;
        };
    }
}
