package org.inferis.backend.tf;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/** The nodes of a graph and of every function in its library: where an op of a stored graph can be. */
final class GraphNodes {
    private GraphNodes() {
    }

    static List<NodeDef> of(GraphDef graph) {
        List<NodeDef> nodes = new ArrayList<>(graph.getNodeList());
        for (FunctionDef function : graph.getLibrary().getFunctionList()) {
            nodes.addAll(function.getNodeDefList());
        }
        return nodes;
    }
}
