package org.inferis.backend.onnx;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.inferis.backend.BackendException;
import org.inferis.backend.onnx.OnnxGraph.Graph;
import org.inferis.backend.onnx.OnnxGraph.Node;

/**
 * Inputs whose number of dimensions ONNX Runtime 1.21's kernels take on trust: given too few, they read shapes past
 * their end, which aborted the process on a run (a GatherND of a scalar index, an RNN, a DFT of a scalar, an STFT, a
 * ReverseSequence, a Multinomial, a MaxRoiPool, an AffineGrid, a pool of a kernel of another rank, a convolution of
 * 1-D weights a client sent), and so did a GatherND whose inputs' batch dimensions differ. ONNX Runtime checks a run's
 * inputs against the shapes a model declares, so a model whose inputs declare none lets a client send any. A constant
 * of the wrong rank is refused at store; any other such input passes a check before the node, which answers a run with
 * an error.
 */
final class OperandRanks implements ModelRewrite.Rule {
    /** The ranks an input may have: from {@code least} to {@code most} (-1: no bound). */
    private record Ranks(int input, int least, int most) {
        boolean holds(int rank) {
            return rank >= least && (most < 0 || rank <= most);
        }

        String text() {
            return (most < 0 ? least + " or more" : most == least ? String.valueOf(least) : least + " to " + most)
                    + (least == 1 && most == 1 ? " dimension" : " dimensions");
        }
    }

    private static final Map<String, List<Ranks>> RANKS = Map.ofEntries(
            Map.entry("GatherND", List.of()), // both: more dimensions than its batch_dims, below
            Map.entry("ReverseSequence", List.of(new Ranks(0, 2, -1), new Ranks(1, 1, 1))),
            Map.entry("RNN", recurrent()),
            Map.entry("GRU", recurrent()),
            Map.entry("LSTM", recurrent()),
            Map.entry("DFT", List.of(new Ranks(0, 2, -1))),
            Map.entry("STFT", List.of(new Ranks(0, 3, 3), new Ranks(2, 1, 1))),
            // a convolution's input ONNX Runtime checks against its weights', which must have 3 or more
            Map.entry("Conv", List.of(new Ranks(1, 3, -1))),
            Map.entry("ConvInteger", List.of(new Ranks(1, 3, -1))),
            Map.entry("QLinearConv", List.of(new Ranks(3, 3, -1))),
            Map.entry("DeformConv", List.of(new Ranks(1, 3, -1))),
            Map.entry("Multinomial", List.of(new Ranks(0, 2, 2))),
            Map.entry("MaxRoiPool", List.of(new Ranks(0, 4, 4), new Ranks(1, 2, 2))),
            Map.entry("AffineGrid", List.of(new Ranks(0, 3, 3), new Ranks(1, 1, 1))),
            // their input: 2 more than their kernel_shape, below
            Map.entry("LpPool", List.of()),
            Map.entry("MaxPool", List.of()),
            Map.entry("AveragePool", List.of()));

    /** X, W, R: 3 dimensions; B: 2; sequence_lens: 1; initial_h (and LSTM's initial_c): 3; LSTM's P: 2. */
    private static List<Ranks> recurrent() {
        return List.of(new Ranks(0, 3, 3), new Ranks(1, 3, 3), new Ranks(2, 3, 3), new Ranks(3, 2, 2),
                new Ranks(4, 1, 1), new Ranks(5, 3, 3), new Ranks(6, 3, 3), new Ranks(7, 2, 2));
    }

    /** The inputs to check on every run, by the first output of their node. */
    private final Map<String, List<Ranks>> checked;
    /** The GatherNDs whose batch dimensions to compare on every run, by their first output: their batch_dims. */
    private final Map<String, Long> batches;

    private OperandRanks(Map<String, List<Ranks>> checked, Map<String, Long> batches) {
        this.checked = checked;
        this.batches = batches;
    }

