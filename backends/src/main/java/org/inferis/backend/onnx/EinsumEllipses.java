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
 * Einsums with an ellipsis ({@code ...}) in two operands or more, which may stand for different numbers of dimensions:
 * NumPy and PyTorch broadcast them, as in {@code torch.einsum("...ij,...jk->...ik", w, x)} of a 2-D weight and a
 * batch of 3-D inputs, which PyTorch exports as it is. ONNX Runtime 1.21's shape inference, as such a model loads,
 * reads past its own list when a later operand's ellipsis holds more dimensions of known size than the first one's,
 * which killed the process (the export above with fixed shapes did); in the other order it refused the model.
 * So before the model loads, every such operand is left-padded with dimensions of 1 (Expand to a shape of ones) up to
 * the most dimensions any of the node's ellipses stands for, counted from the operands' ranks at run time: the ranks
 * then agree, in shape inference and in every run, and the result is the broadcast one. An operand of fewer dimensions
 * than its letters is left as it is, for the Einsum's own error. The bytes AI.MODELGET returns stay the client's.
 */
final class EinsumEllipses {
    private static final int DELIMITED = WireFormat.WIRETYPE_LENGTH_DELIMITED;
    private static final int GRAPH_NODE = 1;
    private static final int FUNCTION_NODE = 7;
    private static final int FUNCTION_ATTRIBUTE = 11;
    private static final int INT64 = 7;
    private static final int TENSOR_ATTRIBUTE = 4;

    /** Starts the names of the values the padding adds: no value of the model starts with it. */
    private final String prefix;
    private int values;

    private EinsumEllipses(String prefix) {
        this.prefix = prefix;
    }

