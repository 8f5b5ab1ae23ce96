package org.inferis.backend.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.inferis.backend.BackendException;
import org.inferis.backend.OnnxProto;
import org.inferis.backend.OnnxProto.Proto;
import org.junit.jupiter.api.Test;

/**
 * Convolutions without {@code kernel_shape} get it from their weights' dimensions before ONNX Runtime loads them
 * ({@link KernelShapes}), and are refused when the weights are not a constant.
 */
class KernelShapesTest {
    private static byte[] model(List<Proto> nodes, Proto... initializers) {
        return OnnxProto.model(nodes, List.of(initializers), OnnxProto.FLOAT, new long[0]);
    }

    private static byte[] rewritten(byte[] model) throws Exception {
        OnnxGraph graph = OnnxGraph.read(model);
        return ModelRewrite.rewritten(model, graph, List.of(KernelShapes.of(graph)));
    }

    private static OnnxGraph.Attribute kernelShape(byte[] model) throws Exception {
        return OnnxGraph.read(model).main().nodes().stream().filter(node -> node.opType().equals("Conv")).findFirst()
                .orElseThrow().attributes().get("kernel_shape");
    }

    @Test
    void aConvolutionOfConstantWeightsGetsTheirSpatialDimensions() throws Exception {
        Proto weights = OnnxProto.tensor("w", OnnxProto.FLOAT, 8, 1, 3, 5);
        byte[] model = model(List.of(OnnxProto.node("Conv", "", List.of("x", "w"), List.of("y"))), weights);
        OnnxGraph.Attribute added = kernelShape(rewritten(model));
        assertEquals(2, added.integers().length);
        assertEquals(3, added.integers().min);
        assertEquals(5, added.integers().max);
        // through DequantizeLinear, as quantized models hold their weights
        byte[] quantized = model(List.of(OnnxProto.node("DequantizeLinear", "", List.of("w", "s"), List.of("wf")),
                OnnxProto.node("Conv", "", List.of("x", "wf"), List.of("y"))), weights);
        assertEquals(2, kernelShape(rewritten(quantized)).integers().length);
    }

    @Test
    void convolutionsThatGiveTheirKernelShapeLoadAsTheyCame() throws Exception {
        byte[] model = model(List.of(OnnxProto.node("Conv", "", List.of("x", "x"), List.of("y"))
                .message(5, OnnxProto.ints("kernel_shape", 3, 3))));
        assertSame(model, rewritten(model));
    }

    @Test
    void weightsInferisCannotSeeOrOfTooFewDimensionsAreRefused() {
        byte[] input = model(List.of(OnnxProto.node("ConvTranspose", "", List.of("x", "x"), List.of("y"))));
        assertTrue(assertThrows(BackendException.class, () -> KernelShapes.of(OnnxGraph.read(input))).getMessage()
                .contains("ConvTranspose takes its weights from an input"));
        byte[] conv = model(List.of(OnnxProto.node("Conv", "", List.of("x", "x"), List.of("y"))));
        assertTrue(assertThrows(BackendException.class, () -> KernelShapes.of(OnnxGraph.read(conv))).getMessage()
                .contains("Conv has no kernel_shape and takes its weights from an input"));
        byte[] computed = model(List.of(OnnxProto.node("Relu", "", List.of("x"), List.of("w")),
                OnnxProto.node("QLinearConv", "", List.of("x", "s", "z", "w"), List.of("y"))));
        assertTrue(assertThrows(BackendException.class, () -> KernelShapes.of(OnnxGraph.read(computed)))
                .getMessage().contains("takes its weights from the output of Relu"));
        byte[] flat = model(List.of(OnnxProto.node("Conv", "", List.of("x", "w"), List.of("y"))),
                OnnxProto.tensor("w", OnnxProto.FLOAT, 4, 4));
        assertTrue(assertThrows(BackendException.class, () -> KernelShapes.of(OnnxGraph.read(flat))).getMessage()
                .contains("has weights of 2 dimensions"));
    }
}
