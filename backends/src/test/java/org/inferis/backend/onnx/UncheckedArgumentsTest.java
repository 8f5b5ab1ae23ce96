package org.inferis.backend.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import org.inferis.backend.BackendException;
import org.inferis.backend.OnnxProto;
import org.inferis.backend.OnnxProto.Proto;
import org.junit.jupiter.api.Test;

/**
 * Arguments ONNX Runtime uses unchecked, each of which killed the process in a crafted model (or, Col2Im's pads, took a
 * core for good): strides and num_groups it divides by, windows' pads and dilations ({@link TrustingOperators}), and
 * Trilu's k, which it adds to positions ({@link TriluOffsets}); x is a model input.
 */
class UncheckedArgumentsTest {
    private static Proto node(String opType, List<String> inputs, Proto... attributes) {
        Proto node = OnnxProto.node(opType, "", inputs, List.of("y"));
        for (Proto attribute : attributes) {
            node.message(5, attribute);
        }
        return node;
    }

    private static OnnxGraph graph(Proto... nodes) throws IOException {
        return OnnxGraph.read(OnnxProto.model(List.of(nodes), List.of(), OnnxProto.FLOAT, new long[0]));
    }

    private static String refusal(Proto... nodes) {
        return assertThrows(BackendException.class, () -> {
            TrustingOperators.check(graph(nodes));
            TriluOffsets.check(graph(nodes));
        }).getMessage();
    }

    @Test
    void stridesOfZeroOrLessAreRefusedOnEveryOperatorThatHasThem() throws Exception {
        for (String operator : List.of("Conv", "ConvTranspose", "MaxPool", "AveragePool", "LpPool", "QLinearConv")) {
            assertTrue(refusal(node(operator, List.of("x", "x"), OnnxProto.ints("strides", 1, 0)))
                    .contains("the model's " + operator + " has a stride of 0"), operator);
        }
        assertTrue(refusal(node("MaxPool", List.of("x"), OnnxProto.ints("strides", 2, -3)))
                .contains("has a stride of -3"));
        TrustingOperators.check(graph(node("Conv", List.of("x", "x"), OnnxProto.ints("strides", 1, 2))));
        TrustingOperators.check(graph(node("Conv", List.of("x", "x")))); // strides default to 1
    }

    @Test
    void groupNormalizationNeedsAGroup() throws Exception {
        assertTrue(refusal(node("GroupNormalization", List.of("x", "x", "x"), OnnxProto.attribute("num_groups", 0)))
                .contains("GroupNormalization has num_groups 0"));
        TrustingOperators.check(graph(node("GroupNormalization", List.of("x", "x", "x"),
                OnnxProto.attribute("num_groups", 2))));
    }

    @Test
    void windowsNeedPadsOfZeroOrMoreAndDilationsOfOneOrMore() throws Exception {
        for (String operator : List.of("Conv", "ConvTranspose", "MaxPool", "AveragePool", "LpPool", "Col2Im")) {
            assertTrue(refusal(node(operator, List.of("x", "x", "x"), OnnxProto.ints("pads", 0, -1, 0, 0)))
                    .contains("the model's " + operator + " has a pad of -1"), operator);
            assertTrue(refusal(node(operator, List.of("x", "x", "x"), OnnxProto.ints("dilations", 1, 0)))
                    .contains("the model's " + operator + " has a dilation of 0"), operator);
        }
        assertTrue(refusal(node("Conv", List.of("x", "x"), OnnxProto.ints("kernel_shape", 2, 0)))
                .contains("the model's Conv has a kernel dimension of 0"));
        TrustingOperators.check(graph(node("Conv", List.of("x", "x"), OnnxProto.ints("pads", 0, 1, 0, 1),
                OnnxProto.ints("dilations", 2, 1))));
        TrustingOperators.check(graph(node("MaxPool", List.of("x")))); // pads default to 0, dilations to 1
        TrustingOperators.check(graph(node("Pad", List.of("x"), OnnxProto.ints("pads", 0, -1)))); // opset 2: crops
    }

    @Test
    void triluTakesKFromAConstantWithinBoundsOrAModelInputCheckedOnEveryRun() throws Exception {
        Proto least = OnnxProto.node("Constant", "", List.of(), List.of("k"))
                .message(5, OnnxProto.ints("value_ints", Long.MIN_VALUE));
        assertTrue(refusal(least, node("Trilu", List.of("x", "k"))).contains("Trilu has a constant k of "
                + Long.MIN_VALUE));
        Proto far = OnnxProto.node("Constant", "", List.of(), List.of("k"))
                .message(5, OnnxProto.ints("value_ints", (1L << 62) + 1));
        assertTrue(refusal(far, node("Trilu", List.of("x", "k"))).contains("k must lie within ±2^62"));
        Proto computed = OnnxProto.node("Cast", "", List.of("x"), List.of("k"));
        assertTrue(refusal(computed, node("Trilu", List.of("x", "k"))).contains("takes k from the output of Cast"));
        Proto fine = OnnxProto.node("Constant", "", List.of(), List.of("k"))
                .message(5, OnnxProto.ints("value_ints", -(1L << 62)));
        assertEquals(Set.of(), TriluOffsets.check(graph(fine, node("Trilu", List.of("x", "k")))));
        assertEquals(Set.of(), TriluOffsets.check(graph(node("Trilu", List.of("x")))), "no k: 0");
        assertEquals(Set.of("x"), TriluOffsets.check(graph(node("Trilu", List.of("x", "x")))));
    }

