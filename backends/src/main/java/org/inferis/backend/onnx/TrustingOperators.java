package org.inferis.backend.onnx;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.inferis.backend.BackendException;
import org.inferis.backend.onnx.OnnxGraph.Graph;
import org.inferis.backend.onnx.OnnxGraph.Node;

/**
 * ONNX operators whose ONNX Runtime kernels (1.21) trust positions they are given, which the checks before a run
 * cannot bound: a crafted model of each killed the process on its first run. They are refused wherever they are.
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
                if (node.domain().isEmpty() && REFUSED.containsKey(node.opType())) {
                    throw new BackendException("the model's " + node.label() + " is refused: ONNX Runtime "
                            + REFUSED.get(node.opType()));
                }
            }
        }
    }
}
