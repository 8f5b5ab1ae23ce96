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
 * Some TensorFlow kernels size a {@code std::vector} by a run's values: lists and TensorArrays hold their elements in
 * one (a reserve, a resize, the highest index written), and {@code SparseFillEmptyRows} keeps one entry a row of its
 * dense shape. A size past what malloc gives threw {@code std::bad_alloc} out of the kernel, which aborted the process
 * ({@code TensorListReserve} of 2^30 elements, {@code SparseFillEmptyRows} of 2^40 rows). Before import, each such
 * input goes through an {@code Assert} that it stays within {@link #MOST_ELEMENTS}: past it, the run fails with the
 * assertion's message and the process goes on. A limit, not a refusal: TF 2 loops and TensorArrays compute these
 * sizes as they run.
 */
final class BoundedSizes {
    /** 2^24 elements: some 512 MiB of element headers in a list; far past any inference loop's length or batch. */
    static final int MOST_ELEMENTS = 1 << 24;

    /** What of an input sizes the vector: the scalar itself, a vector's largest index, or a shape's first dimension. */
    private enum Part { SCALAR, LARGEST, FIRST }

    /** An input of a guarded op that sizes a vector: its position, its name and type, and the part that counts. */
    private record Sized(int input, String name, DataType type, Part part) {
        static Sized scalar(int input, String name) {
            return new Sized(input, name, DataType.DT_INT32, Part.SCALAR);
        }

        static Sized indices(int input) {
            return new Sized(input, "indices", DataType.DT_INT32, Part.LARGEST);
        }
    }

    private static final Map<String, List<Sized>> GUARDED = Map.ofEntries(
            Map.entry("TensorListReserve", List.of(Sized.scalar(1, "num_elements"))),
            Map.entry("TensorListResize", List.of(Sized.scalar(1, "size"))),
            Map.entry("TensorListSetItem", List.of(Sized.scalar(1, "index"))),
            Map.entry("TensorListScatter", List.of(Sized.indices(1))),
            Map.entry("TensorListScatterV2", List.of(Sized.indices(1), Sized.scalar(3, "num_elements"))),
            Map.entry("TensorListScatterIntoExistingList", List.of(Sized.indices(2))),
            Map.entry("TensorArrayV2", List.of(Sized.scalar(0, "size"))),
            Map.entry("TensorArrayV3", List.of(Sized.scalar(0, "size"))),
            Map.entry("TensorArrayWriteV2", List.of(Sized.scalar(1, "index"))),
            Map.entry("TensorArrayWriteV3", List.of(Sized.scalar(1, "index"))),
            Map.entry("TensorArrayScatterV2", List.of(Sized.indices(1))),
            Map.entry("TensorArrayScatterV3", List.of(Sized.indices(1))),
            Map.entry("SparseFillEmptyRows", List.of(new Sized(2, "dense_shape[0]", DataType.DT_INT64, Part.FIRST))));

    private BoundedSizes() {
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
     * Adds the nodes that pass the input on once an Assert found the part of it that counts within the limit; returns
     * the name of the value they pass on.
     */
    private static String check(List<NodeDef> into, NodeDef node, Sized input, boolean inFunction) {
        String prefix = node.getName() + "/inferis_bound_" + input.input() + "/";
        String device = node.getDevice();
        String value = node.getInput(input.input());
        DataType type = input.type();
        String counted = value;
        if (input.part() != Part.SCALAR) {
            into.add(constant(prefix + "zero", device, TensorProto.newBuilder().setDtype(DataType.DT_INT32)
                    .addIntVal(0)));
            String zero = output(prefix + "zero", "output", inFunction);
            into.add(input.part() == Part.LARGEST // the highest index written sizes the list
                    ? op(prefix + "counted", "Max", device, value, zero).putAttr("T", type(type))
                            .putAttr("Tidx", type(DataType.DT_INT32)).build()
                    : op(prefix + "counted", "GatherV2", device, value, zero, zero).putAttr("Tparams", type(type))
                            .putAttr("Tindices", type(DataType.DT_INT32)).putAttr("Taxis", type(DataType.DT_INT32))
                            .putAttr("batch_dims", AttrValue.newBuilder().setI(0).build()).build());
            counted = output(prefix + "counted", "output", inFunction);
        }
        TensorProto.Builder most = TensorProto.newBuilder().setDtype(type);
        if (type == DataType.DT_INT64) {
            most.addInt64Val(MOST_ELEMENTS);
        } else {
            most.addIntVal(MOST_ELEMENTS);
        }
        into.add(constant(prefix + "most", device, most));
        into.add(op(prefix + "within", "LessEqual", device, counted, output(prefix + "most", "output", inFunction))
                .putAttr("T", type(type)).build());
        String message = "the " + input.name() + " of " + node.getOp() + " must stay within " + MOST_ELEMENTS
                + " elements in Inferis (past what memory holds, TensorFlow aborts the process)";
        into.add(constant(prefix + "message", device, TensorProto.newBuilder().setDtype(DataType.DT_STRING)
                .addStringVal(ByteString.copyFrom(message, StandardCharsets.UTF_8))));
        into.add(op(prefix + "assert", "Assert", device, output(prefix + "within", "z", inFunction),
                output(prefix + "message", "output", inFunction), counted)
                .putAttr("T", AttrValue.newBuilder().setList(AttrValue.ListValue.newBuilder()
                        .addType(DataType.DT_STRING).addType(type)).build())
                .putAttr("summarize", AttrValue.newBuilder().setI(3).build()).build());
        into.add(op(prefix + "checked", "Identity", device, value, "^" + prefix + "assert")
                .putAttr("T", type(type)).build());
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
