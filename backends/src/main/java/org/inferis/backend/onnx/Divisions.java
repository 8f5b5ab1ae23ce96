package org.inferis.backend.onnx;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.inferis.backend.BackendException;
import org.inferis.backend.onnx.OnnxGraph.Graph;
import org.inferis.backend.onnx.OnnxGraph.Node;
import org.inferis.backend.onnx.OnnxGraph.Values;

/**
 * Integer {@code Div} and {@code Mod}, which ONNX Runtime computes with the processor's division: a divisor of 0, or
 * of -1 under the least integer, traps and kills the process (a model dividing an INT32 input by a zero constant
 * did). An integer division is allowed when its divisor is a constant none of whose values is 0 (or -1, for signed
 * types), or a model input, whose values every run checks ({@link RunChecks#nonZero}); a divisor the model computes,
 * or a division whose type the checks cannot tell ({@link ElementTypes}), is refused.
 */
final class Divisions {
    private static final List<Integer> SIGNED = List.of(OnnxGraph.INT8, OnnxGraph.INT16, OnnxGraph.INT32,
            OnnxGraph.INT64);

    private Divisions() {
    }

    /** Refuses divisions that could trap; returns the model inputs that are divisors, for every run to check. */
    static Set<String> check(OnnxGraph model) throws BackendException {
        Set<String> divisors = new HashSet<>();
        Map<String, Integer> mainTypes = ElementTypes.of(model.main(), Map.of());
        check(model.main(), mainTypes, divisors);
        for (Graph subgraph : model.subgraphs()) {
            check(subgraph, ElementTypes.of(subgraph, mainTypes), null);
        }
        for (Graph function : model.functions()) {
            check(function, ElementTypes.of(function, Map.of()), null);
        }
        return divisors;
    }

    /** Checks a graph's divisions; {@code divisors} null: a graph no run gives inputs to (a subgraph, a function). */
    private static void check(Graph graph, Map<String, Integer> types, Set<String> divisors)
            throws BackendException {
        Map<String, Node> producers = graph.producers();
        for (Node node : graph.nodes()) {
            if (!node.isOnnx("Div") && !node.isOnnx("Mod")) {
                continue;
            }
            Integer type = types.getOrDefault(node.input(0), types.get(node.input(1)));
            if (type == null) {
                throw new BackendException("the model's " + node.label() + " divides values whose type Inferis cannot "
                        + "tell: ONNX Runtime divides integers without checking the divisor, and a 0 kills the "
                        + "process; give the model's inputs their types, or divide floating-point values");
            }
            if (!ElementTypes.isInteger(type)) {
                continue;
            }
            OnnxGraph.Operand divisor = OnnxGraph.operand(graph, producers, node.input(1), divisors != null);
            Values values = divisor.constant();
            boolean fedByRuns = divisor.fedByRuns();
            Node producer = divisor.producer();
            if (values == null && !fedByRuns) {
                throw refused(node, "divides integers by " + (producer == null ? "a value from outside its graph"
                        : "the output of " + producer.opType()) + ", which could be 0; Inferis takes integer "
                        + "divisors only from constants or model inputs (checked on every run)");
            }
            if (values != null && (values.zero || SIGNED.contains(type) && values.minusOne)) {
                throw refused(node, "divides by a constant holding " + (values.zero ? "0" : "-1"));
            }
            if (fedByRuns) {
                divisors.add(divisor.name());
            }
        }
    }

    private static BackendException refused(Node node, String why) {
        return new BackendException("the model's " + node.label() + " " + why + ": ONNX Runtime does not check "
                + "integer divisors, and a 0 (or -1 under the least integer) kills the process");
    }
}
