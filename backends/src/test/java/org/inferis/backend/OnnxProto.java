package org.inferis.backend;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/** ONNX models written field by field, by onnx.proto's numbers, for tests that need models no exporter writes. */
public final class OnnxProto {
    public static final int FLOAT = 1;
    public static final int UINT8 = 2;
    public static final int INT32 = 6;
    public static final int INT64 = 7;

    private OnnxProto() {
    }

    /** A tensor's name, element type and dimensions; its data still to add (raw_data is field 9). */
    public static Proto tensor(String name, int elementType, long... dims) {
        Proto tensor = new Proto();
        for (long dim : dims) {
            tensor.varint(1, dim);
        }
        return tensor.varint(2, elementType).string(8, name);
    }

    /** A node: inputs, outputs, op_type and domain ("" for ONNX's own). */
    public static Proto node(String opType, String domain, List<String> inputs, List<String> outputs) {
        Proto node = new Proto();
        inputs.forEach(input -> node.string(1, input));
        outputs.forEach(output -> node.string(2, output));
        return node.string(4, opType).string(7, domain);
    }

    /** An INT attribute (type 2). */
    public static Proto attribute(String name, long value) {
        return new Proto().string(1, name).varint(3, value).varint(20, 2);
    }

    /** A FLOATS attribute (type 6) of {@code count} ones, each a field of its own as onnx's Python helper writes. */
    public static Proto floats(String name, int count) {
        Proto attribute = new Proto().string(1, name);
        for (int i = 0; i < count; i++) {
            attribute.floatField(7, 1f);
        }
        return attribute.varint(20, 6);
    }

    /** An INTS attribute (type 7), each value a field of its own. */
    public static Proto ints(String name, long... values) {
        Proto attribute = new Proto().string(1, name);
        for (long value : values) {
            attribute.varint(8, value);
        }
        return attribute.varint(20, 7);
    }

    /** A STRINGS attribute (type 8). */
    public static Proto strings(String name, String... values) {
        Proto attribute = new Proto().string(1, name);
        for (String value : values) {
            attribute.string(9, value);
        }
        return attribute.varint(20, 8);
    }

    /** A GRAPH attribute (type 5) holding the given nodes, with no inputs or outputs of its own. */
    public static Proto graph(String name, List<Proto> nodes) {
        Proto graph = new Proto();
        nodes.forEach(node -> graph.message(1, node));
        return new Proto().string(1, name).message(6, graph.string(2, name)).varint(20, 5);
    }

    public static Proto entry(String key, String value) {
        return new Proto().string(1, key).string(2, value);
    }

    /**
     * A model of IR 8 and opset 17 (and the further operator sets given, as {@link #entry} pairs of domain and
     * version) with one FLOAT input x of the given dimensions (none: of any shape) and one output y of the given
     * element type.
     */
    public static byte[] model(List<Proto> nodes, List<Proto> initializers, int outputType, long[] inputDims,
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
    public static final class Proto {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final CodedOutputStream out = CodedOutputStream.newInstance(bytes);

        public Proto varint(int field, long value) {
            return write(() -> out.writeInt64(field, value));
        }

        public Proto floatField(int field, float value) {
            return write(() -> out.writeFloat(field, value));
        }

        public Proto string(int field, String value) {
            return write(() -> out.writeString(field, value));
        }

        public Proto bytes(int field, byte[] value) {
            return write(() -> out.writeByteArray(field, value));
        }

        public Proto message(int field, Proto inner) {
            return bytes(field, inner.toBytes());
        }

        public byte[] toBytes() {
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
