package org.inferis.backend.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * What the checks of a model read from its bytes, by onnx.proto's field numbers: the main graph (nodes, inputs with
 * their element types, initializers), the nodes of the model's functions, and every subgraph. Integer tensors are
 * summed up ({@link Values}), not kept. Read after {@link ModelContent#check}, which bounds the nesting.
 */
final class OnnxGraph {
    // TensorProto.DataType
    static final int FLOAT = 1;
    static final int UINT8 = 2;
    static final int INT8 = 3;
    static final int UINT16 = 4;
    static final int INT16 = 5;
    static final int INT32 = 6;
    static final int INT64 = 7;
    static final int STRING = 8;
    static final int BOOL = 9;
    static final int UINT32 = 12;
    static final int UINT64 = 13;

    /** Integer values read one at a time: how many, the least, the greatest, their sum, and whether 0 or -1 is one. */
    static final class Values {
        int length;
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        long sum;
        /** The product of their magnitudes, saturating at Long.MAX_VALUE (1 for no value). */
        long product = 1;
        boolean zero;
        boolean minusOne;

        void add(long value) {
            length++;
            min = Math.min(min, value);
            max = Math.max(max, value);
            // saturates upwards; a sum with a negative value in it is not used (no count may be negative)
            sum = value > 0 && sum > Long.MAX_VALUE - value ? Long.MAX_VALUE : sum + value;
            long magnitude = value == Long.MIN_VALUE ? Long.MAX_VALUE : Math.abs(value);
            product = magnitude != 0 && product > Long.MAX_VALUE / magnitude ? Long.MAX_VALUE : product * magnitude;
            zero |= value == 0;
            minusOne |= value == -1;
        }

        /** Takes in other values: their count, bounds, and whether 0 or -1 is among them (their sum is not kept). */
        void merge(Values other) {
            length += other.length;
            min = Math.min(min, other.min);
            max = Math.max(max, other.max);
            zero |= other.zero;
            minusOne |= other.minusOne;
        }
    }

    /** A tensor's name, element type and dimensions, and its values when it holds integers. */
    record Tensor(String name, int type, List<Long> dims, Values values) {
        /** Whether it holds exactly one element: a scalar, or every dimension 1. */
        boolean single() {
            return dims.stream().allMatch(dim -> dim == 1);
        }
    }

    /**
     * What an attribute holds, as far as the checks need: its integer, its float ({@code f}), its list's length
     * (floats, integers, strings), its integers, its tensor (or null) and its graphs; referenced when a function's
     * caller gives it.
     */
    record Attribute(long integer, float real, int length, Values integers, Tensor tensor, List<Graph> graphs,
                     boolean referenced) {
    }

    record Node(String opType, String domain, String name, List<String> inputs, List<String> outputs,
                Map<String, Attribute> attributes) {
        /** An operator of ONNX's own set ({@code ""}, {@code ai.onnx}) of that name. */
        boolean isOnnx(String operator) {
            return domain.isEmpty() && opType.equals(operator);
        }

        int length(String attribute) {
            Attribute value = attributes.get(attribute);
            return value == null ? 0 : value.length();
        }

        long integer(String attribute, long otherwise) {
            Attribute value = attributes.get(attribute);
            return value == null ? otherwise : value.integer();
        }

        float real(String attribute, float otherwise) {
            Attribute value = attributes.get(attribute);
            return value == null ? otherwise : value.real();
        }

        String input(int index) {
            return index < inputs.size() ? inputs.get(index) : "";
        }

        String label() {
            return opType + (name.isEmpty() ? "" : " '" + name + "'");
        }
    }

    /**
     * A graph's nodes in order, its inputs with their element types (0: not declared; an initializer may be one too,
     * a default a run might replace), its initializers, and the inputs that declare a shape.
     */
    record Graph(List<Node> nodes, Map<String, Integer> inputs, Map<String, Tensor> initializers, Set<String> shaped) {
        /** The node that makes each value. */
        Map<String, Node> producers() {
            Map<String, Node> producers = new HashMap<>();
            for (Node node : nodes) {
                node.outputs().forEach(output -> producers.put(output, node));
            }
            return producers;
        }
    }

    /** Where a value comes from: the first value up its chain, and the node that makes it (null: none does). */
    record Source(String name, Node producer) {
    }

    /**
     * Follows a value up through the nodes {@code through} lets pass (by their first input), stopping at a cycle
     * (a crafted graph need not be acyclic before ONNX Runtime checks it).
     */
    static Source trace(String name, Map<String, Node> producers, java.util.function.Predicate<Node> through) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        Node producer = producers.get(name);
        while (producer != null && through.test(producer) && !producer.inputs().isEmpty() && seen.add(name)) {
            name = producer.input(0);
            producer = producers.get(name);
        }
        return new Source(name, producer);
    }

    /**
     * Where an operand of a node comes from, up through {@code Identity}: the values of the constant it is, the model
     * input a run gives it ({@code fedByRuns}, only where {@code runsFeed}: the main graph), or the node that
     * computes it.
     */
    record Operand(String name, Values constant, boolean fedByRuns, Node producer) {
    }

    static Operand operand(Graph graph, Map<String, Node> producers, String input, boolean runsFeed) {
        Source source = trace(input, producers, step -> step.isOnnx("Identity"));
        // a model input (an initializer may be one too: a default a run may replace) is checked on every run
        boolean fedByRuns = runsFeed && source.producer() == null && graph.inputs().containsKey(source.name());
        return new Operand(source.name(), constant(graph, source.producer(), source.name()), fedByRuns,
                source.producer());
    }

    /** The tensor an operand is, up through {@code Identity}: an initializer, or a Constant node's value; or null. */
    static Tensor constantTensor(Graph graph, Map<String, Node> producers, String input) {
        Source source = trace(input, producers, step -> step.isOnnx("Identity"));
        if (source.producer() == null) {
            return graph.initializers().get(source.name());
        }
        Attribute value = source.producer().isOnnx("Constant") ? source.producer().attributes().get("value") : null;
        return value == null ? null : value.tensor();
    }

    /** The values of a constant (an initializer, or a Constant node's), or null. */
    private static Values constant(Graph graph, Node producer, String name) {
        if (producer == null) {
            OnnxGraph.Tensor initializer = graph.initializers().get(name);
            return initializer == null ? null : initializer.values();
        }
        if (!producer.isOnnx("Constant")) {
            return null;
        }
        Values values = new Values();
        producer.attributes().forEach((attribute, value) -> {
            switch (attribute) {
                case "value" -> {
                    if (value.tensor() != null) {
                        values.merge(value.tensor().values());
                    }
                }
                case "value_int" -> values.add(value.integer());
                case "value_ints" -> values.merge(value.integers());
                default -> { }
            }
        });
        return values;
    }

    private final Graph main;
    private final List<Graph> functions;
    private final List<Graph> subgraphs;

    private OnnxGraph(Graph main, List<Graph> functions, List<Graph> subgraphs) {
        this.main = main;
        this.functions = functions;
        this.subgraphs = subgraphs;
    }

    Graph main() {
        return main;
    }

    /** The model's functions, each as a graph of its nodes (their inputs are untyped: they take the caller's). */
    List<Graph> functions() {
        return functions;
    }

    /** Every graph inside a node's attribute, of the main graph's nodes and the functions', however deep. */
    List<Graph> subgraphs() {
        return subgraphs;
    }

    /** The main graph, every subgraph and the functions: every node of the model is in one of them. */
    List<Graph> graphs() {
        List<Graph> graphs = new ArrayList<>(List.of(main));
        graphs.addAll(subgraphs);
        graphs.addAll(functions);
        return graphs;
    }

    static OnnxGraph read(byte[] model) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(model);
        in.enableAliasing(true); // raw tensor data is read as views of the model's bytes, not copies
        Graph main = new Graph(List.of(), Map.of(), Map.of(), Set.of());
        List<Graph> functions = new ArrayList<>();
        List<Graph> subgraphs = new ArrayList<>();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == 7 && delimited(tag)) { // graph
                main = inner(in, () -> readGraph(in, subgraphs));
            } else if (field == 25 && delimited(tag)) { // functions: FunctionProto, its nodes are field 7
                functions.add(inner(in, () -> readFunction(in, subgraphs)));
            } else {
                in.skipField(tag);
            }
        }
        return new OnnxGraph(main, functions, subgraphs);
    }

    private static Graph readGraph(CodedInputStream in, List<Graph> subgraphs) throws IOException {
        List<Node> nodes = new ArrayList<>();
        Map<String, Integer> inputs = new HashMap<>();
        Map<String, Tensor> initializers = new HashMap<>();
        Set<String> shaped = new HashSet<>();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == 1 && delimited(tag)) { // node
                nodes.add(inner(in, () -> readNode(in, subgraphs)));
            } else if (field == 5 && delimited(tag)) { // initializer
                Tensor initializer = inner(in, () -> readTensor(in));
                initializers.put(initializer.name(), initializer);
            } else if (field == 11 && delimited(tag)) { // input: ValueInfoProto
                ValueInfo input = inner(in, () -> readValueInfo(in));
                inputs.put(input.name(), input.type());
                if (input.shaped()) {
                    shaped.add(input.name());
                }
            } else {
                in.skipField(tag);
            }
        }
        return new Graph(nodes, inputs, initializers, shaped);
    }

    private static Graph readFunction(CodedInputStream in, List<Graph> subgraphs) throws IOException {
        List<Node> nodes = new ArrayList<>();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == 7 && delimited(tag)) {
                nodes.add(inner(in, () -> readNode(in, subgraphs)));
            } else if (field == 11 && delimited(tag)) { // attribute_proto: defaults, whose graphs are subgraphs too
                inner(in, () -> readAttribute(in, subgraphs));
            } else {
                in.skipField(tag);
            }
        }
        return new Graph(nodes, Map.of(), Map.of(), Set.of());
    }

    private static Node readNode(CodedInputStream in, List<Graph> subgraphs) throws IOException {
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        Map<String, Attribute> attributes = new HashMap<>();
        String opType = "";
        String domain = "";
        String name = "";
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            if (!delimited(tag)) {
                in.skipField(tag);
                continue;
            }
            switch (field) {
                case 1 -> inputs.add(in.readStringRequireUtf8());
                case 2 -> outputs.add(in.readStringRequireUtf8());
                case 3 -> name = in.readStringRequireUtf8();
                case 4 -> opType = in.readStringRequireUtf8();
                case 7 -> domain = in.readStringRequireUtf8();
                case 5 -> {
                    Map.Entry<String, Attribute> attribute = inner(in, () -> readAttribute(in, subgraphs));
                    attributes.put(attribute.getKey(), attribute.getValue());
                }
                default -> in.skipField(tag);
            }
        }
        return new Node(opType, domain.equals("ai.onnx") ? "" : domain, name, inputs, outputs, attributes);
    }

    private static Map.Entry<String, Attribute> readAttribute(CodedInputStream in, List<Graph> subgraphs)
            throws IOException {
        String name = "";
        long integer = 0;
        float real = 0;
        int length = 0;
        Values integers = new Values();
        Tensor tensor = null;
        List<Graph> graphs = new ArrayList<>();
        boolean referenced = false;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            boolean delimited = delimited(tag);
            if (field == 1 && delimited) {
                name = in.readStringRequireUtf8();
            } else if (field == 3 && varint(tag)) { // i
                integer = in.readInt64();
            } else if (field == 2 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_FIXED32) { // f
                real = in.readFloat();
            } else if (field == 5 && delimited) { // t
                tensor = inner(in, () -> readTensor(in));
            } else if ((field == 6 || field == 11) && delimited) { // g, graphs
                Graph graph = inner(in, () -> readGraph(in, subgraphs));
                graphs.add(graph);
                subgraphs.add(graph);
            } else if (field == 7 && delimited) { // floats, packed
                int bytes = in.readRawVarint32();
                length += bytes / Float.BYTES;
                in.skipRawBytes(bytes);
            } else if (field == 8 && (delimited || varint(tag))) { // ints
                readInt64s(in, tag, integers::add);
            } else if (field == 21 && delimited) { // ref_attr_name
                referenced |= !in.readStringRequireUtf8().isEmpty();
            } else {
                length += field == 7 || field == 9 ? 1 : 0; // a float or a string, one a field
                in.skipField(tag);
            }
        }
        return Map.entry(name, new Attribute(integer, real, length + integers.length, integers, tensor, graphs,
                referenced));
    }

    private static Tensor readTensor(CodedInputStream in) throws IOException {
        String name = "";
        List<Long> dims = new ArrayList<>();
        Values listed = new Values();
        ByteString raw = ByteString.EMPTY;
        int type = 0;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == 1 && (delimited(tag) || varint(tag))) {
                readInt64s(in, tag, dims::add);
            } else if (field == 2 && varint(tag)) {
                type = in.readInt32();
            } else if ((field == 5 || field == 7 || field == 11) && (delimited(tag) || varint(tag))) {
                readInt64s(in, tag, listed::add); // int32_data, int64_data, uint64_data: whichever the type uses
            } else if (field == 8 && delimited(tag)) {
                name = in.readStringRequireUtf8();
            } else if (field == 9 && delimited(tag)) {
                raw = in.readBytes();
            } else {
                in.skipField(tag);
            }
        }
        return new Tensor(name, type, dims, integers(type, listed, raw));
    }

    /** The integer values of a tensor of the given type, raw (little-endian) or listed; none for other types. */
    private static Values integers(int type, Values listed, ByteString raw) {
        int width = switch (type) {
            case INT8, UINT8, BOOL -> 1;
            case INT16, UINT16 -> 2;
            case INT32, UINT32 -> 4;
            case INT64, UINT64 -> 8;
            default -> 0;
        };
        if (width == 0) {
            return new Values();
        }
        if (raw.isEmpty()) {
            return listed;
        }
        Values values = new Values();
        ByteBuffer bytes = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        while (bytes.remaining() >= width) {
            values.add(switch (type) {
                case INT8 -> bytes.get();
                case UINT8, BOOL -> Byte.toUnsignedLong(bytes.get());
                case INT16 -> bytes.getShort();
                case UINT16 -> Short.toUnsignedLong(bytes.getShort());
                case INT32 -> bytes.getInt();
                case UINT32 -> Integer.toUnsignedLong(bytes.getInt());
                default -> bytes.getLong();
            });
        }
        return values;
    }

    /** A ValueInfoProto's name, its element type when a tensor's (0 when not given), and whether it has a shape. */
    private record ValueInfo(String name, int type, boolean shaped) {
    }

    private static ValueInfo readValueInfo(CodedInputStream in) throws IOException {
        String name = "";
        int type = 0;
        boolean shaped = false;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == 1 && delimited(tag)) {
                name = in.readStringRequireUtf8();
            } else if (field == 2 && delimited(tag)) { // TypeProto: tensor_type (1): elem_type (1), shape (2)
                ByteString typeProto = in.readBytes();
                CodedInputStream types = typeProto.newCodedInput();
                type = readNested(types, 1, () -> readNested(types, 1, null));
                shaped = hasShape(typeProto);
            } else {
                in.skipField(tag);
            }
        }
        return new ValueInfo(name, type, shaped);
    }

    /** Whether a TypeProto is a tensor's ({@code tensor_type}, 1) with a shape (2). */
    private static boolean hasShape(ByteString typeProto) throws IOException {
        CodedInputStream in = typeProto.newCodedInput();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) == 1 && delimited(tag)) {
                CodedInputStream tensor = in.readBytes().newCodedInput();
                for (int inner = tensor.readTag(); inner != 0; inner = tensor.readTag()) {
                    if (WireFormat.getTagFieldNumber(inner) == 2 && delimited(inner)) {
                        return true;
                    }
                    tensor.skipField(inner);
                }
                return false;
            }
            in.skipField(tag);
        }
        return false;
    }

    /** Within a message, the integer at {@code field} (innermost null) or what {@code deeper} reads of it. */
    private static int readNested(CodedInputStream in, int field, Reading<Integer> deeper) throws IOException {
        int value = 0;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) == field && deeper == null && varint(tag)) {
                value = in.readInt32();
            } else if (WireFormat.getTagFieldNumber(tag) == field && deeper != null && delimited(tag)) {
                value = inner(in, deeper);
            } else {
                in.skipField(tag);
            }
        }
        return value;
    }

    private interface Reading<T> {
        T read() throws IOException;
    }

    /** Reads a length-delimited message with {@code reading}, within its length. */
    private static <T> T inner(CodedInputStream in, Reading<T> reading) throws IOException {
        int limit = in.pushLimit(in.readRawVarint32());
        T value = reading.read();
        in.checkLastTagWas(0);
        in.popLimit(limit);
        return value;
    }

    /** Reads a repeated integer field into {@code values}: packed, or one value a field. */
    private static void readInt64s(CodedInputStream in, int tag, LongConsumer values) throws IOException {
        if (varint(tag)) {
            values.accept(in.readInt64());
            return;
        }
        int limit = in.pushLimit(in.readRawVarint32());
        while (in.getBytesUntilLimit() > 0) {
            values.accept(in.readInt64());
        }
        in.popLimit(limit);
    }

    private static boolean varint(int tag) {
        return WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_VARINT;
    }

    private static boolean delimited(int tag) {
        return WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
    }
}
