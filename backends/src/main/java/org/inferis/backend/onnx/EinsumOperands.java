package org.inferis.backend.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.inferis.backend.onnx.OnnxGraph.Graph;
import org.inferis.backend.onnx.OnnxGraph.Node;

/**
 * Every Einsum's operands as ONNX Runtime 1.21 loads and runs the model. Its shape inference, as a model loads,
 * trusts the equation: an operand of fewer dimensions than its letters, or a later operand whose ellipsis
 * ({@code ...}) holds more dimensions of known size than the first one's, made it read past its lists, which killed
 * the process. The second is a model PyTorch exports as it is: {@code torch.einsum("...ij,...jk->...ik", w, x)} of a
 * 2-D weight and a batch of 3-D inputs, which NumPy and PyTorch broadcast. And its kernel aborted the process on a run
 * whose operand had fewer dimensions than its letters (a tensor a client sent to a model whose inputs have no declared
 * shape). So before the model loads, each Einsum's operands pass through nodes that
 * <ul>
 * <li>reshape each to its own shape, taken at run time and joined with an empty tensor whose length shape inference
 * cannot know (the indices of a random, so never precomputed, empty tensor): the Einsum's operands then have no shape
 * when the model loads, and its shape inference does nothing;</li>
 * <li>turn a run whose operand has fewer dimensions than its letters into an error before the Einsum (that tensor is
 * then [0], making the reshape's target one dimension too long, which ONNX Runtime refuses);</li>
 * <li>with ellipses in two operands or more, left-pad those operands with dimensions of 1 (Expand to a shape of ones)
 * up to the most dimensions any of the ellipses stands for, so that every run broadcasts as NumPy does.</li>
 * </ul>
 * About 1 µs a run for a model with an Einsum (measured on the reference machine); other models load as they came. The
 * bytes AI.MODELGET returns stay the client's.
 */
final class EinsumOperands {
    private static final int DELIMITED = WireFormat.WIRETYPE_LENGTH_DELIMITED;
    private static final int GRAPH_NODE = 1;
    private static final int FUNCTION_NODE = 7;
    private static final int FUNCTION_ATTRIBUTE = 11;
    // TensorProto.DataType, AttributeProto.AttributeType
    private static final int INT64 = 7;
    private static final int ATTRIBUTE_INT = 2;
    private static final int ATTRIBUTE_TENSOR = 4;
    private static final int ATTRIBUTE_INTS = 7;

    /** Starts the names of the values the guards add: no value of the model starts with it. */
    private final String prefix;
    private int values;
    private int einsums;

    private EinsumOperands(String prefix) {
        this.prefix = prefix;
    }

