package org.inferis.backend.onnx;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.inferis.backend.onnx.ModelRewrite.Writer;

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
 * About 1 µs a run for a model with an Einsum (measured on the reference machine).
 */
final class EinsumOperands implements ModelRewrite.Rule {
    @Override
    public boolean appliesTo(OnnxGraph.Node node) {
        return node.opType().equals("Einsum");
    }

    @Override
    public void rewrite(ModelRewrite.Node node, Writer before) throws IOException {
        if (!node.opType.equals("Einsum") || node.inputs.isEmpty()) {
            return;
        }
        node.inputs = guard(node.inputs, Term.of(node.text("equation")), node.label, before);
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

    private static List<String> guard(List<String> inputs, List<Term> terms, String einsum, Writer nodes)
            throws IOException {
        String minusOne = nodes.constant(-1);
        // an empty INT64 tensor whose length shape inference cannot know: a random tensor is never precomputed
        String empty = nodes.add("Reshape", List.of(nodes.add("NonZero", List.of(nodes.add("RandomUniform", List.of(),
                null, ModelRewrite.ints("shape", 0)))), minusOne));
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
                List.of(empty)), tail), null, ModelRewrite.integer("axis", 0))),
                "an operand of " + einsum + " has fewer dimensions than its letters");
        String checked = nodes.add("Reshape", List.of(check, minusOne)); // one dimension, should shapes fold
        List<String> guarded = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            guarded.add(nodes.add("Reshape", List.of(inputs.get(i), nodes.add("Concat",
                    List.of(shapes.get(i), checked), null, ModelRewrite.integer("axis", 0)))));
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
                        null, ModelRewrite.tensor(1));
                guarded.set(i, nodes.add("Expand", List.of(guarded.get(i), ones)));
            }
        }
        return guarded;
    }

}
