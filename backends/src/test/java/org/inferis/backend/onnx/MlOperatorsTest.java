package org.inferis.backend.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Set;
import org.inferis.backend.BackendException;
import org.inferis.backend.OnnxProto;
import org.inferis.backend.OnnxProto.Proto;
import org.junit.jupiter.api.Test;

/** The attribute and input-width checks of the ai.onnx.ml operators ONNX Runtime trusts, on models built here. */
class MlOperatorsTest {
    private static final String ML = "ai.onnx.ml";

    /** A node of one input and one output, named after its input (x gives yx). */
    private static Proto node(String opType, String input, Proto... attributes) {
        return node(opType, input, "y" + input, attributes);
    }

    private static Proto node(String opType, String input, String output, Proto... attributes) {
        Proto node = OnnxProto.node(opType, opType.equals("Identity") ? "" : ML, List.of(input), List.of(output));
        for (Proto attribute : attributes) {
            node.message(5, attribute);
        }
        return node;
    }

    private static byte[] model(Proto... nodes) {
        return OnnxProto.model(List.of(nodes), List.of(), OnnxProto.FLOAT, new long[0],
                new Proto().string(1, ML).varint(2, 3));
    }

    /** A classifier of support vectors: 3 classes of 4 features with the given counts of each attribute. */
    private static Proto svc(long[] perClass, int supportVectors, int coefficients, int rho, int probA, int probB) {
        return node("SVMClassifier", "x", OnnxProto.strings("kernel_type", "RBF"),
                OnnxProto.floats("kernel_params", 3), OnnxProto.ints("vectors_per_class", perClass),
                OnnxProto.floats("support_vectors", supportVectors), OnnxProto.floats("coefficients", coefficients),
                OnnxProto.floats("rho", rho), OnnxProto.floats("prob_a", probA), OnnxProto.floats("prob_b", probB),
                OnnxProto.ints("classlabels_ints", 1, 2, 3));
    }

