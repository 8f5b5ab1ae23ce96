package org.inferis.backend.onnx;

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
        for (Graph graph : model.graphs()) {
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
                checkPositionAttributes(node);
            }
            checkConstantOperands(graph);
            checkColumnShapes(graph);
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
        for (String groups : List.of("group", "offset_group")) { // a ConvTranspose's group of 0 killed the process
            if (node.integer(groups, 1) < 1) {
                throw new BackendException("the model's " + node.label() + " has " + groups + " "
                        + node.integer(groups, 1) + ": ONNX Runtime divides by it without checking it (a "
                        + "ConvTranspose's 0 killed the process); it must be at least 1");
            }
        }
        // the C++ library's distributions assert a positive spread (a RandomNormalLike of scale 0 aborted)
        boolean normal = node.isOnnx("RandomNormal") || node.isOnnx("RandomNormalLike");
        if (normal && !(node.real("scale", 1) > 0)) {
            throw new BackendException("the model's " + node.label() + " has a scale of " + node.real("scale", 1)
                    + ": the C++ library's normal distribution asserts a positive one (0 killed the process)");
        }
        boolean uniform = node.isOnnx("RandomUniform") || node.isOnnx("RandomUniformLike");
        if (uniform && !(node.real("low", 0) <= node.real("high", 1))) {
            throw new BackendException("the model's " + node.label() + " has low " + node.real("low", 0)
                    + " above high " + node.real("high", 1) + ": the C++ library's uniform distribution asserts "
                    + "the other order (which killed the process)");
        }
        // DepthToSpace and SpaceToDepth divide by the square of their block size, which 2^62 overflows to 0
        if ((node.isOnnx("DepthToSpace") || node.isOnnx("SpaceToDepth"))
                && (node.integer("blocksize", 1) < 1 || node.integer("blocksize", 1) > Integer.MAX_VALUE)) {
            throw new BackendException("the model's " + node.label() + " has a blocksize of "
                    + node.integer("blocksize", 1) + ": ONNX Runtime divides by its square without checking it "
                    + "(2^62 killed the process); it must lie within 1 and 2^31 - 1");
        }
    }

    /**
     * Attributes whose values ONNX Runtime's shape inference indexes by, or whose count it trusts, as the model loads:
     * {@code GatherND}'s {@code batch_dims} (ONNX requires it to be 0 or more; -436 killed the process), the
     * reductions' {@code keepdims} and {@code noop_with_empty_axes} (0 or 1), and {@code MaxRoiPool}'s
     * {@code pooled_shape} (height and width).
     */
    private static void checkPositionAttributes(Node node) throws BackendException {
        long batchDims = node.integer("batch_dims", 0);
        if (node.isOnnx("GatherND") && (batchDims < 0 || batchDims > Integer.MAX_VALUE)) {
            throw new BackendException("the model's " + node.label() + " has batch_dims " + batchDims + ": ONNX "
                    + "Runtime indexes shapes by it without checking it (-436 and 2^63 - 1 killed the process); it "
                    + "must lie within 0 and 2^31 - 1");
        }
        for (String flag : List.of("keepdims", "noop_with_empty_axes")) { // a ReduceSum's keepdims of 7 killed it
            if (node.attributes().containsKey(flag) && (node.integer(flag, 0) < 0 || node.integer(flag, 0) > 1)) {
                throw new BackendException("the model's " + node.label() + " has " + flag + " "
                        + node.integer(flag, 0) + ": ONNX Runtime sizes its output by it without checking it (a "
                        + "ReduceSum's keepdims of 7 killed the process); it must be 0 or 1");
            }
        }
        OnnxGraph.Attribute pooled = node.attributes().get("pooled_shape");
        if (node.isOnnx("MaxRoiPool")
                && (pooled == null || pooled.integers().length != 2 || pooled.integers().min < 1)) {
            throw new BackendException("the model's " + node.label() + " needs a pooled_shape of 2 values of at "
                    + "least 1: ONNX Runtime reads two without checking (one, of a 1-D image, killed the process)");
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
        long kernel = least(node, "kernel_shape");
        if (kernel < 1) {
            throw new BackendException("the model's " + node.label() + " has a kernel dimension of " + kernel
                    + ": ONNX Runtime sizes windows by them without checking them (a Conv's 0 killed the process); "
                    + "kernel dimensions must be at least 1");
        }
        long dilation = least(node, "dilations");
        if (dilation < 1) {
            throw new BackendException("the model's " + node.label() + " has a dilation of " + dilation
                    + ": dilations must be at least 1");
        }
    }

    /**
     * {@code Col2Im}'s {@code image_shape} and {@code block_shape}, which ONNX Runtime divides by and loops over
     * unchecked (a block of 0 a client sent killed the process): they must be constants of values 1 or more, as
     * exporters write them.
     */
    private static void checkColumnShapes(Graph graph) throws BackendException {
        Map<String, Node> producers = graph.producers();
        for (Node node : graph.nodes()) {
            if (!node.isOnnx("Col2Im")) {
                continue;
            }
            for (int input = 1; input <= 2; input++) {
                OnnxGraph.Values values = OnnxGraph.operand(graph, producers, node.input(input), false).constant();
                String shape = input == 1 ? "image_shape" : "block_shape";
                if (values == null || values.length > 0 && values.min < 1) {
                    throw new BackendException("the model's " + node.label() + " takes a " + shape + (values == null
                            ? " that is not a constant" : " of " + values.min) + ": ONNX Runtime divides by it "
                            + "unchecked (a block of 0 killed the process); it must be a constant of values 1 or more");
                }
            }
        }
    }

    /**
     * Constant operands ONNX Runtime reads as the model loads (its shape inference, or a node it computes ahead because
     * all its inputs are constants), trusting their shape or values: {@code OneHot}'s depth must hold one value (an
     * empty one killed the process), a reduction's axes must have one dimension, as ONNX requires (empty ones of
     * several killed it), {@code SplitToSequence}'s one split must be 1 or more (0 was divided by), and a
     * {@code Concat}'s constants must have one rank.
     */
    private static void checkConstantOperands(Graph graph) throws BackendException {
        Map<String, Node> producers = graph.producers();
        for (Node node : graph.nodes()) {
            if (node.isOnnx("Concat")) {
                checkConstantRanks(graph, producers, node);
                continue;
            }
            if (node.isOnnx("ConstantOfShape")) {
                checkConstantFill(graph, producers, node);
                continue;
            }
            boolean reduction = node.domain().isEmpty() && node.opType().startsWith("Reduce");
            if (!node.isOnnx("OneHot") && !node.isOnnx("SplitToSequence") && !reduction) {
                continue;
            }
            OnnxGraph.Tensor operand = OnnxGraph.constantTensor(graph, producers, node.input(1));
            if (operand == null) {
                continue;
            }
            if (node.isOnnx("OneHot") && !operand.single()) {
                throw new BackendException("the model's " + node.label() + " has a constant depth that does not "
                        + "hold one value: ONNX Runtime reads its first without checking (an empty one killed the "
                        + "process)");
            }
            if (reduction && operand.dims().size() != 1) {
                throw new BackendException("the model's " + node.label() + " has constant axes of "
                        + operand.dims().size() + " dimensions: ONNX Runtime reads them as a list without checking "
                        + "(empty ones of several killed the process); axes have one dimension");
            }
            if (node.isOnnx("SplitToSequence") && operand.single() && operand.values().length == 1
                    && operand.values().min < 1) {
                throw new BackendException("the model's " + node.label() + " has a constant split of "
                        + operand.values().min + ": ONNX Runtime divides by it without checking it (0 killed the "
                        + "process); it must be at least 1");
            }
        }
    }

    /**
     * A ConstantOfShape of a constant shape, which ONNX Runtime fills as the model loads: past 2^28 elements (1 GiB of
     * floats) it is refused, as TF's constant fills are (2^31 - 1 floats took the machine's memory).
     */
    private static void checkConstantFill(Graph graph, Map<String, Node> producers, Node fill) throws BackendException {
        OnnxGraph.Values shape = OnnxGraph.operand(graph, producers, fill.input(0), false).constant();
        if (shape != null && shape.product > 1L << 28) {
            String elements = shape.product == Long.MAX_VALUE ? "2^63 or more" : String.valueOf(shape.product);
            throw new BackendException("the model's " + fill.label() + " fills a constant shape of " + elements
                    + " elements as the model loads (ONNX Runtime computes nodes of constants ahead; 2^31 "
                    + "took all the memory); it may fill at most 2^28");
        }
    }

    /** A Concat's constant inputs: one of another rank, when empty, killed the process as it was computed ahead. */
    private static void checkConstantRanks(Graph graph, Map<String, Node> producers, Node concat)
            throws BackendException {
        java.util.Set<Integer> ranks = new java.util.HashSet<>();
        for (String input : concat.inputs()) {
            OnnxGraph.Tensor constant = OnnxGraph.constantTensor(graph, producers, input);
            if (constant != null) {
                ranks.add(constant.dims().size());
            }
        }
        if (ranks.size() > 1) {
            throw new BackendException("the model's " + concat.label() + " joins constants of " + ranks.size()
                    + " different ranks: ONNX Runtime computed such a Concat without checking (with an empty one, it "
                    + "killed the process); its inputs must have one rank");
        }
    }

    /** The least of a node's integer list attribute; {@link Long#MAX_VALUE} when it has none. */
    private static long least(Node node, String attribute) {
        OnnxGraph.Attribute values = node.attributes().get(attribute);
        return values == null || values.integers().length == 0 ? Long.MAX_VALUE : values.integers().min;
    }
}
