package org.inferis.backend.onnx;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.inferis.backend.BackendException;
import org.inferis.backend.onnx.OnnxGraph.Graph;
import org.inferis.backend.onnx.OnnxGraph.Node;

/**
 * Convolutions' {@code kernel_shape}, which ONNX Runtime 1.21's shape inference takes from the weights' dimensions
 * when a node does not give it, then reads the node's dilations, strides and pads (as many as the input has spatial
 * dimensions) for each of them: weights of more dimensions than the input read past those lists, which killed the
 * process as the model loaded (a Conv of a 1-D signal by a 2-D kernel, a ConvTranspose, a DeformConv). Given as an
 * attribute, its length is checked against the input's. So a convolution without it gets it from its weights when they
 * are a constant (an initializer or a Constant node, through Identity, Cast or DequantizeLinear, as quantized models
 * hold them), and one whose weights Inferis cannot see is refused unless it gives it. Weights of fewer than 3
 * dimensions are refused, and so are a ConvTranspose's that are not a constant: ONNX Runtime reads a ConvTranspose's
 * weights' dimensions without checking them (1-D weights killed the process, given as a constant or by a client).
 */
final class KernelShapes implements ModelRewrite.Rule {
    /** The convolutions, by the input their weights are. */
    private static final Map<String, Integer> WEIGHTS = Map.of("Conv", 1, "ConvInteger", 1, "ConvTranspose", 1,
            "DeformConv", 1, "QLinearConv", 3);
    private static final Set<String> SHAPE_KEEPING = Set.of("Identity", "Cast", "DequantizeLinear");

    /** The kernel shape to add, by the first output of its node. */
    private final Map<String, List<Long>> shapes;

    private KernelShapes(Map<String, List<Long>> shapes) {
        this.shapes = shapes;
    }

    /** The kernel shapes the model's convolutions lack; refuses one whose weights it cannot see. */
    static KernelShapes of(OnnxGraph model) throws BackendException {
        Map<String, List<Long>> shapes = new HashMap<>();
        for (Graph graph : model.graphs()) {
            Map<String, Node> producers = graph.producers();
            for (Node node : graph.nodes()) {
                Integer weights = node.domain().isEmpty() ? WEIGHTS.get(node.opType()) : null;
                if (weights == null || node.outputs().isEmpty()) {
                    continue;
                }
                OnnxGraph.Source source = OnnxGraph.trace(node.input(weights), producers,
                        step -> step.domain().isEmpty() && SHAPE_KEEPING.contains(step.opType()));
                OnnxGraph.Tensor tensor = OnnxGraph.constantTensor(graph, producers, source.name());
                String origin = source.producer() == null ? "an input" : "the output of " + source.producer().opType();
                if (tensor != null && tensor.dims().size() < 3) {
                    throw new BackendException("the model's " + node.label() + " has weights of "
                            + tensor.dims().size() + " dimensions: a convolution's have at least 3 (a ConvTranspose's "
                            + "of 1 killed the process)");
                }
                if (tensor == null && node.isOnnx("ConvTranspose")) {
                    throw new BackendException("the model's " + node.label() + " takes its weights from " + origin
                            + ": ONNX Runtime reads a ConvTranspose's weights' dimensions without checking them (1-D "
                            + "weights a client sent killed the process); they must be a constant");
                }
                if (node.attributes().containsKey("kernel_shape")) {
                    continue;
                }
                if (tensor == null) {
                    throw new BackendException("the model's " + node.label() + " has no kernel_shape and takes its "
                            + "weights from " + origin + ", whose dimensions Inferis cannot see: ONNX Runtime then "
                            + "reads past the node's attributes when the weights have more dimensions than the input "
                            + "(which killed the process); give the node its kernel_shape");
                }
                shapes.put(node.outputs().get(0), tensor.dims().subList(2, tensor.dims().size()));
            }
        }
        return new KernelShapes(shapes);
    }

    @Override
    public boolean appliesTo(Node node) {
        return !node.outputs().isEmpty() && shapes.containsKey(node.outputs().get(0));
    }

    @Override
    public void rewrite(ModelRewrite.Node node, ModelRewrite.Writer before) throws IOException {
        List<Long> shape = node.outputs.isEmpty() || !WEIGHTS.containsKey(node.opType) ? null
                : shapes.get(node.outputs.get(0));
        if (shape != null && !node.attributes.containsKey("kernel_shape")) {
            node.added.add(ModelRewrite.ints("kernel_shape", shape.stream().mapToLong(Long::longValue).toArray()));
        }
    }
}