    private static RunChecks check(byte[] model) throws BackendException {
        try {
            return MlOperators.check(OnnxGraph.read(model));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String refusal(byte[] model) {
        return assertThrows(BackendException.class, () -> check(model)).getMessage();
    }

    @Test
    void aClassifierOfSupportVectorsNeedsEveryAttributeItsKernelReads() throws BackendException {
        long[] perClass = {2, 1, 1};
        assertEquals(List.of(new RunChecks.InputWidth("x", 4, "SVMClassifier")),
                check(model(svc(perClass, 16, 8, 3, 3, 3))).widths());
        assertTrue(refusal(model(svc(new long[] {2, 2}, 16, 8, 3, 0, 0))).contains("2 counts of vectors for 3"));
        assertTrue(refusal(model(svc(perClass, 16, 7, 3, 0, 0))).contains("7 coefficients for 4 vectors"));
        assertTrue(refusal(model(svc(perClass, 16, 8, 2, 0, 0))).contains("2 rho for 3 pairs"));
        assertTrue(refusal(model(svc(perClass, 16, 8, 3, 3, 2))).contains("3 prob_a and 2 prob_b"));
        assertTrue(refusal(model(svc(perClass, 16, 8, 3, 1, 1))).contains("1 prob_a and 1 prob_b for 3 pairs"));
        assertTrue(refusal(model(svc(new long[] {5, -1, 0}, 16, 8, 3, 0, 0))).contains("-1 vectors for a class"));
        assertTrue(refusal(model(svc(new long[] {2, 1, 100}, 16, 206, 3, 0, 0))).contains("more vectors than"));
        Proto shortParameters = node("SVMClassifier", "x", OnnxProto.floats("kernel_params", 2),
                OnnxProto.floats("coefficients", 3), OnnxProto.floats("rho", 1), OnnxProto.ints("classlabels_ints", 1));
        assertTrue(refusal(model(shortParameters)).contains("2 kernel_params"));
    }

    @Test
    void anInputsWidthIsFollowedThroughOperatorsThatKeepItsShape() throws BackendException {
        Proto regressor = node("LinearRegressor", "yyx", OnnxProto.floats("coefficients", 6),
                OnnxProto.attribute("targets", 2));
        byte[] model = model(node("Identity", "x"), node("Scaler", "yx", OnnxProto.floats("scale", 1),
                OnnxProto.floats("offset", 1)), regressor);
        assertEquals(List.of(new RunChecks.InputWidth("x", 3, "LinearRegressor")), check(model).widths());
        Proto classifier = node("LinearClassifier", "x", "label", OnnxProto.floats("coefficients", 8),
                OnnxProto.floats("intercepts", 2), OnnxProto.strings("classlabels_strings", "a", "b"));
        String twoWidths = refusal(model(node("Identity", "x"), node("Scaler", "yx"), regressor, classifier));
        assertTrue(twoWidths.contains("reads 3 features of input 'x' and its LinearClassifier 4"), twoWidths);
    }

    @Test
    void operatorsWhoseInputCannotBeFollowedAreRefused() {
        Proto regressor = node("LinearRegressor", "x", OnnxProto.floats("coefficients", 4));
        Proto unchecked = node("LinearRegressor", "x", OnnxProto.floats("coefficients", 4),
                OnnxProto.attribute("targets", 3));
        // inside a branch of an If, and inside a model function
        Proto branch = OnnxProto.node("If", "", List.of("c"), List.of("z")).message(5, OnnxProto.graph("then_branch",
                List.of(regressor)));
        assertTrue(refusal(model(branch)).contains("inside a subgraph"));
        Proto badBranch = OnnxProto.node("If", "", List.of("c"), List.of("z")).message(5, OnnxProto.graph("else_branch",
                List.of(unchecked)));
        assertTrue(refusal(model(badBranch)).contains("4 coefficients for 3 targets"));
        Proto function = new Proto().string(1, "f").string(10, "local").message(7, regressor);
        assertTrue(refusal(concat(model(), new Proto().message(25, function).toBytes())).contains("inside a function"));
        // a Scaler of the model's own, which may change the width as it likes
        Proto ownScaler = OnnxProto.node("Scaler", "local", List.of("x"), List.of("yx"));
        assertTrue(refusal(model(ownScaler, node("LinearRegressor", "yx", OnnxProto.floats("coefficients", 4))))
                .contains("here it comes from a Scaler"));
        // an initializer, fixed in the model, is no input a run could be checked on
        byte[] initializer = OnnxProto.model(List.of(node("LinearRegressor", "w", OnnxProto.floats("coefficients", 4))),
                List.of(OnnxProto.tensor("w", OnnxProto.FLOAT, 1, 4)), OnnxProto.FLOAT, new long[0]);
        assertTrue(refusal(initializer).contains("here it comes from 'w'"));
    }

    @Test
    void aForestsFeatureIndicesMustFitTheIntegerOnnxRuntimeChecksThemAs() throws BackendException {
        Proto forest = node("TreeEnsembleClassifier", "x", OnnxProto.ints("nodes_featureids", 0, 3, 7));
        assertEquals(List.of(), check(model(forest)).widths(), "ONNX Runtime checks the width itself");
        for (long feature : new long[] {-1, 1L << 31}) {
            Proto crafted = node("TreeEnsembleRegressor", "x", OnnxProto.ints("nodes_featureids", 0, feature));
            assertTrue(refusal(model(crafted)).contains("a feature index of " + feature), Long.toString(feature));
            // inside a function too, where its input's width does not matter but its attributes do
            Proto function = new Proto().string(1, "f").string(10, "local").message(7, crafted);
            assertTrue(refusal(concat(model(), new Proto().message(25, function).toBytes()))
                    .contains("a feature index of " + feature));
        }
        assertTrue(refusal(model(node("TreeEnsemble", "x", OnnxProto.ints("nodes_featureids", 0))))
                .contains("(ai.onnx.ml opset 5) is refused"));
    }

    @Test
    void featureIndicesMustBeConstantsThatAreNotNegativeOrBeCheckedOnEveryRun() throws BackendException {
        Proto extract = OnnxProto.node("ArrayFeatureExtractor", ML, List.of("x", "i"), List.of("y"));
        byte[] packed = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(3).putLong(-2).array();
        Proto raw = OnnxProto.tensor("i", OnnxProto.INT64, 2).bytes(9, packed);
        assertTrue(refusal(OnnxProto.model(List.of(extract), List.of(raw), OnnxProto.FLOAT, new long[0]))
                .contains("has a negative index (-2)"));
        Proto listed = OnnxProto.tensor("i", OnnxProto.INT64, 2).varint(7, 0).varint(7, -5);
        assertTrue(refusal(OnnxProto.model(List.of(extract), List.of(listed), OnnxProto.FLOAT, new long[0]))
                .contains("has a negative index (-5)"));
        Proto constant = OnnxProto.node("Constant", "", List.of(), List.of("i"))
                .message(5, OnnxProto.ints("value_ints", 1, -1));
        assertTrue(refusal(model(constant, extract)).contains("has a negative index (-1)"));
        Proto fine = OnnxProto.tensor("i", OnnxProto.INT64, 2).varint(7, 0).varint(7, 5);
        assertEquals(new RunChecks(List.of(), Set.of(), Set.of(), Set.of()),
                check(OnnxProto.model(List.of(extract), List.of(fine), OnnxProto.FLOAT, new long[0])));
        Proto argMax = OnnxProto.node("ArgMax", "", List.of("x"), List.of("i"));
        assertEquals(Set.of(), check(model(argMax, extract)).nonNegative());
        Proto fromInput = OnnxProto.node("ArrayFeatureExtractor", ML, List.of("x", "x"), List.of("y"));
        assertEquals(Set.of("x"), check(model(fromInput)).nonNegative());
        Proto computed = OnnxProto.node("Neg", "", List.of("x"), List.of("i"));
        assertTrue(refusal(model(computed, extract)).contains("takes its indices from a Neg"));
    }

    @Test
    void packedListsCountAsTheirElements() throws BackendException {
        Proto packed = new Proto().string(1, "coefficients").bytes(7, new byte[6 * Float.BYTES]).varint(20, 6);
        Proto perTarget = new Proto().string(1, "targets").varint(3, 2).varint(20, 2);
        byte[] model = model(node("LinearRegressor", "x", packed, perTarget));
        assertEquals(List.of(new RunChecks.InputWidth("x", 3, "LinearRegressor")), check(model).widths());
    }

    private static byte[] concat(byte[] first, byte[] second) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(first);
        out.writeBytes(second);
        return out.toByteArray();
    }
}
