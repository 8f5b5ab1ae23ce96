package org.inferis.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.inferis.backend.onnx.OnnxBackend;
import org.inferis.backend.torch.TorchBackend;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Both engines load the fixtures from bytes and reproduce the outputs PyTorch recorded. */
class BackendsTest {
    private static final EngineOptions OPTIONS = new EngineOptions(1, 1);
    private static final ModelBackend TORCH = new TorchBackend(OPTIONS);
    private static final ModelBackend ONNX = new OnnxBackend(OPTIONS);
    private static final Device CPU = Device.parse("CPU");

    private static ModelBackend backend(String name) {
        return name.equals("TORCH") ? TORCH : ONNX;
    }

    @ParameterizedTest
    @CsvSource({"TORCH,pt", "ONNX,onnx"})
    void everyFixtureMatchesItsRecordedOutputs(String backendName, String extension) throws Exception {
        for (String model : List.of("add_mul", "linear_relu", "multi_output", "mnist_cnn", "int64_affine")) {
            try (LoadedModel loaded = backend(backendName).load(Fixtures.model(model + "." + extension), CPU, IoNames.NONE)) {
                List<Tensor> expected = Fixtures.outputs(model);
                List<Tensor> actual = loaded.run(Fixtures.inputs(model));
                assertEquals(expected.size(), actual.size(), model);
                for (int i = 0; i < expected.size(); i++) {
                    assertEquals(expected.get(i).dtype(), actual.get(i).dtype(), model);
                    assertArrayEquals(expected.get(i).shape(), actual.get(i).shape(), model);
                    assertArrayEquals(Fixtures.values(expected.get(i)), Fixtures.values(actual.get(i)), 1e-5, model);
                }
            }
        }
    }

    @Test
    void signaturesComeFromTheModels() throws Exception {
        try (LoadedModel torch = TORCH.load(Fixtures.model("add_mul.pt"), CPU, IoNames.NONE);
             LoadedModel onnx = ONNX.load(Fixtures.model("add_mul.onnx"), CPU, IoNames.NONE);
             LoadedModel multi = TORCH.load(Fixtures.model("multi_output.pt"), CPU, IoNames.NONE)) {
            assertEquals(List.of("a", "b"), torch.inputNames());
            assertEquals(List.of("", ""), torch.outputNames());
            assertEquals(List.of("a", "b"), onnx.inputNames());
            assertEquals(List.of("sum", "product"), onnx.outputNames());
            assertEquals(3, multi.outputNames().size());
        }
    }

    @Test
    void badBlobsAndMissingGpusAreErrorsWithTheirReason() {
        BackendException future = assertThrows(BackendException.class,
                () -> TORCH.load(Fixtures.model("future_version.pt"), CPU, IoNames.NONE));
        assertTrue(future.getMessage().contains("version"), future.getMessage());
        BackendException garbage = assertThrows(BackendException.class, () -> ONNX.load(new byte[] {1, 2, 3}, CPU, IoNames.NONE));
        assertEquals("Failed to load model because protobuf parsing failed.", garbage.getMessage());
        BackendException gpu = assertThrows(BackendException.class,
                () -> TORCH.load(Fixtures.model("add_mul.pt"), Device.parse("GPU:0"), IoNames.NONE));
        assertTrue(gpu.getMessage().contains("GPU requested"), gpu.getMessage());
        BackendException onnxGpu = assertThrows(BackendException.class,
                () -> ONNX.load(Fixtures.model("add_mul.onnx"), Device.parse("GPU"), IoNames.NONE));
        assertTrue(onnxGpu.getMessage().contains("GPU requested"), onnxGpu.getMessage());
    }

    /**
     * Runs of one shape reuse their tensors (ONNX: inputs and outputs, OnnxBinding; TorchScript: inputs, TorchBinding):
     * each run still gets its own outputs.
     */
    @ParameterizedTest
    @CsvSource({"TORCH,pt", "ONNX,onnx"})
    void repeatedRunsEachGetTheirOwnOutputs(String backendName, String extension) throws Exception {
        ModelBackend engine = backend(backendName);
        byte[] blob = Fixtures.model("linear_relu." + extension);
        List<Tensor> inputs = new ArrayList<>();
        // twelve of one shape, ten of another, then the first again: runs bind after eight unbound ones of a shape
        for (int run = 0; run < 24; run++) {
            int rows = run >= 12 && run < 22 ? 2 : 1;
            float[] values = new float[rows * 4];
            for (int i = 0; i < values.length; i++) {
                values[i] = (run + 1) * (i - 1.5f);
            }
            inputs.add(floats(new long[] {rows, 4}, values));
        }
        List<Tensor> outputs = new ArrayList<>();
        try (LoadedModel model = engine.load(blob, CPU, IoNames.NONE)) {
            for (Tensor input : inputs) {
                outputs.add(model.run(List.of(input)).get(0));
            }
        }
        for (int run = 0; run < inputs.size(); run++) {
            try (LoadedModel fresh = engine.load(blob, CPU, IoNames.NONE)) { // its first run is never a bound one
                Tensor expected = fresh.run(List.of(inputs.get(run))).get(0);
                assertArrayEquals(expected.shape(), outputs.get(run).shape(), "run " + run);
                assertArrayEquals(Fixtures.values(expected), Fixtures.values(outputs.get(run)), 0, "run " + run);
            }
        }
    }

