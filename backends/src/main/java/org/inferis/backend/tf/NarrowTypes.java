package org.inferis.backend.tf;

import java.util.List;
import org.inferis.tensor.DType;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * TensorFlow for Java has no INT8 or INT16 tensors, though graphs take them: such an input Placeholder is replaced,
 * before import, by an INT32 one (its name + {@link #WIDE}) and a Cast bearing the placeholder's name, so its
 * consumers are unchanged; such an output is fetched through a Cast to INT32 added after import. {@link TfTensors}
 * widens and narrows the values.
 */
final class NarrowTypes {
    static final String WIDE = "/inferis_int32";

    private NarrowTypes() {
    }

    /** The narrow type TF for Java lacks, or null for any other. */
    static DType narrow(DataType type) {
        return type == DataType.DT_INT8 ? DType.INT8 : type == DataType.DT_INT16 ? DType.INT16 : null;
    }

    /**
     * The graph with each named INT8/INT16 Placeholder fed as INT32; {@code narrowInputs[i]} is set to the type the
     * i-th input takes when it was widened.
     */
    static GraphDef widenInputs(GraphDef graph, List<String> inputs, DType[] narrowInputs) {
        GraphDef.Builder rewritten = null;
        for (int n = 0; n < graph.getNodeCount(); n++) {
            NodeDef node = graph.getNode(n);
            int input = inputs.indexOf(node.getName());
            DType narrow = input < 0 || !node.getOp().equals("Placeholder") ? null
                    : narrow(node.getAttrOrDefault("dtype", AttrValue.getDefaultInstance()).getType());
            if (narrow == null) {
                continue;
            }
            narrowInputs[input] = narrow;
            if (rewritten == null) {
                rewritten = graph.toBuilder();
            }
            DataType type = node.getAttrOrThrow("dtype").getType();
            rewritten.setNode(n, node.toBuilder().setName(node.getName() + WIDE)
                    .putAttr("dtype", AttrValue.newBuilder().setType(DataType.DT_INT32).build()));
            rewritten.addNode(NodeDef.newBuilder().setName(node.getName()).setOp("Cast")
                    .addInput(node.getName() + WIDE).setDevice(node.getDevice())
                    .putAttr("SrcT", AttrValue.newBuilder().setType(DataType.DT_INT32).build())
                    .putAttr("DstT", AttrValue.newBuilder().setType(type).build()));
        }
        return rewritten == null ? graph : rewritten.build();
    }

    /** The name to fetch for an output: its own, or a Cast to INT32 added to the graph for an INT8/INT16 one. */
    static String fetchName(Graph graph, String output, DType[] narrowOutputs, int index) {
        GraphOperation operation = graph.operation(output);
        DType narrow = narrow(operation.output(0).dataType());
        if (narrow == null) {
            return output;
        }
        narrowOutputs[index] = narrow;
        graph.opBuilder("Cast", output + WIDE, graph.baseScope()).addInput(operation.output(0))
                .setAttr("DstT", DataType.DT_INT32).build();
        return output + WIDE;
    }
}
