package org.inferis.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.inferis.backend.tf.TfBackend;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;

/** TensorFlow frozen graphs: loaded on demand, fed and fetched by name, every dtype, hostile graphs refused. */
class TfBackendTest {
    private static final Device CPU = Device.parse("CPU");
    private static final Path NATIVES = Path.of("target", "natives");
    private static final TfBackend TF = new TfBackend(new EngineOptions(1, 1), () -> 500, () -> NATIVES);
    private static final IoNames MUL = new IoNames(List.of("a", "b"), List.of("mul"));

    @Test
    void fixturesGiveWhatTensorFlowComputed() throws Exception {
        for (var model : List.of(List.of("tf_mul", "a,b", "mul"), List.of("tf_conv", "x", "logits"))) {
            IoNames names = new IoNames(List.of(model.get(1).split(",")), List.of(model.get(2)));
            try (LoadedModel loaded = TF.load(Fixtures.model(model.get(0) + ".pb"), CPU, names)) {
                assertEquals(names.inputs(), loaded.inputNames());
                Tensor expected = Fixtures.outputs(model.get(0)).get(0);
                Tensor actual = loaded.run(Fixtures.inputs(model.get(0))).get(0);
                assertEquals(DType.FLOAT, actual.dtype());
                assertArrayEquals(expected.shape(), actual.shape());
                assertArrayEquals(Fixtures.values(expected), Fixtures.values(actual), 1e-5, model.get(0));
            }
        }
        assertTrue(TF.isStarted());
        assertTrue(TF.engineVersion().startsWith("2."), TF.engineVersion());
    }

