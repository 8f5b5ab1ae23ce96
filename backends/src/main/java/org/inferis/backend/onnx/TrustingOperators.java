package org.inferis.backend.onnx;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.inferis.backend.BackendException;
import org.inferis.backend.onnx.OnnxGraph.Graph;
import org.inferis.backend.onnx.OnnxGraph.Node;

/**
 * ONNX operators whose ONNX Runtime kernels (1.21) trust positions they are given, which the checks before a run
 * cannot bound: a crafted model of each killed the process on its first run. They are refused wherever they are; so
 * are attributes that ONNX Runtime divides by, of 0 or less, and geometry it loops over without checking it.
 */
final class TrustingOperators {
    private static final Map<String, String> REFUSED = Map.of(
            "MaxUnpool", "writes its output at the positions of its indices, unchecked (one past the output killed "
                    + "the process)",
            "RoiAlign", "reads the image its batch indices name, unchecked (one past the batch killed the process)");

    private TrustingOperators() {
    }

    static void check(OnnxGraph model) throws BackendException {
        List<Graph> graphs = new ArrayList<>(List.of(model.main()));
        graphs.addAll(model.subgraphs());
        graphs.addAll(model.functions());
        for (Graph graph : graphs) {
            for (Node node : graph.nodes()) {
                if (!node.domain().isEmpty()) {
                    continue;
                }
                if (REFUSED.containsKey(node.opType())) {
                    throw new BackendException("the model's " + node.label() + " is refused: ONNX Runtime "
                            + REFUSED.get(node.opType()));
                }
                checkDivisorAttributes(node);
                checkWindowAttributes(node);
            }
        }
    }

    /**
     * Attributes ONNX Runtime divides by without checking them: a convolution's or pooling's {@code strides} (a
     * {@code Conv} or {@code MaxPool} with a stride of 0 killed the process as the model loaded) and
     * {@code GroupNormalization}'s {@code num_groups} (0 killed it on the first run).
     */
    private static void checkDivisorAttributes(Node node) throws BackendException {
        long stride = least(node, "strides");
        if (stride < 1) {
            throw new BackendException("the model's " + node.label() + " has a stride of " + stride
                    + ": ONNX Runtime divides by strides without checking them (a 0 killed the process); strides "
                    + "must be at least 1");
        }
        if (node.isOnnx("GroupNormalization") && node.integer("num_groups", 1) < 1) {
            throw new BackendException("the model's " + node.label() + " has num_groups "
                    + node.integer("num_groups", 1) + ": ONNX Runtime divides by it without checking it (0 killed "
                    + "the process); it must be at least 1");
        }
    }

    /**
     * A window's {@code pads}, which ONNX requires to be 0 or more on every operator that has them as an attribute but
     * opset 2's {@code Pad} (where a negative pad crops), and {@code dilations}, 1 or more: ONNX Runtime loops over
     * them unchecked. A {@code Conv} with pads of -1 killed the process on its first run; a {@code Col2Im} with pads
     * of -5 never returned, holding a core for good; dilations of 0 ran, answering meaningless values.
     */
    private static void checkWindowAttributes(Node node) throws BackendException {
        long pad = least(node, "pads");
        if (pad < 0 && !node.isOnnx("Pad")) {
            throw new BackendException("the model's " + node.label() + " has a pad of " + pad
                    + ": ONNX Runtime reads a window's pads unchecked (a Conv's -1 killed the process); pads must be "
                    + "at least 0");
        }
        long dilation = least(node, "dilations");
        if (dilation < 1) {
            throw new BackendException("the model's " + node.label() + " has a dilation of " + dilation
                    + ": dilations must be at least 1");
        }
    }

    /** The least of a node's integer list attribute; {@link Long#MAX_VALUE} when it has none. */
    private static long least(Node node, String attribute) {
        OnnxGraph.Attribute values = node.attributes().get(attribute);
        return values == null || values.integers().length == 0 ? Long.MAX_VALUE : values.integers().min;
    }
}
