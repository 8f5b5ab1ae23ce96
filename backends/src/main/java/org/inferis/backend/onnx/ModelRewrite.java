package org.inferis.backend.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.inferis.backend.onnx.OnnxGraph.Graph;

/**
 * Rewrites the nodes of an ONNX model before ONNX Runtime loads it, streaming through its bytes by onnx.proto's field
 * numbers (the main graph, the model's functions, the graphs in attributes however deep) and keeping every other byte
 * as it came. Each {@link Rule} sees every node of ONNX's own set: it may write nodes before it, change its inputs and
 * add attributes. A model no rule applies to loads as it came, and the bytes AI.MODELGET returns stay the client's.
 */
final class ModelRewrite {
    private static final int DELIMITED = WireFormat.WIRETYPE_LENGTH_DELIMITED;
    private static final int GRAPH_NODE = 1;
    private static final int FUNCTION_NODE = 7;
    private static final int FUNCTION_ATTRIBUTE = 11;
    // TensorProto.DataType, AttributeProto.AttributeType
    private static final int FLOAT = 1;
    private static final int INT64 = 7;
    private static final int ATTRIBUTE_INT = 2;
    private static final int ATTRIBUTE_TENSOR = 4;
    private static final int ATTRIBUTE_INTS = 7;

    /** A change to the nodes of one kind. */
    interface Rule {
        /** Whether the rule changes the node (as {@link OnnxGraph} read it): the model is rewritten only then. */
        boolean appliesTo(OnnxGraph.Node node);

        /** Changes the node, when it applies, writing any nodes it needs before it through {@code before}. */
        void rewrite(Node node, Writer before) throws IOException;
    }

    /** A node of ONNX's own set as read: its inputs to change, and attributes to add. */
    static final class Node {
        final String opType;
        final String name;
        /** How errors name it: its type and name, or its place among the unnamed of its type. */
        final String label;
        final List<String> outputs;
        /** Each attribute's AttributeProto, by name. */
        final Map<String, ByteString> attributes;
        List<String> inputs;
        final List<ByteString> added = new ArrayList<>();

        private Node(String opType, String name, String label, List<String> inputs, List<String> outputs,
                     Map<String, ByteString> attributes) {
            this.opType = opType;
            this.name = name;
            this.label = label;
            this.inputs = inputs;
            this.outputs = outputs;
            this.attributes = attributes;
        }

        /** The string ({@code s}) of an attribute, or "" when it has none. */
        String text(String attribute) throws IOException {
            ByteString bytes = attributes.get(attribute);
            return bytes == null ? "" : string(bytes, 4);
        }
    }

    private final List<Rule> rules;
    /** Starts the names of the values the rules add: no value of the model starts with it. */
    private final String prefix;
    private int values;
    /** How many nodes of each type without a name came so far. */
    private final Map<String, Integer> unnamed = new java.util.HashMap<>();

    private ModelRewrite(List<Rule> rules, String prefix) {
        this.rules = rules;
        this.prefix = prefix;
    }

    /** The model to load: {@code model} itself when no rule applies to a node of it, or rewritten. */
    static byte[] rewritten(byte[] model, OnnxGraph graph, List<Rule> rules) throws IOException {
        List<Graph> graphs = graph.graphs();
        if (graphs.stream().flatMap(g -> g.nodes().stream())
                .noneMatch(node -> node.domain().isEmpty() && rules.stream().anyMatch(rule -> rule.appliesTo(node)))) {
            return model;
        }
        Set<String> names = new HashSet<>();
        for (Graph g : graphs) {
            names.addAll(g.inputs().keySet());
            names.addAll(g.initializers().keySet());
            g.nodes().forEach(node -> {
                names.addAll(node.inputs());
                names.addAll(node.outputs());
            });
        }
        String prefix = "inferis_";
        for (int n = 2; startsAny(names, prefix); n++) {
            prefix = "inferis" + n + "_";
        }
        return new ModelRewrite(rules, prefix).model(model);
    }

    private static boolean startsAny(Set<String> names, String prefix) {
        return names.stream().anyMatch(name -> name.startsWith(prefix));
    }

