package org.inferis.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.inferis.backend.onnx.OnnxBackend;
import org.inferis.backend.torch.TorchBackend;
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
}
