package org.inferis.backend.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.inferis.backend.BackendException;
import org.inferis.backend.Device;
import org.inferis.backend.EngineOptions;
import org.inferis.backend.Fixtures;
import org.inferis.backend.IoNames;
import org.inferis.backend.LoadedModel;
import org.inferis.backend.OnnxProto;
import org.inferis.backend.OnnxProto.Proto;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Einsums' operands guarded ({@link EinsumOperands}): each fixture of known shapes killed the process as ONNX Runtime
 * loaded it, and a 1-D operand a client sent where the equation wants two dimensions killed it on the run. Now they
 * load, a run answers NumPy's broadcast result ({@link #batchedProduct}) or an error, and the process lives on.
 */
class EinsumOperandsTest {
    private static final OnnxBackend ONNX = new OnnxBackend(new EngineOptions(1, 1));
    private static final Device CPU = Device.parse("CPU");
    /** The fixtures' weight w: 3x4, 0, 0.1, ..., 1.1 (make_trusting_onnx.py). */
    private static final Array WEIGHT = Array.of(new long[] {3, 4}, i -> i / 10.0);
    private static final Array X = Array.of(new long[] {5, 4, 2}, i -> (i % 7) - 3.5);

    /** A FLOAT tensor's shape and values. */
    private record Array(long[] shape, double[] values) {
        static Array of(long[] shape, java.util.function.IntToDoubleFunction value) {
            double[] values = new double[(int) Tensor.elementCount(shape)];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) value.applyAsDouble(i);
            }
            return new Array(shape, values);
        }

        Tensor tensor() {
            ByteBuffer data = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (double value : values) {
                data.putFloat((float) value);
            }
            return new Tensor(DType.FLOAT, shape, data.flip());
        }

        Array negated() {
            return new Array(shape, java.util.Arrays.stream(values).map(value -> -value).toArray());
        }
    }

    /** einsum("...ij,...jk->...ik", a, b) as NumPy computes it: leading dimensions broadcast, left-padded with 1s. */
    private static Array batchedProduct(Array a, Array b) {
        int rank = Math.max(a.shape.length, b.shape.length);
        long[] batch = new long[rank - 2];
        long[] aBatch = padded(a.shape, rank);
        long[] bBatch = padded(b.shape, rank);
        for (int d = 0; d < rank - 2; d++) {
            batch[d] = Math.max(aBatch[d], bBatch[d]);
        }
        int rows = (int) a.shape[a.shape.length - 2];
        int inner = (int) a.shape[a.shape.length - 1];
        int columns = (int) b.shape[b.shape.length - 1];
        long[] shape = java.util.Arrays.copyOf(batch, rank);
        shape[rank - 2] = rows;
        shape[rank - 1] = columns;
        double[] values = new double[(int) Tensor.elementCount(shape)];
        for (int n = 0; n < Tensor.elementCount(batch); n++) {
            int aOffset = offset(n, batch, aBatch) * rows * inner;
            int bOffset = offset(n, batch, bBatch) * inner * columns;
            for (int i = 0; i < rows; i++) {
                for (int k = 0; k < columns; k++) {
                    double sum = 0;
                    for (int j = 0; j < inner; j++) {
                        sum += a.values[aOffset + i * inner + j] * b.values[bOffset + j * columns + k];
                    }
                    values[(n * rows + i) * columns + k] = sum;
                }
            }
        }
        return new Array(shape, values);
    }

    private static long[] padded(long[] shape, int rank) {
        long[] padded = new long[rank];
        java.util.Arrays.fill(padded, 1);
        System.arraycopy(shape, 0, padded, rank - shape.length, shape.length);
        return padded;
    }

    /** The index into an operand's leading dimensions of the n-th of the broadcast ones (1s repeat). */
    private static int offset(int n, long[] batch, long[] operand) {
        int offset = 0;
        int stride = 1;
        for (int d = batch.length - 1; d >= 0; d--) {
            int index = (int) (n % batch[d]);
            n /= (int) batch[d];
            offset += (operand[d] == 1 ? 0 : index) * stride;
            stride *= (int) operand[d];
        }
        return offset;
    }

    private static void assertRuns(String file, List<Tensor> inputs, Array expected) throws Exception {
        try (LoadedModel model = ONNX.load(Fixtures.model(file), CPU, IoNames.NONE)) {
            Tensor output = model.run(inputs).get(0);
            assertArrayEquals(expected.shape, output.shape(), file);
            assertArrayEquals(expected.values, Fixtures.values(output), 1e-4, file);
        }
    }

    private static Tensor bool(boolean value) {
        return new Tensor(DType.BOOL, new long[0], ByteBuffer.wrap(new byte[] {(byte) (value ? 1 : 0)}));
    }

    @Test
    void einsumsOfKnownShapesWhoseEllipsesDifferLoadAndBroadcast() throws Exception {
        Array expected = batchedProduct(WEIGHT, X);
        assertArrayEquals(new long[] {5, 3, 2}, expected.shape);
        assertRuns("einsum_broadcast.onnx", List.of(X.tensor()), expected);
        assertRuns("einsum_in_function.onnx", List.of(X.tensor()), expected);
        // in a branch, beside a value named as the padding's would be
        assertRuns("einsum_in_branch.onnx", List.of(bool(true), X.tensor()), expected);
        assertRuns("einsum_in_branch.onnx", List.of(bool(false), X.tensor()), expected.negated());
        assertRuns("einsum_ellipsis_ranks.onnx", List.of(Array.of(new long[] {1}, i -> 0).tensor()),
                batchedProduct(Array.of(new long[] {3, 4}, i -> 1), Array.of(new long[] {5, 4, 2}, i -> 1)));
    }

    @Test
    void runsBroadcastOrAreRefusedWhereAnOperandHasTooFewDimensions() throws Exception {
        Array a = Array.of(new long[] {2, 1, 3, 4}, i -> i * 0.25 - 2);
        Array b = Array.of(new long[] {5, 4, 2}, i -> 1 - i * 0.125);
        Array square = Array.of(new long[] {4, 2}, i -> i);
        Array wide = Array.of(new long[] {2, 3}, i -> 3 - i);
        for (Array[] operands : new Array[][] {{a, b}, {WEIGHT, X}, {X, wide}, {WEIGHT, square}}) {
            assertRuns("einsum_any_ranks.onnx", List.of(operands[0].tensor(), operands[1].tensor()),
                    batchedProduct(operands[0], operands[1]));
        }
        assertRuns("einsum_product.onnx", List.of(WEIGHT.tensor(), square.tensor()), batchedProduct(WEIGHT, square));
        for (String file : List.of("einsum_any_ranks.onnx", "einsum_product.onnx")) {
            try (LoadedModel model = ONNX.load(Fixtures.model(file), CPU, IoNames.NONE)) {
                // fewer dimensions than the operand's letters: refused before the Einsum (whose kernel aborted)
                BackendException tooFew = assertThrows(BackendException.class,
                        () -> model.run(List.of(Array.of(new long[] {4}, i -> i).tensor(), b.tensor())), file);
                assertTrue(tooFew.getMessage().contains("an operand of Einsum 1 (unnamed) has fewer dimensions than "
                        + "its letters"), tooFew.getMessage());
            }
        }
        try (LoadedModel model = ONNX.load(Fixtures.model("einsum_any_ranks.onnx"), CPU, IoNames.NONE)) {
            BackendException apart = assertThrows(BackendException.class, () -> model.run(List.of(Array.of(
                    new long[] {7, 3, 4}, i -> i).tensor(), Array.of(new long[] {6, 5, 4, 2}, i -> i).tensor())));
            assertTrue(apart.getMessage().contains("broadcasted dimensions of the inputs are incompatible"),
                    apart.getMessage());
        }
        // a model that declares too few dimensions is refused as it loads
        BackendException declared = assertThrows(BackendException.class,
                () -> ONNX.load(Fixtures.model("einsum_short_rank.onnx"), CPU, IoNames.NONE));
        assertTrue(declared.getMessage().contains("an operand of Einsum 1 (unnamed) has fewer dimensions than its "
                + "letters"), declared.getMessage());
    }

    @Test
    void modelsWithoutAnEinsumLoadAsTheyCame() throws Exception {
        for (String file : List.of("linear_relu.onnx", "trilu.onnx", "einsum_broadcast.onnx")) {
            byte[] blob = Fixtures.model(file);
            assertEquals(!file.startsWith("einsum"), blob == rewritten(blob), file);
        }
        Proto node = OnnxProto.node("Einsum", "", List.of("x", "x"), List.of("y"))
                .message(5, new Proto().string(1, "equation").string(4, "ij,jk->ik").varint(20, 3));
        byte[] blob = OnnxProto.model(List.of(node), List.of(), OnnxProto.FLOAT, new long[0]);
        assertNotSame(blob, rewritten(blob), "an Einsum without ellipses too");
    }

    private static byte[] rewritten(byte[] blob) throws Exception {
        return ModelRewrite.rewritten(blob, OnnxGraph.read(blob), List.of(new EinsumOperands()));
    }
}