    /** The model to load: {@code model} itself when it has no Einsum, or with its Einsums' operands guarded. */
    static byte[] guarded(byte[] model, OnnxGraph graph) throws IOException {
        List<Graph> graphs = Stream.of(List.of(graph.main()), graph.subgraphs(), graph.functions())
                .flatMap(List::stream).toList();
        if (graphs.stream().flatMap(g -> g.nodes().stream()).noneMatch(node -> node.isOnnx("Einsum"))) {
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
        String prefix = "inferis_einsum_";
        for (int n = 2; startsAny(names, prefix); n++) {
            prefix = "inferis_einsum" + n + "_";
        }
        return new EinsumOperands(prefix).model(model);
    }

    private static boolean startsAny(Set<String> names, String prefix) {
        return names.stream().anyMatch(name -> name.startsWith(prefix));
    }

    /** Per term of the equation's left side, its letters, and whether it holds an ellipsis. */
    private record Term(int letters, boolean ellipsis) {
        static List<Term> of(String equation) {
            String left = equation.replace(" ", "");
            int arrow = left.indexOf("->");
            List<Term> terms = new ArrayList<>();
            for (String term : (arrow < 0 ? left : left.substring(0, arrow)).split(",", -1)) {
                terms.add(new Term((int) term.chars().filter(c -> c < 128 && Character.isLetter(c)).count(),
                        term.contains("...")));
            }
            return terms;
        }
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

    /** A GraphProto ({@code nodes} 1) or a FunctionProto (7), its nodes and the graphs in their attributes guarded. */
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

    /** Writes the node, after the nodes that guard its operands when it is an Einsum. */
    private void node(ByteString node, int field, CodedOutputStream graph) throws IOException {
        CodedInputStream in = node.newCodedInput();
        List<String> inputs = new ArrayList<>();
        ByteString.Output rest = ByteString.newOutput(node.size());
        CodedOutputStream out = CodedOutputStream.newInstance(rest);
        String opType = "";
        String domain = "";
        String name = "";
        String equation = "";
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            boolean delimited = WireFormat.getTagWireType(tag) == DELIMITED;
            switch (delimited ? WireFormat.getTagFieldNumber(tag) : 0) {
                case 1 -> inputs.add(in.readStringRequireUtf8());
                case 4 -> {
                    opType = in.readStringRequireUtf8();
                    out.writeString(4, opType);
                }
                case 3 -> {
                    name = in.readStringRequireUtf8();
                    out.writeString(3, name);
                }
                case 7 -> {
                    domain = in.readStringRequireUtf8();
                    out.writeString(7, domain);
                }
                case 5 -> {
                    ByteString attribute = in.readBytes();
                    String text = equation(attribute);
                    equation = text != null ? text : equation;
                    out.writeBytes(5, attribute(attribute));
                }
                default -> in.skipField(tag, out);
            }
        }
        out.flush();
        if ((domain.isEmpty() || domain.equals("ai.onnx")) && opType.equals("Einsum") && !inputs.isEmpty()) {
            einsums++; // node names must differ: the check's quotes its Einsum's, or its place among them
            inputs = guard(inputs, Term.of(equation), "Einsum " + (name.isEmpty() ? einsums + " (unnamed)"
                    : "'" + name + "'"), new Writer(graph, field));
        }
        ByteString.Output guarded = ByteString.newOutput(node.size() + 64);
        CodedOutputStream written = CodedOutputStream.newInstance(guarded);
        for (String input : inputs) {
            written.writeString(1, input);
        }
        written.writeRawBytes(rest.toByteString());
        written.flush();
        graph.writeBytes(field, guarded.toByteString());
    }

    /** The attribute's string when it is the equation, or null. */
    private static String equation(ByteString attribute) throws IOException {
        CodedInputStream in = attribute.newCodedInput();
        String name = "";
        String text = null;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == 1 && WireFormat.getTagWireType(tag) == DELIMITED) {
                name = in.readStringRequireUtf8();
            } else if (field == 4 && WireFormat.getTagWireType(tag) == DELIMITED) {
                text = in.readBytes().toStringUtf8();
            } else {
                in.skipField(tag);
            }
        }
        return name.equals("equation") ? text : null;
    }

    /** An AttributeProto, the graphs it holds ({@code g} 6, {@code graphs} 11) guarded. */
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

    /**
     * Writes the nodes that guard an Einsum's operands (above) and returns its inputs: the guarded operands. Each
     * operand's span (its dimensions less its letters: what its ellipsis stands for, negative when it has too few)
     * decides the guard, and with two ellipses or more, the padding.
     */
    private List<String> guard(List<String> inputs, List<Term> terms, String einsum, Writer nodes) throws IOException {
        String minusOne = nodes.constant(-1);
        // an empty INT64 tensor whose length shape inference cannot know: a random tensor is never precomputed
        String empty = nodes.add("Reshape", List.of(nodes.add("NonZero", List.of(nodes.add("RandomUniform", List.of(),
                null, ints("shape", 0)))), minusOne));
        List<String> shapes = new ArrayList<>();
        List<String> spans = new ArrayList<>();
        List<String> letters = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            Term term = i < terms.size() ? terms.get(i) : new Term(0, false);
            shapes.add(nodes.add("Shape", List.of(inputs.get(i))));
            letters.add(nodes.constant(term.letters()));
            spans.add(nodes.add("Sub", List.of(nodes.add("Shape", List.of(shapes.get(i))), letters.get(i))));
        }
        // [] when every operand has its letters' dimensions, else [0]: the check's target, one dimension too long
        String tail = nodes.add("Reshape", List.of(nodes.add("NonZero", List.of(nodes.add("Less",
                List.of(nodes.add("Min", spans), nodes.constant(0))))), minusOne));
        String check = nodes.add("Reshape", List.of(empty, nodes.add("Concat", List.of(nodes.add("Shape",
                List.of(empty)), tail), null, integer("axis", 0))),
                "an operand of " + einsum + " has fewer dimensions than its letters");
        String checked = nodes.add("Reshape", List.of(check, minusOne)); // one dimension, should shapes fold
        List<String> guarded = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            guarded.add(nodes.add("Reshape", List.of(inputs.get(i), nodes.add("Concat",
                    List.of(shapes.get(i), checked), null, integer("axis", 0)))));
        }
        List<Integer> ellipses = new ArrayList<>();
        for (int i = 0; i < Math.min(inputs.size(), terms.size()); i++) {
            if (terms.get(i).ellipsis()) {
                ellipses.add(i);
            }
        }
        if (ellipses.size() >= 2) {
            String most = nodes.add("Max", ellipses.stream().map(spans::get).toList());
            for (int i : ellipses) {
                String ones = nodes.add("ConstantOfShape", List.of(nodes.add("Add", List.of(most, letters.get(i)))),
                        null, tensor(1));
                guarded.set(i, nodes.add("Expand", List.of(guarded.get(i), ones)));
            }
        }
        return guarded;
    }

    /** Writes nodes of ONNX's own set, each with one output, a new value, into a graph's node field. */
    private final class Writer {
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
    }

    /** An INT attribute. */
    private static ByteString integer(String name, long value) throws IOException {
        return attribute(name, ATTRIBUTE_INT, out -> out.writeInt64(3, value));
    }

    /** An INTS attribute. */
    private static ByteString ints(String name, long... values) throws IOException {
        return attribute(name, ATTRIBUTE_INTS, out -> {
            for (long value : values) {
                out.writeInt64(8, value);
            }
        });
    }

    /** The TENSOR attribute {@code value}: an INT64 tensor of one dimension of 1, holding {@code value}. */
    private static ByteString tensor(long value) throws IOException {
        ByteString.Output tensorBytes = ByteString.newOutput();
        CodedOutputStream tensor = CodedOutputStream.newInstance(tensorBytes);
        tensor.writeInt64(1, 1); // dims
        tensor.writeInt32(2, INT64); // data_type
        tensor.writeInt64(7, value); // int64_data
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
