package org.inferis.backend.onnx;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.inferis.backend.onnx.ModelRewrite.Writer;

/**
 * Operators whose ONNX Runtime 1.21 kernels divide by, or index with, an input's size without checking it for 0:
 * each killed the process on a run whose input was empty, which a model makes from what a client sends (a Slice whose
 * ends meet, a NonZero that finds nothing: a TopK over the scores of no detection). A client cannot send an empty
 * tensor, but a model can compute one. So before such a node a check ({@link ModelRewrite.Writer#guarded}) answers
 * the run with an error when any of its inputs is empty; a model whose constant inputs are empty is refused as it
 * loads. Kept to these operators, found by running every operator with each input empty: the others answered a
 * value or an error.
 */
final class EmptyOperands implements ModelRewrite.Rule {
    private static final Set<String> OPERATORS = Set.of("TopK", "LpNormalization", "Col2Im", "CumSum", "Multinomial",
            "ReverseSequence", "ScatterND");

    @Override
    public boolean appliesTo(OnnxGraph.Node node) {
        return OPERATORS.contains(node.opType());
    }

    @Override
    public void rewrite(ModelRewrite.Node node, Writer before) throws IOException {
        List<String> present = node.inputs.stream().filter(input -> !input.isEmpty()).toList();
        if (!OPERATORS.contains(node.opType) || present.isEmpty() || node.inputs.get(0).isEmpty()) {
            return;
        }
        String zero = before.constant(0);
        String anyEmpty = null;
        for (String input : present) {
            String size = before.add("Reshape", List.of(before.add("Size", List.of(input)), before.constant(1)));
            String empty = before.add("Equal", List.of(size, zero));
            anyEmpty = anyEmpty == null ? empty : before.add("Or", List.of(anyEmpty, empty));
        }
        List<String> inputs = new ArrayList<>(node.inputs);
        inputs.set(0, before.guarded(inputs.get(0), anyEmpty, "an input of " + node.label + " is empty, which ONNX "
                + "Runtime's kernel cannot take"));
        node.inputs = inputs;
    }
}
