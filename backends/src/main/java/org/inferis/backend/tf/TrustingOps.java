package org.inferis.backend.tf;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.inferis.backend.BackendException;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * Refuses ops whose TensorFlow (2.18) kernels abort the process on inputs a client or a crafted graph can give (a
 * failed CHECK): the ops that compute gradients (backward kernels, gradient accumulators, SymbolicGradient), which a
 * graph served for inference has none of and which trust what the forward op would have given them (a
 * {@code MaxPoolGradWithArgmax} with an argmax past its input aborted), and the ops listed with their reason. And a
 * window or a stride ({@code ksize}, {@code strides}, {@code dilations}, {@code rates}) whose dimensions multiply past
 * 2^31 is refused: a MaxPool3D of 2^30 x 2^30 x 2^30 overflowed TensorFlow's window arithmetic and crashed the process.
 * {@code StopGradient} and {@code PreventGradient}, identities in inference, pass.
 */
final class TrustingOps {
    private static final Pattern GRADIENT = Pattern.compile(
            "\\w*(Backprop\\w*|Grad(V\\d|Grad\\w*|WithArgmax|A|Boxes|Image|WithShape)?|Gradients?)");
    private static final Set<String> IDENTITIES = Set.of("StopGradient", "PreventGradient");
    private static final List<String> WINDOWS = List.of("ksize", "strides", "dilations", "rates");
    private static final Map<String, String> REFUSED = Map.of(
            "EncodePng", "aborts the process on an empty image (a CHECK in png_io.cc); encode images outside the "
                    + "model");

    private TrustingOps() {
    }

    static void check(GraphDef graph) throws BackendException {
        for (NodeDef node : GraphNodes.of(graph)) {
            String op = node.getOp();
            if (GRADIENT.matcher(op).matches() && !IDENTITIES.contains(op)) {
                throw refused(node, "a gradient op, which an inference graph does not need and whose kernel trusts "
                        + "its inputs; freeze the graph for inference");
            }
            if (REFUSED.containsKey(op)) {
                throw refused(node, "whose kernel " + REFUSED.get(op));
            }
            for (String window : WINDOWS) {
                List<Long> dims = node.getAttrOrDefault(window, AttrValue.getDefaultInstance()).getList().getIList();
                if (spansPast2To31(dims)) {
                    throw refused(node, "whose " + window + " spans more than 2^31 elements, which overflowed "
                            + "TensorFlow's window arithmetic");
                }
            }
        }
    }

    /** Whether the positive dimensions (TensorFlow refuses the others itself) multiply past 2^31. */
    private static boolean spansPast2To31(List<Long> dims) {
        long size = 1;
        for (long dim : dims) {
            if (dim > Integer.MAX_VALUE) {
                return true;
            }
            size *= Math.max(dim, 1); // at most 2^31 x 2^31: no overflow
            if (size > Integer.MAX_VALUE) {
                return true;
            }
        }
        return false;
    }

    private static BackendException refused(NodeDef node, String why) {
        return new BackendException("the graph's node '" + node.getName() + "' is a " + node.getOp() + ", " + why
                + "; Inferis refuses it");
    }
}
