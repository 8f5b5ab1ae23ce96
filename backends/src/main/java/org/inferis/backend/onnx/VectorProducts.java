package org.inferis.backend.onnx;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.inferis.backend.onnx.OnnxGraph.Graph;
import org.inferis.backend.onnx.OnnxGraph.Node;

/**
 * {@code MatMul} (and {@code MatMulInteger}) of two 1-D tensors, a dot product: ONNX Runtime 1.21 reads as many
 * elements of the second as the first has, unchecked, so vectors of different lengths read past the second (a [3] by a
 * [2] answered a value made of other memory; by an empty one, it killed the process). Where neither operand is a
 * constant of two dimensions or more (a layer's weights, which rule the case out), a check before the node answers a
 * run of two 1-D operands of different lengths with an error.
 */
final class VectorProducts implements ModelRewrite.Rule {
    private static final Set<String> OPERATORS = Set.of("MatMul", "MatMulInteger");

    /** The products to check, by their first output. */
    private final Set<String> checked;

    private VectorProducts(Set<String> checked) {
        this.checked = checked;
    }

    static VectorProducts of(OnnxGraph model) {
        Set<String> checked = new HashSet<>();
        for (Graph graph : model.graphs()) {
            Map<String, Node> producers = graph.producers();
            for (Node node : graph.nodes()) {
                if (node.domain().isEmpty() && OPERATORS.contains(node.opType()) && !node.outputs().isEmpty()
                        && !matrix(graph, producers, node.input(0)) && !matrix(graph, producers, node.input(1))) {
                    checked.add(node.outputs().get(0));
                }
            }
        }
        return new VectorProducts(checked);
    }

    /** A constant of two dimensions or more. */
    private static boolean matrix(Graph graph, Map<String, Node> producers, String input) {
        OnnxGraph.Tensor constant = OnnxGraph.constantTensor(graph, producers, input);
        return constant != null && constant.dims().size() >= 2;
    }

    @Override
    public boolean appliesTo(Node node) {
        return !node.outputs().isEmpty() && checked.contains(node.outputs().get(0));
    }

    @Override
    public void rewrite(ModelRewrite.Node node, ModelRewrite.Writer before) throws IOException {
        if (!OPERATORS.contains(node.opType) || node.outputs.isEmpty() || !checked.contains(node.outputs.get(0))
                || node.inputs.size() < 2) {
            return;
        }
        String one = before.constant(1);
        List<String> ranks = new ArrayList<>();
        List<String> sizes = new ArrayList<>();
        for (String input : node.inputs.subList(0, 2)) {
            ranks.add(before.add("Equal", List.of(before.add("Reshape", List.of(before.add("Size",
                    List.of(before.add("Shape", List.of(input)))), one)), one)));
            sizes.add(before.add("Reshape", List.of(before.add("Size", List.of(input)), one)));
        }
        String mismatched = before.add("And", List.of(before.add("And", ranks), before.add("Not",
                List.of(before.add("Equal", sizes)))));
        List<String> inputs = new ArrayList<>(node.inputs);
        inputs.set(0, before.guarded(inputs.get(0), mismatched, node.label + " multiplies vectors of different "
                + "lengths"));
        node.inputs = inputs;
    }
}