    @Test
    void groupsAndBlockSizesAreWhatONNXRuntimeCanDivideBy() throws Exception {
        assertTrue(refusal(node("ConvTranspose", List.of("x", "x"), OnnxProto.attribute("group", 0)))
                .contains("ConvTranspose has group 0"));
        assertTrue(refusal(node("DeformConv", List.of("x", "x", "x"), OnnxProto.attribute("offset_group", -2)))
                .contains("DeformConv has offset_group -2"));
        for (String operator : List.of("DepthToSpace", "SpaceToDepth")) {
            for (long blocksize : new long[] {0, 1L << 31, 1L << 62}) {
                assertTrue(refusal(node(operator, List.of("x"), OnnxProto.attribute("blocksize", blocksize)))
                        .contains(operator + " has a blocksize of " + blocksize), operator + " " + blocksize);
            }
            TrustingOperators.check(graph(node(operator, List.of("x"), OnnxProto.attribute("blocksize", 4))));
        }
        TrustingOperators.check(graph(node("Conv", List.of("x", "x"), OnnxProto.attribute("group", 2))));
    }

    @Test
    void attributesShapeInferenceIndexesByAreBounded() throws Exception {
        assertTrue(refusal(node("GatherND", List.of("x", "x"), OnnxProto.attribute("batch_dims", -1)))
                .contains("GatherND has batch_dims -1"));
        TrustingOperators.check(graph(node("GatherND", List.of("x", "x"), OnnxProto.attribute("batch_dims", 1))));
        for (Proto pooled : List.of(OnnxProto.ints("pooled_shape", 2), OnnxProto.ints("pooled_shape", 2, 0))) {
            assertTrue(refusal(node("MaxRoiPool", List.of("x", "x"), pooled))
                    .contains("MaxRoiPool needs a pooled_shape of 2 values of at least 1"));
        }
        TrustingOperators.check(graph(node("MaxRoiPool", List.of("x", "x"), OnnxProto.ints("pooled_shape", 2, 3))));
        Proto empty = OnnxProto.tensor("depth", OnnxProto.INT64, 0, 2);
        byte[] emptyDepth = OnnxProto.model(List.of(node("OneHot", List.of("x", "depth", "x"))), List.of(empty),
                OnnxProto.FLOAT, new long[0]);
        BackendException refused = assertThrows(BackendException.class,
                () -> TrustingOperators.check(OnnxGraph.read(emptyDepth)));
        assertTrue(refused.getMessage().contains("OneHot has a constant depth that does not hold one value"));
        Proto one = OnnxProto.tensor("depth", OnnxProto.INT64, 1).varint(7, 10);
        TrustingOperators.check(OnnxGraph.read(OnnxProto.model(List.of(node("OneHot", List.of("x", "depth", "x"))),
                List.of(one), OnnxProto.FLOAT, new long[0])));
        TrustingOperators.check(graph(node("OneHot", List.of("x", "x", "x")))); // a depth a run gives
    }

    @Test
    void col2ImTakesItsShapesAsConstantsOfOneOrMore() throws Exception {
        Proto image = OnnxProto.tensor("image", OnnxProto.INT64, 2).varint(7, 4).varint(7, 4);
        Proto block = OnnxProto.tensor("block", OnnxProto.INT64, 2).varint(7, 2).varint(7, 2);
        Proto zero = OnnxProto.tensor("block", OnnxProto.INT64, 2).varint(7, 0).varint(7, 2);
        TrustingOperators.check(OnnxGraph.read(OnnxProto.model(List.of(node("Col2Im", List.of("x", "image",
                "block"))), List.of(image, block), OnnxProto.FLOAT, new long[0])));
        for (List<Proto> constants : List.of(List.of(image), List.of(image, zero))) {
            byte[] model = OnnxProto.model(List.of(node("Col2Im", List.of("x", "image", "block"))), constants,
                    OnnxProto.FLOAT, new long[0]);
            assertTrue(assertThrows(BackendException.class, () -> TrustingOperators.check(OnnxGraph.read(model)))
                    .getMessage().contains("Col2Im takes a block_shape"));
        }
    }