    /**
     * A TorchScript model that adds to its input and unsqueezes it in place: once its runs are bound, each still starts
     * from its own input's data and shape, and the caller's tensor is left as it was.
     */
    @Test
    void torchRunsThatChangeTheirInputInPlaceStartAfresh() throws Exception {
        try (LoadedModel model = TORCH.load(Fixtures.model("inplace_input.pt"), CPU, IoNames.NONE)) {
            for (int run = 0; run < 3 * ThreadBindings.BIND_AFTER; run++) {
                float[] values = {run, -run, 0.5f * run, 1, 2, 3};
                Tensor input = floats(new long[] {2, 3}, values);
                Tensor output = model.run(List.of(input)).get(0);
                double[] given = new double[values.length];
                double[] expected = new double[values.length];
                for (int i = 0; i < values.length; i++) {
                    given[i] = values[i];
                    expected[i] = (values[i] + 1) * 2;
                }
                assertArrayEquals(new long[] {1, 2, 3}, output.shape(), "run " + run);
                assertArrayEquals(expected, Fixtures.values(output), 1e-6, "run " + run);
                assertArrayEquals(given, Fixtures.values(input), 0, "run " + run);
            }
        }
    }

    /**
     * A TorchScript model that grows its input in place after using it: libtorch reallocates the input's memory, and
     * each later run's data still reaches the model.
     */
    @Test
    void torchRunsThatResizeTheirInputStillGetTheirOwnData() throws Exception {
        try (LoadedModel model = TORCH.load(Fixtures.model("resize_input.pt"), CPU, IoNames.NONE)) {
            for (int run = 0; run < 3 * ThreadBindings.BIND_AFTER; run++) {
                float[] values = {run, -run, 0.5f * run, 1, 2, 3};
                double[] expected = new double[values.length];
                for (int i = 0; i < values.length; i++) {
                    expected[i] = values[i] * 2;
                }
                Tensor output = model.run(List.of(floats(new long[] {2, 3}, values))).get(0);
                assertArrayEquals(new long[] {2, 3}, output.shape(), "run " + run);
                assertArrayEquals(expected, Fixtures.values(output), 1e-6, "run " + run);
            }
        }
    }

    /**
     * A TorchScript model that keeps its input for the next run (returning x minus the previous x): its runs are never
     * bound, as a kept input would show the next run's data.
     */
    @Test
    void torchModelsThatKeepTheirInputSeeEachRunsOwn() throws Exception {
        try (LoadedModel model = TORCH.load(Fixtures.model("keep_input.pt"), CPU, IoNames.NONE)) {
            float previous = 0;
            for (int run = 0; run < 3 * ThreadBindings.BIND_AFTER; run++) {
                float value = (run + 1) * (run + 1);
                Tensor change = model.run(List.of(floats(new long[] {1}, value))).get(0);
                assertArrayEquals(new double[] {value - previous}, Fixtures.values(change), 0, "run " + run);
                previous = value;
            }
        }
    }

    /** A model whose output shape depends on the input's values: bound runs give way to unbound ones. */
    @Test
    void onnxOutputsShapedByTheDataComeOutRight() throws Exception {
        List<float[]> runs = new ArrayList<>(java.util.Collections.nCopies(8, new float[] {1, 0, 2})); // then bound
        runs.addAll(List.of(new float[] {3, 0, 4}, new float[] {1, 1, 1}, new float[] {0, 0, 5}, new float[] {1, 1, 1}));
        try (LoadedModel model = ONNX.load(Fixtures.model("nonzero.onnx"), CPU, IoNames.NONE)) {
            for (float[] values : runs) {
                List<Double> nonZero = new ArrayList<>();
                for (int i = 0; i < values.length; i++) {
                    if (values[i] != 0) {
                        nonZero.add((double) i);
                    }
                }
                Tensor indices = model.run(List.of(floats(new long[] {3}, values))).get(0);
                assertArrayEquals(new long[] {1, nonZero.size()}, indices.shape(), Arrays.toString(values));
                assertArrayEquals(nonZero.stream().mapToDouble(Double::doubleValue).toArray(), Fixtures.values(indices),
                        0, Arrays.toString(values));
            }
        }
    }

    private static Tensor floats(long[] shape, float... values) {
        ByteBuffer data = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            data.putFloat(value);
        }
        return new Tensor(DType.FLOAT, shape, data.flip());
    }
}