    private byte[] model(byte[] model) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(model);
        in.enableAliasing(true); // weights pass through as views, copied once into the result
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(model.length + 4096);
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == 7 && WireFormat.getTagWireType(tag) == DELIMITED) { // graph
                out.writeBytes(field, graph(in.readBytes(), GRAPH_NODE));
            } else if (field == 25 && WireFormat.getTagWireType(tag) == DELIMITED) { // functions
                out.writeBytes(field, graph(in.readBytes(), FUNCTION_NODE));
            } else {
                in.skipField(tag, out);
            }
        }
        out.flush();
        return bytes.toByteArray();
    }

    /** A GraphProto ({@code nodes} 1) or a FunctionProto (7), its nodes and their attributes' graphs rewritten. */
    private ByteString graph(ByteString graph, int nodes) throws IOException {
        CodedInputStream in = graph.newCodedInput();
        ByteString.Output bytes = ByteString.newOutput(graph.size() + 1024);
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == nodes && WireFormat.getTagWireType(tag) == DELIMITED) {
                node(in.readBytes(), nodes, out);
            } else if (nodes == FUNCTION_NODE && field == FUNCTION_ATTRIBUTE
                    && WireFormat.getTagWireType(tag) == DELIMITED) {
                out.writeBytes(field, attribute(in.readBytes()));
            } else {
                in.skipField(tag, out);
            }
        }
        out.flush();
        return bytes.toByteString();
    }

    /** Writes the node, after whatever nodes the rules write before it. */
    private void node(ByteString node, int field, CodedOutputStream graph) throws IOException {
        CodedInputStream in = node.newCodedInput();
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        Map<String, ByteString> attributes = new LinkedHashMap<>();
        ByteString.Output rest = ByteString.newOutput(node.size());
        CodedOutputStream out = CodedOutputStream.newInstance(rest);
        String opType = "";
        String domain = "";
        String name = "";
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            boolean delimited = WireFormat.getTagWireType(tag) == DELIMITED;
            switch (delimited ? WireFormat.getTagFieldNumber(tag) : 0) {
                case 1 -> inputs.add(in.readStringRequireUtf8());
                case 2 -> {
                    outputs.add(in.readStringRequireUtf8());
                    out.writeString(2, outputs.get(outputs.size() - 1));
                }
                case 3 -> {
                    name = in.readStringRequireUtf8();
                    out.writeString(3, name);
                }
                case 4 -> {
                    opType = in.readStringRequireUtf8();
                    out.writeString(4, opType);
                }
                case 7 -> {
                    domain = in.readStringRequireUtf8();
                    out.writeString(7, domain);
                }
                case 5 -> {
                    ByteString attribute = attribute(in.readBytes());
                    attributes.putIfAbsent(string(attribute, 1), attribute); // by name
                    out.writeBytes(5, attribute);
                }
                default -> in.skipField(tag, out);
            }
        }
        String label = opType + " " + (name.isEmpty() ? unnamed.merge(opType, 1, Integer::sum) + " (unnamed)"
                : "'" + name + "'");
        Node read = new Node(opType, name, label, inputs, outputs, attributes);
        if (domain.isEmpty() || domain.equals("ai.onnx")) {
            for (Rule rule : rules) {
                rule.rewrite(read, new Writer(graph, field));
            }
        }
        for (ByteString attribute : read.added) {
            out.writeBytes(5, attribute);
        }
        out.flush();
        ByteString.Output written = ByteString.newOutput(node.size() + 64);
        CodedOutputStream rewritten = CodedOutputStream.newInstance(written);
        for (String input : read.inputs) {
            rewritten.writeString(1, input);
        }
        rewritten.writeRawBytes(rest.toByteString());
        rewritten.flush();
        graph.writeBytes(field, written.toByteString());
    }

    /** The first string field of that number in a message, or "" (OnnxGraph has read the model as UTF-8 already). */
    private static String string(ByteString message, int field) throws IOException {
        CodedInputStream in = message.newCodedInput();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) == field && WireFormat.getTagWireType(tag) == DELIMITED) {
                return in.readBytes().toStringUtf8();
            }
            in.skipField(tag);
        }
        return "";
    }

    /** An AttributeProto, the graphs it holds ({@code g} 6, {@code graphs} 11) rewritten. */
    private ByteString attribute(ByteString attribute) throws IOException {
        CodedInputStream in = attribute.newCodedInput();
        ByteString.Output bytes = ByteString.newOutput(attribute.size());
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            if ((field == 6 || field == 11) && WireFormat.getTagWireType(tag) == DELIMITED) {
                out.writeBytes(field, graph(in.readBytes(), GRAPH_NODE));
            } else {
                in.skipField(tag, out);
            }
        }
        out.flush();
        return bytes.toByteString();
    }

    /** Writes nodes of ONNX's own set, each with one output, a new value, into a graph's node field. */
    final class Writer {
        private final CodedOutputStream graph;
        private final int field;

        Writer(CodedOutputStream graph, int field) {
            this.graph = graph;
            this.field = field;
        }

        String add(String opType, List<String> inputs) throws IOException {
            return add(opType, inputs, null);
        }

        /** Returns the output's name; {@code name} (or null) names the node, which ONNX Runtime's errors quote. */
        String add(String opType, List<String> inputs, String name, ByteString... attributes) throws IOException {
            String output = prefix + values++;
            ByteString.Output bytes = ByteString.newOutput();
            CodedOutputStream node = CodedOutputStream.newInstance(bytes);
            for (String input : inputs) {
                node.writeString(1, input);
            }
            node.writeString(2, output);
            if (name != null) {
                node.writeString(3, name);
            }
            node.writeString(4, opType);
            for (ByteString attribute : attributes) {
                node.writeBytes(5, attribute);
            }
            node.flush();
            graph.writeBytes(field, bytes.toByteString());
            return output;
        }

        /** A Constant node's INT64 tensor [value]. */
        String constant(long value) throws IOException {
            return add("Constant", List.of(), null, tensor(value));
        }

        /** A Constant node's FLOAT tensor [value]: opset 7's comparisons take no integers. */
        String floatConstant(float value) throws IOException {
            return add("Constant", List.of(), null, value(FLOAT, out -> out.writeFloat(4, value))); // float_data
        }

        /**
         * Writes a check that fails the run with an error naming {@code why} when {@code condition} (a BOOL [1])
         * holds: a reshape of [0] to [1, 0], one dimension too long, which ONNX Runtime refuses (and refuses as the
         * model loads when the condition is a constant). Returns {@code input} reshaped to its own shape after the
         * check, for the guarded node to take in its place. Ops of opset 7 on: the models may be that old.
         */
        String guarded(String input, String condition, String why) throws IOException {
            String zero = constant(0);
            String tail = add("Tile", List.of(zero, add("Cast", List.of(condition), null, integer("to", INT64))));
            String check = add("Reshape", List.of(zero, add("Concat", List.of(add("Shape", List.of(zero)), tail), null,
                    integer("axis", 0))), why);
            // [], once the check has run, of a length shape inference cannot know: an optimizer could otherwise
            // drop it from the reshape below, and the check would no longer have to run before the node
            String nothing = add("Tile", List.of(check, add("Cast", List.of(add("Equal", List.of(check,
                    constant(1)))), null, integer("to", INT64))));
            return add("Reshape", List.of(input, add("Concat", List.of(add("Shape", List.of(input)), nothing), null,
                    integer("axis", 0))));
        }
    }

    /** An INT attribute. */
    static ByteString integer(String name, long value) throws IOException {
        return attribute(name, ATTRIBUTE_INT, out -> out.writeInt64(3, value));
    }

    /** An INTS attribute. */
    static ByteString ints(String name, long... values) throws IOException {
        return attribute(name, ATTRIBUTE_INTS, out -> {
            for (long value : values) {
                out.writeInt64(8, value);
            }
        });
    }

    /** The TENSOR attribute {@code value}: an INT64 tensor of one dimension of 1, holding {@code value}. */
    static ByteString tensor(long value) throws IOException {
        return value(INT64, out -> out.writeInt64(7, value)); // int64_data
    }

    /** The TENSOR attribute {@code value}: a tensor of one dimension of 1 and the type, holding what data writes. */
    private static ByteString value(int type, Fields data) throws IOException {
        ByteString.Output tensorBytes = ByteString.newOutput();
        CodedOutputStream tensor = CodedOutputStream.newInstance(tensorBytes);
        tensor.writeInt64(1, 1); // dims
        tensor.writeInt32(2, type); // data_type
        data.write(tensor);
        tensor.flush();
        return attribute("value", ATTRIBUTE_TENSOR, out -> out.writeBytes(5, tensorBytes.toByteString()));
    }

    private interface Fields {
        void write(CodedOutputStream out) throws IOException;
    }

    private static ByteString attribute(String name, int type, Fields value) throws IOException {
        ByteString.Output bytes = ByteString.newOutput();
        CodedOutputStream attribute = CodedOutputStream.newInstance(bytes);
        attribute.writeString(1, name);
        value.write(attribute);
        attribute.writeInt32(20, type);
        attribute.flush();
        return bytes.toByteString();
    }
}