    /** The model to load: {@code model} itself, or with the ellipsis operands of its Einsums padded. */
    static byte[] padded(byte[] model, OnnxGraph graph) throws IOException {
        List<Graph> graphs = Stream.of(List.of(graph.main()), graph.subgraphs(), graph.functions())
                .flatMap(List::stream).toList();
        if (graphs.stream().flatMap(g -> g.nodes().stream()).noneMatch(EinsumEllipses::needsPadding)) {
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
        return new EinsumEllipses(prefix).model(model);
    }

    private static boolean startsAny(Set<String> names, String prefix) {
        return names.stream().anyMatch(name -> name.startsWith(prefix));
    }

    /** An Einsum of ONNX's set with ellipses in two operands or more. */
    private static boolean needsPadding(Node node) {
        OnnxGraph.Attribute equation = node.attributes().get("equation");
        return node.isOnnx("Einsum") && equation != null && !letters(equation.text()).isEmpty();
    }

    /** Per operand of the equation, its letters, or -1 for an operand without an ellipsis; none unless two have one. */
    private static List<Integer> letters(String equation) {
        String left = equation.replace(" ", "");
        int arrow = left.indexOf("->");
        String[] terms = (arrow < 0 ? left : left.substring(0, arrow)).split(",", -1);
        List<Integer> letters = new ArrayList<>();
        int ellipses = 0;
        for (String term : terms) {
            boolean ellipsis = term.contains("...");
            ellipses += ellipsis ? 1 : 0;
            letters.add(ellipsis ? (int) term.chars().filter(c -> c < 128 && Character.isLetter(c)).count() : -1);
        }
        return ellipses >= 2 ? letters : List.of();
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

    /** A GraphProto ({@code nodes} 1) or a FunctionProto (7), its nodes and the graphs in their attributes padded. */
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

    /** Writes the node, after the nodes that pad its operands when it is an Einsum that needs them. */
    private void node(ByteString node, int field, CodedOutputStream graph) throws IOException {
        CodedInputStream in = node.newCodedInput();
        List<String> inputs = new ArrayList<>();
        ByteString.Output rest = ByteString.newOutput(node.size());
        CodedOutputStream out = CodedOutputStream.newInstance(rest);
        String opType = "";
        String domain = "";
        String equation = null;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            boolean delimited = WireFormat.getTagWireType(tag) == DELIMITED;
            switch (delimited ? WireFormat.getTagFieldNumber(tag) : 0) {
                case 1 -> inputs.add(in.readStringRequireUtf8());
                case 4 -> {
                    opType = in.readStringRequireUtf8();
                    out.writeString(4, opType);
                }
                case 7 -> {
                    domain = in.readStringRequireUtf8();
                    out.writeString(7, domain);
                }
                case 5 -> {
                    ByteString attribute = in.readBytes();
                    equation = equation != null ? equation : equation(attribute);
                    out.writeBytes(5, attribute(attribute));
                }
                default -> in.skipField(tag, out);
            }
        }
        out.flush();
        boolean onnx = domain.isEmpty() || domain.equals("ai.onnx");
        List<Integer> letters = onnx && opType.equals("Einsum") && equation != null ? letters(equation) : List.of();
        if (!letters.isEmpty() && letters.size() == inputs.size()) {
            inputs = pad(inputs, letters, field, graph);
        }
        ByteString.Output padded = ByteString.newOutput(node.size() + 64);
        CodedOutputStream written = CodedOutputStream.newInstance(padded);
        for (String input : inputs) {
            written.writeString(1, input);
        }
        written.writeRawBytes(rest.toByteString());
        written.flush();
        graph.writeBytes(field, padded.toByteString());
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

    /** An AttributeProto, the graphs it holds ({@code g} 6, {@code graphs} 11) padded. */
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
     * Writes the nodes that pad each operand with an ellipsis: its ellipsis's dimensions e = rank - letters, their
     * most E over the operands, and the operand expanded to E + letters dimensions (none added where e < 0).
     * Returns the Einsum's inputs, the padded ones in place of theirs.
     */
    private List<String> pad(List<String> inputs, List<Integer> letters, int field, CodedOutputStream graph)
            throws IOException {
        String zero = constant(0, field, graph);
        List<String> spans = new ArrayList<>();
        List<String> counts = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            if (letters.get(i) < 0) {
                spans.add(null);
                counts.add(null);
                continue;
            }
            String rank = node("Shape", List.of(node("Shape", List.of(inputs.get(i)), field, graph)), field, graph);
            counts.add(constant(letters.get(i), field, graph));
            spans.add(node("Sub", List.of(rank, counts.get(i)), field, graph));
        }
        String most = node("Max", spans.stream().filter(span -> span != null).toList(), field, graph);
        List<String> padded = new ArrayList<>(inputs);
        for (int i = 0; i < inputs.size(); i++) {
            if (spans.get(i) == null) {
                continue;
            }
            String deficient = node("Less", List.of(spans.get(i), zero), field, graph);
            String dimensions = node("Where", List.of(deficient, zero,
                    node("Add", List.of(most, counts.get(i)), field, graph)), field, graph);
            String ones = emit("ConstantOfShape", List.of(dimensions), tensorAttribute(1), field, graph);
            padded.set(i, node("Expand", List.of(inputs.get(i), ones), field, graph));
        }
        return padded;
    }

    /** A Constant node's INT64 tensor of one element, [value]. */
    private String constant(long value, int field, CodedOutputStream graph) throws IOException {
        return emit("Constant", List.of(), tensorAttribute(value), field, graph);
    }

    private String node(String opType, List<String> inputs, int field, CodedOutputStream graph) throws IOException {
        return emit(opType, inputs, null, field, graph);
    }

    /** Writes a node of ONNX's set with one output, a new value, and returns its name. */
    private String emit(String opType, List<String> inputs, ByteString attribute, int field, CodedOutputStream graph)
            throws IOException {
        String output = prefix + values++;
        ByteString.Output bytes = ByteString.newOutput();
        CodedOutputStream node = CodedOutputStream.newInstance(bytes);
        for (String input : inputs) {
            node.writeString(1, input);
        }
        node.writeString(2, output);
        node.writeString(4, opType);
        if (attribute != null) {
            node.writeBytes(5, attribute);
        }
        node.flush();
        graph.writeBytes(field, bytes.toByteString());
        return output;
    }

    /** The attribute {@code value}: an INT64 tensor of one dimension of 1, holding {@code value}. */
    private static ByteString tensorAttribute(long value) throws IOException {
        ByteString.Output tensorBytes = ByteString.newOutput();
        CodedOutputStream tensor = CodedOutputStream.newInstance(tensorBytes);
        tensor.writeInt64(1, 1); // dims
        tensor.writeInt32(2, INT64); // data_type
        tensor.writeInt64(7, value); // int64_data
        tensor.flush();
        ByteString.Output bytes = ByteString.newOutput();
        CodedOutputStream attribute = CodedOutputStream.newInstance(bytes);
        attribute.writeString(1, "value");
        attribute.writeBytes(5, tensorBytes.toByteString());
        attribute.writeInt32(20, TENSOR_ATTRIBUTE);
        attribute.flush();
        return bytes.toByteString();
    }
}
