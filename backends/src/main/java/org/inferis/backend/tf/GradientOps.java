package org.inferis.backend.tf;

import java.util.Set;
import java.util.regex.Pattern;
import org.inferis.backend.BackendException;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * Refuses the ops that compute gradients (backward kernels, gradient accumulators, SymbolicGradient): a graph served
 * for inference has none, and their kernels trust what the forward op would have given them. A crafted
 * {@code MaxPoolGradWithArgmax} whose argmax lay past its input failed a CHECK in TensorFlow and aborted the process.
 * {@code StopGradient} and {@code PreventGradient}, identities in inference, pass.
 */
final class GradientOps {
    private static final Pattern GRADIENT = Pattern.compile(
            "\\w*(Backprop\\w*|Grad(V\\d|Grad\\w*|WithArgmax|A|Boxes|Image|WithShape)?|Gradients?)");
    private static final Set<String> IDENTITIES = Set.of("StopGradient", "PreventGradient");

    private GradientOps() {
    }

    static void check(GraphDef graph) throws BackendException {
        for (NodeDef node : GraphNodes.of(graph)) {
            if (GRADIENT.matcher(node.getOp()).matches() && !IDENTITIES.contains(node.getOp())) {
                throw new BackendException("the graph's node '" + node.getName() + "' is a " + node.getOp()
                        + ", a gradient op, which an inference graph does not need and whose kernel trusts its "
                        + "inputs; Inferis refuses it: freeze the graph for inference");
            }
        }
    }
}
