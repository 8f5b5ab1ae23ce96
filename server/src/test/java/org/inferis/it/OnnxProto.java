package org.inferis.it;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/** ONNX models written field by field, by onnx.proto's numbers, for tests that need models no exporter writes. */
final class OnnxProto {
    static final int FLOAT = 1;
    static final int UINT8 = 2;
    static final int INT32 = 6;

    private OnnxProto() {
    }

    /** A tensor's name, element type and dimensions; its data still to add (raw_data is field 9). */
    static Proto tensor(String name, int elementType, long... dims) {
        Proto tensor = new Proto();
        for (long dim : dims) {
            tensor.varint(1, dim);
        }
        return tensor.varint(2, elementType).string(8, name);
    }

    /** A node: inputs, outputs, op_type and domain ("" for ONNX's own). */
    static Proto node(String opType, String domain, List<String> inputs, List<String> outputs) {
        Proto node = new Proto();
        inputs.forEach(input -> node.string(1, input));
        outputs.forEach(output -> node.string(2, output));
        return node.string(4, opType).string(7, domain);
    }

    static Proto entry(String key, String value) {
        return new Proto().string(1, key).string(2, value);
    }

    /**
     * A model of IR 8 and opset 17 (and the further operator sets given, as {@link #entry} pairs of domain and
     * version) with one FLOAT input x of the given dimensions (none: of any shape) and one output y of the given
     * element type.
     */
    static byte[] model(List<Proto> nodes, List<Proto> initializers, int outputType, long[] inputDims,
                        Proto... opsets) {
        Proto graph = new Proto();
        nodes.forEach(node -> graph.message(1, node));
        graph.string(2, "g");
        initializers.forEach(initializer -> graph.message(5, initializer));
        graph.message(11, valueInfo("x", FLOAT, inputDims)).message(12, valueInfo("y", outputType));
        Proto model = new Proto().varint(1, 8).message(8, new Proto().string(1, "").varint(2, 17));
        for (Proto opset : opsets) {
            model.message(8, opset);
        }
        return model.message(7, graph).toBytes();
    }

    private static Proto valueInfo(String name, int elementType, long... dims) {
        Proto tensorType = new Proto().varint(1, elementType);
        if (dims.length > 0) {
            Proto shape = new Proto();
            for (long dim : dims) {
                shape.message(1, new Proto().varint(1, dim));
            }
            tensorType.message(2, shape);
        }
        return new Proto().string(1, name).message(2, new Proto().message(1, tensorType));
    }

    /** A protobuf message written field by field. */
    static final class Proto {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final CodedOutputStream out = CodedOutputStream.newInstance(bytes);

        Proto varint(int field, long value) {
            return write(() -> out.writeInt64(field, value));
        }

        Proto string(int field, String value) {
            return write(() -> out.writeString(field, value));
        }

        Proto bytes(int field, byte[] value) {
            return write(() -> out.writeByteArray(field, value));
        }

        Proto message(int field, Proto inner) {
            return bytes(field, inner.toBytes());
        }

        byte[] toBytes() {
            write(out::flush);
            return bytes.toByteArray();
        }

        private interface Write {
            void run() throws IOException;
        }

        private Proto write(Write write) {
            try {
                write.run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }
    }
}
