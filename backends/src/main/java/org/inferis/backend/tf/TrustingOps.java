package org.inferis.backend.tf;

import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.inferis.backend.BackendException;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;

/**
 * Refuses ops whose TensorFlow (2.18) kernels abort the process on inputs a client or a crafted graph can give (a
 * failed CHECK): the ops that compute gradients (backward kernels, gradient accumulators, SymbolicGradient), which a
 * graph served for inference has none of and which trust what the forward op would have given them (a
 * {@code MaxPoolGradWithArgmax} with an argmax past its input aborted), and the ops listed with their reason. And a
 * window or a stride ({@code ksize}, {@code strides}, {@code dilations}, {@code rates}) whose dimensions multiply past
 * 2^31 is refused: a MaxPool3D of 2^30 x 2^30 x 2^30 overflowed TensorFlow's window arithmetic and crashed the process.
 * {@code StopGradient} and {@code PreventGradient}, identities in inference, pass. Refused too, where TensorFlow's
 * shape functions and kernels leave a check out that a crafted graph reached: a {@code GatherV2} with a
 * {@code batch_dims} of 2 or more (past its inputs' ranks, it aborted), an FFT length that is not a constant without
 * 0s, the boosted trees ops (no kernel in this build, but their shape functions run as the graph loads), a unigram
 * candidate sampler whose range_max reaches 2^31 - 1, the ops TensorFlow reserves for its own rewrites (named
 * {@code _...}: {@code _FusedMatMul}, {@code _FusedConv2D}, oneDNN's {@code _Mkl...}), never in an exported graph, and
 * tf.data's datasets and iterators (6 of 21 crafted pipelines aborted or crashed the process), which serving has no use
 * for: the client sends the inputs.
 */
final class TrustingOps {
    private static final Pattern GRADIENT = Pattern.compile(
            "\\w*(Backprop\\w*|Grad(V\\d|Grad\\w*|WithArgmax|A|Boxes|Image|WithShape)?|Gradients?)");
    private static final Set<String> IDENTITIES = Set.of("StopGradient", "PreventGradient");
    private static final List<String> WINDOWS = List.of("ksize", "strides", "dilations", "rates");
    private static final String UNCHECKED_SEQUENCE_LENGTH = "slices its input to seq_len_max without checking it "
            + "against the input's time steps (a CHECK that aborts the process); export LSTMs as the standard ops";
    private static final String IN_GRAPH_BATCHING = "trusts the batch index it is given (one past its batch aborted "
            + "the process); Inferis batches runs itself (BATCHSIZE)";
    private static final Map<String, String> REFUSED = Map.of(
            "Abort", "ends the process: it is there to abort it, or to exit without error",
            "EncodePng", "aborts the process on an empty image (a CHECK in png_io.cc); encode images outside the "
                    + "model",
            "BlockLSTM", UNCHECKED_SEQUENCE_LENGTH,
            "BlockLSTMV2", UNCHECKED_SEQUENCE_LENGTH,
            "Unbatch", IN_GRAPH_BATCHING,
            "Batch", IN_GRAPH_BATCHING);
    /** Ops whose length inputs (index 1) DUCC's FFT asserts are not 0, which aborts the process. */
    private static final Set<String> FFT_LENGTHS = Set.of("RFFT", "IRFFT", "RFFT2D", "IRFFT2D", "RFFT3D", "IRFFT3D");
    /** Samplers whose unigram table CHECKs that its range_max is under 2^31 - 1, which aborts the process. */
    private static final Set<String> UNIGRAM_SAMPLERS = Set.of("LearnedUnigramCandidateSampler",
            "ThreadUnsafeUnigramCandidateSampler");

    private TrustingOps() {
    }

    static void check(GraphDef graph) throws BackendException {
        Map<String, NodeDef> byName = new HashMap<>();
        graph.getNodeList().forEach(node -> byName.put(node.getName(), node));
        for (NodeDef node : GraphNodes.of(graph)) {
            String op = node.getOp();
            if (op.startsWith("_")) {
                throw refused(node, "an op TensorFlow keeps for its own rewrites of a graph, whose kernel trusts "
                        + "the rewrite (a _FusedMatMul told to add a bias it was not given crashed the process); store "
                        + "the graph as TensorFlow exports it");
            }
            if (op.contains("Dataset") || op.contains("Iterator")) {
                throw refused(node, "a tf.data op: input pipelines reached kernels that abort the process (a "
                        + "shuffle buffer of 2^40 elements threw std::bad_alloc, a padded batch to 2^40 crashed); "
                        + "feed the model its inputs instead");
            }
            if (op.startsWith("BoostedTrees")) {
                throw refused(node, "a boosted trees op, which has no kernel in this TensorFlow and whose shape "
                        + "function reads ranks it does not check (one killed the process as the graph loaded)");
            }
            if (op.equals("GatherV2")) {
                checkBatchDims(node);
            }
            if (FFT_LENGTHS.contains(op)) {
                checkFftLength(node, byName);
            }
            if (UNIGRAM_SAMPLERS.contains(op)) {
                checkSamplerRange(node);
            }
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

    private static void checkBatchDims(NodeDef node) throws BackendException {
        long batchDims = node.getAttrOrDefault("batch_dims", AttrValue.getDefaultInstance()).getI();
        if (batchDims > 1) {
            throw refused(node, "with batch_dims " + batchDims + ": TensorFlow's shape function aborts the process "
                    + "when batch_dims exceeds its two inputs' ranks together; gather with batch_dims 0 or 1");
        }
    }

    private static void checkSamplerRange(NodeDef node) throws BackendException {
        long range = node.getAttrOrDefault("range_max", AttrValue.getDefaultInstance()).getI();
        if (range >= Integer.MAX_VALUE) {
            throw refused(node, "with range_max " + range + ": its unigram table CHECKs that the range is under "
                    + "2^31 - 1, which aborts the process");
        }
    }

    /**
     * An FFT's lengths must be a constant of the main graph holding no 0 (DUCC asserts they are not, aborting); an FFT
     * inside a function takes them from its own nodes, and is refused.
     */
    private static void checkFftLength(NodeDef node, Map<String, NodeDef> byName) throws BackendException {
        if (byName.get(node.getName()) != node) {
            throw refused(node, "inside a function, whose fft_length could be 0, which aborts the process (an "
                    + "assertion in DUCC's FFT)");
        }
        String input = node.getInputCount() > 1 ? node.getInput(1) : "";
        NodeDef lengths = byName.get(input.replaceFirst(":\\d+$", ""));
        if (lengths == null || !lengths.getOp().equals("Const")) {
            throw refused(node, "whose fft_length is not a constant of the graph: a length of 0 aborts the process "
                    + "(an assertion in DUCC's FFT)");
        }
        TensorProto value = lengths.getAttrOrDefault("value", AttrValue.getDefaultInstance()).getTensor();
        IntBuffer content = value.getTensorContent().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN)
                .asIntBuffer();
        boolean zero = value.getIntValList().contains(0);
        while (content.hasRemaining()) {
            zero |= content.get() == 0;
        }
        if (zero) {
            throw refused(node, "whose fft_length holds a 0, which aborts the process (an assertion in DUCC's FFT)");
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
