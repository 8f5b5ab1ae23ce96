package org.inferis.backend.tf;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;

/**
 * TensorFlow's lists and TensorArrays hold their elements in a {@code std::vector} sized by a run's values (a
 * reserve, a resize, the highest index written), and a size past what malloc gives threw {@code std::bad_alloc} out
 * of the kernel, which aborted the process ({@code TensorListReserve} of 2^30 elements). Before import, each such size
 * or index input goes through an {@code Assert} that it stays within {@link #MOST_ELEMENTS}: past it, the run fails
 * with the assertion's message and the process goes on. A limit, not a refusal: TF 2 loops and TensorArrays compute
 * these sizes as they run.
 */
final class BoundedLists {
    /** 2^24 elements: some 512 MiB of element headers in a list; far past any inference loop's length. */
    static final int MOST_ELEMENTS = 1 << 24;

    /** A size or index input of a guarded op: its position, its name, and whether it is a vector of indices. */
    private record Sized(int input, String name, boolean indices) {
    }

    private static final Map<String, List<Sized>> GUARDED = Map.ofEntries(
            Map.entry("TensorListReserve", List.of(new Sized(1, "num_elements", false))),
            Map.entry("TensorListResize", List.of(new Sized(1, "size", false))),
            Map.entry("TensorListSetItem", List.of(new Sized(1, "index", false))),
            Map.entry("TensorListScatter", List.of(new Sized(1, "indices", true))),
            Map.entry("TensorListScatterV2", List.of(new Sized(1, "indices", true),
                    new Sized(3, "num_elements", false))),
            Map.entry("TensorListScatterIntoExistingList", List.of(new Sized(2, "indices", true))),
            Map.entry("TensorArrayV2", List.of(new Sized(0, "size", false))),
            Map.entry("TensorArrayV3", List.of(new Sized(0, "size", false))),
            Map.entry("TensorArrayWriteV2", List.of(new Sized(1, "index", false))),
            Map.entry("TensorArrayWriteV3", List.of(new Sized(1, "index", false))),
            Map.entry("TensorArrayScatterV2", List.of(new Sized(1, "indices", true))),
            Map.entry("TensorArrayScatterV3", List.of(new Sized(1, "indices", true))));

    private BoundedLists() {
    }

    /** The graph with every guarded input of its nodes and of its functions' nodes checked; itself when it has none. */
    static GraphDef guard(GraphDef graph) {
        if (GraphNodes.of(graph).stream().noneMatch(node -> GUARDED.containsKey(node.getOp()))) {
            return graph;
        }
        GraphDef.Builder guarded = graph.toBuilder().clearNode().addAllNode(guardAll(graph.getNodeList(), false));
        for (int f = 0; f < guarded.getLibrary().getFunctionCount(); f++) {
            FunctionDef function = guarded.getLibrary().getFunction(f);
            guarded.getLibraryBuilder().setFunction(f, function.toBuilder().clearNodeDef()
                    .addAllNodeDef(guardAll(function.getNodeDefList(), true)));
        }
        return guarded.build();
    }

    /** The nodes, each guarded one with its sized inputs taken through their checks, which are added beside it. */
    private static List<NodeDef> guardAll(List<NodeDef> nodes, boolean inFunction) {
        List<NodeDef> all = new ArrayList<>(nodes.size());
        for (NodeDef node : nodes) {
            List<Sized> sized = GUARDED.get(node.getOp());
            if (sized == null) {
                all.add(node);
                continue;
            }
            NodeDef.Builder checked = node.toBuilder();
            for (Sized input : sized) {
                if (input.input() < node.getInputCount() && !node.getInput(input.input()).startsWith("^")) {
                    checked.setInput(input.input(), check(all, node, input, inFunction));
                }
            }
            all.add(checked.build());
        }
        return all;
    }

    /**
     * Adds the nodes that pass the input on once an Assert found it (its largest index) within the limit; returns
     * the name of the value they pass on.
     */
    private static String check(List<NodeDef> into, NodeDef node, Sized input, boolean inFunction) {
        String prefix = node.getName() + "/inferis_bound_" + input.name() + "/";
        String device = node.getDevice();
        String value = node.getInput(input.input());
        String largest = value;
        if (input.indices()) { // the highest index written sizes the list
            into.add(constant(prefix + "axis", device, TensorProto.newBuilder().setDtype(DataType.DT_INT32)
                    .addIntVal(0)));
            into.add(op(prefix + "largest", "Max", device, value, output(prefix + "axis", "output", inFunction))
                    .putAttr("T", type(DataType.DT_INT32)).putAttr("Tidx", type(DataType.DT_INT32)).build());
            largest = output(prefix + "largest", "output", inFunction);
        }
        into.add(constant(prefix + "most", device, TensorProto.newBuilder().setDtype(DataType.DT_INT32)
                .addIntVal(MOST_ELEMENTS)));
        into.add(op(prefix + "within", "LessEqual", device, largest, output(prefix + "most", "output", inFunction))
                .putAttr("T", type(DataType.DT_INT32)).build());
        String message = "the " + input.name() + " of " + node.getOp() + " must stay within " + MOST_ELEMENTS
                + " elements in Inferis (past what memory holds, TensorFlow aborts the process)";
        into.add(constant(prefix + "message", device, TensorProto.newBuilder().setDtype(DataType.DT_STRING)
                .addStringVal(ByteString.copyFrom(message, StandardCharsets.UTF_8))));
        into.add(op(prefix + "assert", "Assert", device, output(prefix + "within", "z", inFunction),
                output(prefix + "message", "output", inFunction), largest)
                .putAttr("T", AttrValue.newBuilder().setList(AttrValue.ListValue.newBuilder()
                        .addType(DataType.DT_STRING).addType(DataType.DT_INT32)).build())
                .putAttr("summarize", AttrValue.newBuilder().setI(3).build()).build());
        into.add(op(prefix + "checked", "Identity", device, value, "^" + prefix + "assert")
                .putAttr("T", type(DataType.DT_INT32)).build());
        return output(prefix + "checked", "output", inFunction);
    }

    /** How a node's first output is named: by the node in a graph, by the node and the op's argument in a function. */
    private static String output(String node, String argument, boolean inFunction) {
        return inFunction ? node + ":" + argument + ":0" : node;
    }

    private static NodeDef.Builder op(String name, String op, String device, String... inputs) {
        return NodeDef.newBuilder().setName(name).setOp(op).setDevice(device).addAllInput(List.of(inputs));
    }

    private static NodeDef constant(String name, String device, TensorProto.Builder scalar) {
        return op(name, "Const", device).putAttr("dtype", type(scalar.getDtype()))
                .putAttr("value", AttrValue.newBuilder().setTensor(scalar).build()).build();
    }

    private static AttrValue type(DataType type) {
        return AttrValue.newBuilder().setType(type).build();
    }
}