    @Test
    void everyDtypeGoesInAndComesBackAsItWas() throws Exception {
        List<DType> dtypes = List.of(DType.FLOAT, DType.DOUBLE, DType.FLOAT16, DType.BFLOAT16, DType.INT8,
                DType.INT16, DType.INT32, DType.INT64, DType.UINT8, DType.UINT16, DType.BOOL, DType.STRING);
        List<String> suffixes = dtypes.stream().map(d -> d.name().toLowerCase()).toList();
        IoNames names = new IoNames(suffixes.stream().map(s -> "in_" + s).toList(),
                suffixes.stream().map(s -> "out_" + s).toList());
        Random random = new Random(3);
        List<Tensor> inputs = new ArrayList<>();
        for (DType dtype : dtypes) {
            byte[] data;
            if (dtype == DType.STRING) {
                data = "alpha\0\0b\u00e9ta\0".getBytes(StandardCharsets.UTF_8); // three elements, one empty
            } else {
                data = new byte[3 * dtype.byteSize()];
                random.nextBytes(data);
                if (dtype == DType.BOOL) {
                    data = new byte[] {1, 0, 1};
                }
            }
            inputs.add(new Tensor(dtype, new long[] {3}, ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN)));
        }
        try (LoadedModel loaded = TF.load(Fixtures.model("tf_dtypes.pb"), CPU, names)) {
            List<Tensor> outputs = loaded.run(inputs);
            for (int i = 0; i < dtypes.size(); i++) {
                assertEquals(dtypes.get(i), outputs.get(i).dtype());
                assertArrayEquals(new long[] {3}, outputs.get(i).shape());
                assertEquals(inputs.get(i).data(), outputs.get(i).data(), dtypes.get(i).name());
            }
        }
    }

    @Test
    void tensorsOfTheWrongTypeAreRefusedByName() throws Exception {
        try (LoadedModel loaded = TF.load(Fixtures.model("tf_mul.pb"), CPU, MUL)) {
            Tensor int8 = new Tensor(DType.INT8, new long[] {1, 2}, ByteBuffer.wrap(new byte[2]));
            BackendException refused = assertThrows(BackendException.class, () -> loaded.run(List.of(int8, int8)));
            assertEquals("INT8 tensors feed only INT8 placeholders", refused.getMessage());
            Tensor ints = new Tensor(DType.INT32, new long[] {1, 2}, ByteBuffer.wrap(new byte[8]));
            BackendException wrongType = assertThrows(BackendException.class, () -> loaded.run(List.of(ints, ints)));
            assertTrue(wrongType.getMessage().contains("to be float but int32 is provided"), wrongType.getMessage());
        }
        IoNames int16 = new IoNames(List.of("in_int16"), List.of("out_int16"));
        try (LoadedModel loaded = TF.load(Fixtures.model("tf_dtypes.pb"), CPU, int16)) {
            Tensor ints = new Tensor(DType.INT32, new long[] {1}, ByteBuffer.wrap(new byte[4]));
            assertEquals("input in_int16 takes INT16 tensors, not INT32", assertThrows(BackendException.class,
                    () -> loaded.run(List.of(ints))).getMessage());
        }
    }

    @Test
    void namesAreCheckedAgainstTheGraphAsRedisAiDoes() {
        byte[] graph = Fixtures.model("tf_mul.pb");
        assertEquals("Input node named \"c\" not found in TF graph.", assertThrows(BackendException.class,
                () -> TF.load(graph, CPU, new IoNames(List.of("a", "c"), List.of("mul")))).getMessage());
        assertEquals("Input node named \"mul\" not found in TF graph.", assertThrows(BackendException.class,
                () -> TF.load(graph, CPU, new IoNames(List.of("mul"), List.of("mul")))).getMessage());
        assertEquals("Output node named \"product\" not found in TF graph", assertThrows(BackendException.class,
                () -> TF.load(graph, CPU, new IoNames(List.of("a", "b"), List.of("product")))).getMessage());
        assertTrue(assertThrows(BackendException.class, () -> TF.load(graph, Device.parse("GPU"), MUL))
                .getMessage().startsWith("GPU requested but TF couldn't find CUDA"));
    }

    @Test
    void hostileGraphsAreRefusedWithTensorFlowsReason() throws Exception {
        byte[] conv = Fixtures.model("tf_conv.pb");
        byte[] random = new byte[4096];
        new Random(11).nextBytes(random);
        IoNames x = new IoNames(List.of("x"), List.of("logits"));
        for (byte[] blob : List.of(random, Arrays.copyOf(conv, conv.length / 2), Fixtures.model("tf_nested.pb"))) {
            BackendException refused = assertThrows(BackendException.class, () -> TF.load(blob, CPU, x));
            assertEquals("Invalid GraphDef", refused.getMessage()); // TF's words, which RedisAI's clients compare
        }
        assertTrue(assertThrows(BackendException.class, () -> TF.load(Fixtures.model("tf_nested.pb"), CPU, x))
                .getCause().getMessage().contains("too many levels of nesting"));
        BackendException unknownOp = assertThrows(BackendException.class, () -> TF.load(
                Fixtures.model("tf_unknown_op.pb"), CPU, new IoNames(List.of("a"), List.of("out"))));
        assertTrue(unknownOp.getMessage().contains("NoSuchOpInTensorFlow"), unknownOp.getMessage());
        // TensorFlow's import recurses through such a library until the process's stack overflows
        BackendException recursive = assertThrows(BackendException.class, () -> TF.load(
                Fixtures.model("tf_recursive.pb"), CPU, new IoNames(List.of("a"), List.of("out"))));
        assertEquals("the graph's function 'f' calls itself (directly or through other functions), which "
                + "TensorFlow cannot import", recursive.getMessage());
        assertTrue(assertThrows(BackendException.class, () -> TF.load(callChain(2, true), CPU, CALLS))
                .getMessage().contains("calls itself"));
        assertTrue(assertThrows(BackendException.class, () -> TF.load(callChain(100, false), CPU, CALLS))
                .getMessage().contains("more than 64 deep"));
        try (LoadedModel shallow = TF.load(callChain(3, false), CPU, CALLS)) {
            Tensor two = new Tensor(DType.FLOAT, new long[] {1}, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
                    .putFloat(0, 2));
            assertEquals(2, shallow.run(List.of(two)).get(0).data().getFloat());
        }
    }

    private static final IoNames CALLS = new IoNames(List.of("a"), List.of("out"));

    /** out = f0(a), where f_i calls f_(i+1) and the last is the identity, or calls f0 again when cyclic. */
    private static byte[] callChain(int functions, boolean cyclic) {
        GraphDef.Builder graph = GraphDef.newBuilder()
                .addNode(NodeDef.newBuilder().setName("a").setOp("Placeholder")
                        .putAttr("dtype", AttrValue.newBuilder().setType(DataType.DT_FLOAT).build()))
                .addNode(NodeDef.newBuilder().setName("out").setOp("f0").addInput("a"));
        for (int i = 0; i < functions; i++) {
            boolean last = i == functions - 1;
            String callee = last ? (cyclic ? "f0" : "Identity") : "f" + (i + 1);
            NodeDef.Builder call = NodeDef.newBuilder().setName("call").setOp(callee).addInput("x");
            if (callee.equals("Identity")) {
                call.putAttr("T", AttrValue.newBuilder().setType(DataType.DT_FLOAT).build());
            }
            graph.getLibraryBuilder().addFunction(FunctionDef.newBuilder()
                    .setSignature(OpDef.newBuilder().setName("f" + i)
                            .addInputArg(OpDef.ArgDef.newBuilder().setName("x").setType(DataType.DT_FLOAT))
                            .addOutputArg(OpDef.ArgDef.newBuilder().setName("y").setType(DataType.DT_FLOAT)))
                    .addNodeDef(call)
                    .putRet("y", callee.equals("Identity") ? "call:output:0" : "call:y:0"));
        }
        return graph.build().toByteArray();
    }

    @Test
    void aRunPastTheTimeoutIsStoppedByTensorFlow() throws Exception {
        IoNames names = new IoNames(List.of("n"), List.of("count"));
        try (LoadedModel loaded = TF.load(Fixtures.model("tf_count.pb"), CPU, names)) {
            Tensor small = new Tensor(DType.INT64, new long[0],
                    ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1000));
            assertEquals(1000, loaded.run(List.of(small)).get(0).data().getLong());
            Tensor huge = new Tensor(DType.INT64, new long[0],
                    ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Long.MAX_VALUE));
            BackendException stopped = assertThrows(BackendException.class, () -> loaded.run(List.of(huge)));
            assertTrue(stopped.getMessage().startsWith("run exceeded model-execution-timeout (500 ms)"), stopped.getMessage());
        }
    }
}