    /** Refuses constants of the wrong rank, and finds the inputs every run must check. */
    static OperandRanks of(OnnxGraph model) throws BackendException {
        Map<String, List<Ranks>> checked = new HashMap<>();
        Map<String, Long> batches = new HashMap<>();
        // MaxPool and AveragePool check their input's rank unless a kernel_shape of another length meets auto_pad
        // or ceil_mode (either aborted): checked only where the model leaves an input's shape open, as the rank of
        // a pool's input then may vary (a guard hides the input's shape from the optimizers that need it)
        Graph main = model.main();
        boolean open = main.inputs().keySet().stream()
                .anyMatch(input -> !main.shaped().contains(input) && !main.initializers().containsKey(input));
        for (Graph graph : model.graphs()) {
            Map<String, Node> producers = graph.producers();
            for (Node node : graph.nodes()) {
                List<Ranks> ranks = node.domain().isEmpty() ? RANKS.get(node.opType()) : null;
                if (node.isOnnx("LpPool") || open && (node.isOnnx("MaxPool") || node.isOnnx("AveragePool"))) {
                    int rank = node.length("kernel_shape") + 2;
                    ranks = List.of(new Ranks(0, rank, rank));
                } else if (node.isOnnx("MaxPool") || node.isOnnx("AveragePool")) {
                    continue;
                }
                if (node.isOnnx("GatherND")) { // more dimensions than batch_dims (3 of a 1-D index was divided by)
                    int least = (int) Math.min(node.integer("batch_dims", 0) + 1, Integer.MAX_VALUE);
                    ranks = List.of(new Ranks(0, least, -1), new Ranks(1, least, -1));
                    if (least > 1 && !node.outputs().isEmpty()) { // batch dimensions that differ were divided by
                        batches.put(node.outputs().get(0), (long) least - 1);
                    }
                }
                if (ranks == null || node.outputs().isEmpty()) {
                    continue;
                }
                List<Ranks> toCheck = new ArrayList<>();
                for (Ranks range : ranks) {
                    String input = node.input(range.input());
                    if (input.isEmpty()) {
                        continue;
                    }
                    OnnxGraph.Tensor constant = OnnxGraph.constantTensor(graph, producers, input);
                    if (constant == null) {
                        toCheck.add(range);
                    } else if (!range.holds(constant.dims().size())) {
                        throw new BackendException("the model's " + node.label() + " takes a constant of "
                                + constant.dims().size() + " dimensions as input " + range.input() + ", which needs "
                                + range.text() + ": ONNX Runtime does not check it (too few killed the process)");
                    }
                }
                if (!toCheck.isEmpty()) {
                    checked.put(node.outputs().get(0), toCheck);
                }
            }
        }
        return new OperandRanks(checked, batches);
    }

    @Override
    public boolean appliesTo(Node node) {
        return !node.outputs().isEmpty()
                && (checked.containsKey(node.outputs().get(0)) || batches.containsKey(node.outputs().get(0)));
    }

    @Override
    public void rewrite(ModelRewrite.Node node, ModelRewrite.Writer before) throws IOException {
        String output = node.outputs.isEmpty() ? null : node.outputs.get(0);
        if (output == null || !RANKS.containsKey(node.opType)
                || !checked.containsKey(output) && !batches.containsKey(output)) {
            return;
        }
        List<String> inputs = new ArrayList<>(node.inputs);
        for (Ranks range : checked.getOrDefault(output, List.of())) {
            if (range.input() >= inputs.size() || inputs.get(range.input()).isEmpty()) {
                continue;
            }
            String input = inputs.get(range.input());
            String rank = before.add("Cast", List.of(before.add("Reshape", List.of(before.add("Size",
                    List.of(before.add("Shape", List.of(input)))), before.constant(1)))), null,
                    ModelRewrite.integer("to", 1));
            String outside = before.add("Less", List.of(rank, before.floatConstant(range.least())));
            if (range.most() >= 0) {
                outside = before.add("Or", List.of(outside, before.add("Greater",
                        List.of(rank, before.floatConstant(range.most())))));
            }
            inputs.set(range.input(), before.guarded(input, outside, "input " + range.input() + " of " + node.label
                    + " needs " + range.text() + ", which ONNX Runtime's kernel does not check"));
        }
        Long batch = batches.get(output);
        if (batch != null && inputs.size() >= 2) { // after the ranks' checks: both have the batch dimensions
            List<String> leading = new ArrayList<>();
            for (String input : inputs.subList(0, 2)) {
                leading.add(before.add("Slice", List.of(before.add("Shape", List.of(input)), before.constant(0),
                        before.constant(batch))));
            }
            String differ = before.add("Greater", List.of(before.add("ReduceMax", List.of(before.add("Cast",
                    List.of(before.add("Not", List.of(before.add("Equal", leading)))), null,
                    ModelRewrite.integer("to", 1))), null, ModelRewrite.integer("keepdims", 1)),
                    before.floatConstant(0.5f)));
            inputs.set(0, before.guarded(inputs.get(0), differ, "the batch dimensions of the inputs of " + node.label
                    + " differ, which ONNX Runtime's kernel does not check"));
        }
        node.inputs = inputs;
    }
}
