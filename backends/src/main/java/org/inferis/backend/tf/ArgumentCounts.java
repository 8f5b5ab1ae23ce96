package org.inferis.backend.tf;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.inferis.backend.BackendException;
import org.tensorflow.TensorFlow;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;

/**
 * Refuses a node whose attributes give it more than {@link #MOST} inputs or outputs: an int attribute that TensorFlow's
 * op registry names as an argument's count ({@code num_split} of Split, {@code num} of Unpack, {@code num_partitions}
 * of DynamicPartition, {@code top_paths} of CTCBeamSearchDecoder...). A Split into 2^30 outputs took all the memory as
 * the graph loaded or ran, and the kernel's out-of-memory killer ended the server.
 */
final class ArgumentCounts {
    /** 2^20 inputs or outputs for one node: far past what a graph has, some 100 MB of bookkeeping at most. */
    static final long MOST = 1 << 20;

    /** For each op that has any, the int attributes that count its arguments; read from the registry once. */
    private static volatile Map<String, List<String>> countAttributes;

    private ArgumentCounts() {
    }

    static void check(GraphDef graph) throws BackendException {
        Map<String, List<String>> counts = countAttributes();
        for (NodeDef node : GraphNodes.of(graph)) {
            for (String attribute : counts.getOrDefault(node.getOp(), List.of())) {
                long count = node.getAttrOrDefault(attribute, AttrValue.getDefaultInstance()).getI();
                if (count > MOST) {
                    throw new BackendException("the graph's node '" + node.getName() + "' is a " + node.getOp()
                            + " with " + attribute + " " + count + ": more than " + MOST + " inputs or outputs "
                            + "(2^30 took all the memory as the graph loaded); Inferis refuses it");
                }
            }
        }
    }

    private static Map<String, List<String>> countAttributes() {
        Map<String, List<String>> counts = countAttributes;
        if (counts == null) {
            counts = new HashMap<>();
            for (OpDef op : TensorFlow.registeredOpList().getOpList()) {
                List<String> attributes = Stream.concat(op.getInputArgList().stream(), op.getOutputArgList().stream())
                        .map(OpDef.ArgDef::getNumberAttr).filter(name -> !name.isEmpty()).distinct().toList();
                if (!attributes.isEmpty()) {
                    counts.put(op.getName(), attributes);
                }
            }
            countAttributes = counts;
        }
        return counts;
    }
}
