package org.inferis.backend.onnx;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.inferis.backend.BackendException;
import org.inferis.backend.onnx.OnnxGraph.Graph;
import org.inferis.backend.onnx.OnnxGraph.Node;

/**
 * {@code Trilu}'s diagonal offset {@code k}, which ONNX Runtime (1.21) adds to positions without checking for
 * overflow: an upper {@code Trilu} with a k of -2^63 (or -2^63 + 1) corrupted the C library's heap and killed the
 * process, and one of 2^63 - 1 answered a wrong matrix. A k within ±2^62 is exact for any tensor: a k past the
 * matrix already selects all of it or none. So k must be a constant within those bounds, or a model input, whose
 * values every run checks ({@link RunChecks#offsets}); a k the model computes is refused.
 */
final class TriluOffsets {
    /** The largest |k| let through: no sum with a position (below 2^62 elements) overflows. */
    static final long LIMIT = 1L << 62;

    private TriluOffsets() {
    }

    /** Refuses Trilus whose k could overflow; returns the model inputs that are a k, for every run to check. */
    static Set<String> check(OnnxGraph model) throws BackendException {
        Set<String> offsets = new HashSet<>();
        check(model.main(), offsets);
        for (Graph graph : model.subgraphs()) {
            check(graph, null);
        }
        for (Graph graph : model.functions()) {
            check(graph, null);
        }
        return offsets;
    }

    /** {@code offsets} null: a graph no run gives inputs to (a subgraph, a function). */
    private static void check(Graph graph, Set<String> offsets) throws BackendException {
        Map<String, Node> producers = graph.producers();
        for (Node node : graph.nodes()) {
            if (!node.isOnnx("Trilu") || node.input(1).isEmpty()) {
                continue; // without k, k is 0
            }
            OnnxGraph.Operand k = OnnxGraph.operand(graph, producers, node.input(1), offsets != null);
            if (k.constant() == null && !k.fedByRuns()) {
                throw refused(node, "takes k from " + (k.producer() == null ? "a value from outside its graph"
                        : "the output of " + k.producer().opType()) + ", which Inferis cannot check; give k as "
                        + "a constant or a model input (checked on every run)");
            }
            if (k.constant() != null && k.constant().length > 0
                    && (k.constant().min < -LIMIT || k.constant().max > LIMIT)) {
                throw refused(node, "has a constant k of " + (k.constant().min < -LIMIT ? k.constant().min
                        : k.constant().max));
            }
            if (k.fedByRuns()) {
                offsets.add(k.name());
            }
        }
    }

    private static BackendException refused(Node node, String why) {
        return new BackendException("the model's " + node.label() + " " + why + ": ONNX Runtime does not check k "
                + "for overflow, and a k near ±2^63 killed the process; k must lie within ±2^62");
    }
}