    @Test
    void constantsONNXRuntimeComputesAheadKeepTheirShapes() throws Exception {
        Proto flatAxes = OnnxProto.tensor("axes", OnnxProto.INT64, 1).varint(7, 0);
        Proto squareAxes = OnnxProto.tensor("axes", OnnxProto.INT64, 2, 0);
        String refused = assertThrows(BackendException.class, () -> TrustingOperators.check(OnnxGraph.read(
                OnnxProto.model(List.of(node("ReduceMean", List.of("x", "axes"))), List.of(squareAxes),
                        OnnxProto.FLOAT, new long[0])))).getMessage();
        assertTrue(refused.contains("ReduceMean has constant axes of 2 dimensions"), refused);
        TrustingOperators.check(OnnxGraph.read(OnnxProto.model(List.of(node("ReduceMean", List.of("x", "axes"))),
                List.of(flatAxes), OnnxProto.FLOAT, new long[0])));
        assertTrue(refusal(node("ReduceSum", List.of("x"), OnnxProto.attribute("keepdims", 7)))
                .contains("ReduceSum has keepdims 7"));
        Proto scalarZero = OnnxProto.tensor("split", OnnxProto.INT64).varint(7, 0);
        refused = assertThrows(BackendException.class, () -> TrustingOperators.check(OnnxGraph.read(OnnxProto.model(
                List.of(node("SplitToSequence", List.of("x", "split"))), List.of(scalarZero), OnnxProto.FLOAT,
                new long[0])))).getMessage();
        assertTrue(refused.contains("SplitToSequence has a constant split of 0"), refused);
        Proto empty = OnnxProto.tensor("empty", OnnxProto.FLOAT, 0);
        Proto image = OnnxProto.tensor("image", OnnxProto.FLOAT, 1, 3, 4, 4);
        refused = assertThrows(BackendException.class, () -> TrustingOperators.check(OnnxGraph.read(OnnxProto.model(
                List.of(node("Concat", List.of("empty", "image"), OnnxProto.attribute("axis", -1))),
                List.of(empty, image), OnnxProto.FLOAT, new long[0])))).getMessage();
        assertTrue(refused.contains("Concat joins constants of 2 different ranks"), refused);
        Proto huge = OnnxProto.tensor("shape", OnnxProto.INT64, 2).varint(7, 1 << 15).varint(7, 1 << 14);
        refused = assertThrows(BackendException.class, () -> TrustingOperators.check(OnnxGraph.read(OnnxProto.model(
                List.of(node("ConstantOfShape", List.of("shape"))), List.of(huge), OnnxProto.FLOAT,
                new long[0])))).getMessage();
        assertTrue(refused.contains("ConstantOfShape fills a constant shape of 536870912 elements"), refused);
        Proto fair = OnnxProto.tensor("shape", OnnxProto.INT64, 2).varint(7, 1 << 14).varint(7, 1 << 14);
        TrustingOperators.check(OnnxGraph.read(OnnxProto.model(List.of(node("ConstantOfShape", List.of("shape"))),
                List.of(fair), OnnxProto.FLOAT, new long[0])));
        assertTrue(refusal(node("GatherND", List.of("x", "x"), OnnxProto.attribute("batch_dims", Long.MAX_VALUE)))
                .contains("GatherND has batch_dims " + Long.MAX_VALUE));
    }

    @Test
    void constantsOfRanksKernelsTakeOnTrustAreRefused() throws Exception {
        Proto scalarIndex = OnnxProto.tensor("i", OnnxProto.INT64).varint(7, 1);
        String refused = assertThrows(BackendException.class, () -> OperandRanks.of(OnnxGraph.read(OnnxProto.model(
                List.of(node("GatherND", List.of("x", "i"))), List.of(scalarIndex), OnnxProto.FLOAT,
                new long[0])))).getMessage();
        assertTrue(refused.contains("GatherND takes a constant of 0 dimensions as input 1, which needs 1 or more "
                + "dimensions"), refused);
        Proto flatWeights = OnnxProto.tensor("w", OnnxProto.FLOAT, 3, 4);
        refused = assertThrows(BackendException.class, () -> OperandRanks.of(OnnxGraph.read(OnnxProto.model(
                List.of(node("RNN", List.of("x", "w", "w"))), List.of(flatWeights), OnnxProto.FLOAT,
                new long[0])))).getMessage();
        assertTrue(refused.contains("RNN takes a constant of 2 dimensions as input 1, which needs 3 dimensions"),
                refused);
        OperandRanks.of(OnnxGraph.read(OnnxProto.model(List.of(node("GatherND", List.of("x", "x"))), List.of(),
                OnnxProto.FLOAT, new long[0]))); // inputs a run gives are checked on the run
    }

    @Test
    void randomDistributionsNeedASpreadTheCppLibraryAccepts() throws Exception {
        Proto noScale = new Proto().string(1, "scale").floatField(2, 0f).varint(20, 1);
        assertTrue(refusal(node("RandomNormalLike", List.of("x"), noScale))
                .contains("RandomNormalLike has a scale of 0.0"));
        Proto low = new Proto().string(1, "low").floatField(2, 1f).varint(20, 1);
        Proto high = new Proto().string(1, "high").floatField(2, 0f).varint(20, 1);
        assertTrue(refusal(node("RandomUniform", List.of(), low, high))
                .contains("RandomUniform has low 1.0 above high 0.0"));
        TrustingOperators.check(graph(node("RandomNormal", List.of()))); // scale defaults to 1
        TrustingOperators.check(graph(node("RandomUniformLike", List.of("x"), high))); // low defaults to 0
    }
}
