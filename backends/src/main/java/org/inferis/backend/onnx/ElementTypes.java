package org.inferis.backend.onnx;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.inferis.backend.onnx.OnnxGraph.Attribute;
import org.inferis.backend.onnx.OnnxGraph.Graph;
import org.inferis.backend.onnx.OnnxGraph.Node;

/**
 * The element type of each value of a graph (TensorProto.DataType; absent: not known), as ONNX's operator
 * definitions give it from the types of the inputs, the initializers and the declared model inputs. Only operators of
 * ONNX's own set whose rule is listed here give a type: an unlisted, new or custom operator makes its outputs unknown,
 * so no check can mistake an integer for a floating-point value.
 */
final class ElementTypes {
    /** Operators whose outputs (all, or the first where noted in {@link #output}) have their first input's type. */
    private static final Set<String> SAME_AS_FIRST = Set.of(
            // element-wise
            "Abs", "Acos", "Acosh", "Add", "Asin", "Asinh", "Atan", "Atanh", "BitShift", "BitwiseAnd", "BitwiseNot",
            "BitwiseOr", "BitwiseXor", "Ceil", "Celu", "Clip", "Cos", "Cosh", "Div", "Elu", "Erf", "Exp", "Floor",
            "Gelu", "HardSigmoid", "HardSwish", "Hardmax", "LeakyRelu", "Log", "LogSoftmax", "Max", "Mean", "Min",
            "Mish", "Mod", "Mul", "Neg", "PRelu", "Pow", "Reciprocal", "Relu", "Round", "Selu", "Shrink", "Sigmoid",
            "Sign", "Sin", "Sinh", "Softmax", "Softplus", "Softsign", "Sqrt", "Sub", "Sum", "Tan", "Tanh",
            "ThresholdedRelu",
            // moving and selecting
            "CenterCropPad", "Compress", "Concat", "DepthToSpace", "Expand", "Flatten", "Gather", "GatherElements",
            "GatherND", "Identity", "Pad", "Reshape", "Resize", "ReverseSequence", "Scatter", "ScatterElements",
            "ScatterND", "Slice", "SpaceToDepth", "Split", "Squeeze", "Tile", "Transpose", "Trilu", "Unsqueeze",
            "Upsample",
            // reductions
            "CumSum", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean",
            "ReduceMin", "ReduceProd", "ReduceSum", "ReduceSumSquare",
            // networks
            "AveragePool", "BatchNormalization", "Col2Im", "Conv", "ConvTranspose", "DFT", "Det", "Dropout", "Einsum",
            "GRU", "Gemm", "GlobalAveragePool", "GlobalLpPool", "GlobalMaxPool", "GridSample", "GroupNormalization",
            "InstanceNormalization", "LRN", "LSTM", "LayerNormalization", "LpNormalization", "LpPool", "MatMul",
            "MaxPool", "MaxRoiPool", "MeanVarianceNormalization", "RNN", "Range", "RoiAlign", "STFT", "TopK",
            "Unique");
    /** Operators all of whose outputs are INT64 (positions, counts, shapes). */
    private static final Set<String> INT64 = Set.of("ArgMax", "ArgMin", "NonMaxSuppression", "NonZero", "Shape",
            "Size");
    private static final Set<String> BOOL = Set.of("And", "Equal", "Greater", "GreaterOrEqual", "IsInf", "IsNaN",
            "Less", "LessOrEqual", "Not", "Or", "Xor");
    /** Operators whose first output has their first input's type and whose other outputs another one. */
    private static final Map<String, Integer> LATER_OUTPUTS = Map.of("TopK", OnnxGraph.INT64, "Unique",
            OnnxGraph.INT64, "MaxPool", OnnxGraph.INT64, "Dropout", OnnxGraph.BOOL, "LayerNormalization",
            OnnxGraph.FLOAT);

    private ElementTypes() {
    }

    /**
     * The types of a graph's values, in the scope of {@code outer} (the enclosing graphs' values, for a subgraph).
     */
    static Map<String, Integer> of(Graph graph, Map<String, Integer> outer) {
        Map<String, Integer> types = new HashMap<>(outer);
        graph.inputs().forEach((name, type) -> {
            if (type != 0) {
                types.put(name, type);
            } else {
                types.remove(name); // undeclared, and hiding an outer value of that name
            }
        });
        graph.initializers().forEach((name, tensor) -> types.put(name, tensor.type()));
        for (Node node : graph.nodes()) {
            for (int i = 0; i < node.outputs().size(); i++) {
                Integer type = node.domain().isEmpty() ? output(node, i, types) : null;
                if (type == null || type == 0) {
                    types.remove(node.outputs().get(i)); // a name made anew hides an outer one
                } else {
                    types.put(node.outputs().get(i), type);
                }
            }
        }
        return types;
    }

    /** The type of output {@code index} of an ONNX operator, or null. */
    private static Integer output(Node node, int index, Map<String, Integer> types) {
        String op = node.opType();
        if (index > 0 && LATER_OUTPUTS.containsKey(op)) {
            return LATER_OUTPUTS.get(op);
        }
        if (SAME_AS_FIRST.contains(op)) {
            return types.get(node.input(0));
        }
        if (INT64.contains(op)) {
            return OnnxGraph.INT64;
        }
        if (BOOL.contains(op)) {
            return OnnxGraph.BOOL;
        }
        return switch (op) {
            case "Cast" -> attribute(node, "to", null);
            case "CastLike" -> types.get(node.input(1));
            case "Where" -> types.get(node.input(1));
            case "OneHot" -> types.get(node.input(2));
            case "Constant" -> constant(node);
            case "ConstantOfShape" -> node.attributes().containsKey("value")
                    ? tensorType(node.attributes().get("value")) : OnnxGraph.FLOAT;
            case "EyeLike", "RandomNormalLike", "RandomUniformLike", "Bernoulli" ->
                    attribute(node, "dtype", types.get(node.input(0)));
            case "RandomNormal", "RandomUniform" -> attribute(node, "dtype", OnnxGraph.FLOAT);
            case "Multinomial" -> attribute(node, "dtype", OnnxGraph.INT32);
            case "MatMulInteger", "ConvInteger" -> OnnxGraph.INT32;
            default -> null;
        };
    }

    private static Integer constant(Node node) {
        for (Map.Entry<String, Attribute> attribute : node.attributes().entrySet()) {
            switch (attribute.getKey()) {
                case "value":
                    return tensorType(attribute.getValue());
                case "value_int", "value_ints":
                    return OnnxGraph.INT64;
                case "value_float", "value_floats":
                    return OnnxGraph.FLOAT;
                case "value_string", "value_strings":
                    return OnnxGraph.STRING;
                default:
                    break;
            }
        }
        return null;
    }

    private static Integer tensorType(Attribute attribute) {
        return attribute.tensor() == null ? null : attribute.tensor().type();
    }

    private static Integer attribute(Node node, String name, Integer otherwise) {
        Attribute attribute = node.attributes().get(name);
        return attribute == null ? otherwise : (int) attribute.integer();
    }

    /** Whether a type is one of integers (signed or not), whose division by zero traps. */
    static boolean isInteger(int type) {
        return List.of(OnnxGraph.UINT8, OnnxGraph.INT8, OnnxGraph.UINT16, OnnxGraph.INT16, OnnxGraph.INT32,
                OnnxGraph.INT64, OnnxGraph.UINT32, OnnxGraph.UINT64).contains(type);
    }
}
