package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.inferis.backend.Fixtures;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Models through Lettuce: both backends' numerics, every reply shape of MODELGET and AI.INFO, and errors. */
class ModelCommandsIT {
    @RegisterExtension
    static final RunningServer server = new RunningServer();

    private StatefulRedisConnection<String, String> c;

    @BeforeEach
    void connect() {
        c = server.connect(ProtocolVersion.RESP3);
        c.sync().flushall();
    }

    private String error(String command, Object... args) {
        return assertThrows(RedisCommandExecutionException.class, () -> Ai.status(c, command, args)).getMessage();
    }

    static void setTensor(StatefulRedisConnection<String, String> c, String key, Tensor tensor) {
        Object[] args = new Object[3 + tensor.rank() + 2];
        args[0] = key;
        args[1] = tensor.dtype().name();
        for (int i = 0; i < tensor.rank(); i++) {
            args[2 + i] = tensor.dim(i);
        }
        args[2 + tensor.rank()] = "BLOB";
        byte[] blob = new byte[(int) tensor.byteSize()];
        tensor.data().get(blob);
        args[3 + tensor.rank()] = blob;
        Ai.status(c, "AI.TENSORSET", Arrays.copyOf(args, 4 + tensor.rank()));
    }

    /** Compares a stored tensor with a recorded one: dtype, shape and values (to float precision). */
    static void assertTensor(StatefulRedisConnection<String, String> c, String key, Tensor expected) {
        List<Object> meta = Ai.array(c, "AI.TENSORGET", key, "META");
        assertEquals(expected.dtype().name(), meta.get(1), key);
        assertEquals(Arrays.stream(expected.shape()).boxed().toList(), meta.get(3), key);
        ByteBuffer blob = ByteBuffer.wrap(Ai.bytes(c, "AI.TENSORGET", key, "BLOB")).order(ByteOrder.LITTLE_ENDIAN);
        Tensor actual = new Tensor(expected.dtype(), expected.shape(), blob);
        assertArrayEquals(Fixtures.values(expected), Fixtures.values(actual), 1e-5, key);
    }

    @ParameterizedTest
    @CsvSource({"TORCH,pt", "ONNX,onnx"})
    void everyFixtureRunsToItsRecordedOutputs(String backend, String extension) {
        for (String model : List.of("add_mul", "linear_relu", "multi_output", "mnist_cnn", "int64_affine")) {
            assertEquals("OK", Ai.status(c, "AI.MODELSTORE", model, backend, "CPU", "BLOB",
                    Fixtures.model(model + "." + extension)));
            List<Tensor> inputs = Fixtures.inputs(model);
            List<Tensor> outputs = Fixtures.outputs(model);
            Object[] args = new Object[5 + inputs.size() + outputs.size()];
            int i = 0;
            args[i++] = model;
            args[i++] = "INPUTS";
            args[i++] = inputs.size();
            for (int n = 0; n < inputs.size(); n++) {
                setTensor(c, model + ":in" + n, inputs.get(n));
                args[i++] = model + ":in" + n;
            }
            args[i++] = "OUTPUTS";
            args[i++] = outputs.size();
            for (int n = 0; n < outputs.size(); n++) {
                args[i++] = model + ":out" + n;
            }
            assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", args), model);
            for (int n = 0; n < outputs.size(); n++) {
                assertTensor(c, model + ":out" + n, outputs.get(n));
            }
        }
    }

    /**
     * Runs of one shape reuse their input tensors inside the engine: a TorchScript model that adds to its input and
     * unsqueezes it in place still computes each run from that run's tensor, and the stored input stays as it was.
     */
    @Test
    void runsOfAModelThatChangesItsInputInPlaceEachStartFromTheirOwnInput() {
        assertEquals("OK", Ai.status(c, "AI.MODELSTORE", "m", "TORCH", "CPU", "BLOB", Fixtures.model("inplace_input.pt")));
        for (int run = 0; run < 24; run++) { // well past the eight runs of one shape after which inputs are bound
            float[] given = {run, -run, 0.5f * run, 1, 2, 3};
            ByteBuffer input = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer expected = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
            for (float value : given) {
                input.putFloat(value);
                expected.putFloat((value + 1) * 2);
            }
            Tensor in = new Tensor(DType.FLOAT, new long[] {2, 3}, input.flip());
            setTensor(c, "in", in);
            assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", "m", "INPUTS", 1, "in", "OUTPUTS", 1, "out"));
            assertTensor(c, "out", new Tensor(DType.FLOAT, new long[] {1, 2, 3}, expected.flip()));
            assertTensor(c, "in", in);
        }
    }

    /** A TorchScript model that grows its input in place after using it: every run answers from its own input. */
    @Test
    void runsOfAModelThatResizesItsInputEachUseTheirOwnInput() {
        assertEquals("OK", Ai.status(c, "AI.MODELSTORE", "grow", "TORCH", "CPU", "BLOB",
                Fixtures.model("resize_input.pt")));
        for (int run = 0; run < 24; run++) { // well past the eight runs of one shape after which inputs are bound
            int given = run + 1;
            assertEquals("OK", Ai.status(c, "AI.TENSORSET", "in", "FLOAT", 2, 3, "VALUES", given, -given, 1, 2, 3, 4));
            assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", "grow", "INPUTS", 1, "in", "OUTPUTS", 1, "out"));
            assertEquals(List.of(2.0 * given, -2.0 * given, 2.0, 4.0, 6.0, 8.0),
                    Ai.array(c, "AI.TENSORGET", "out", "VALUES"), "run " + run);
        }
    }

    @Test
    void deprecatedModelSetAndModelRun() {
        assertEquals("OK", Ai.status(c, "AI.MODELSET", "m", "ONNX", "CPU", "BLOB", Fixtures.model("add_mul.onnx")));
        List<Tensor> inputs = Fixtures.inputs("add_mul");
        setTensor(c, "a", inputs.get(0));
        setTensor(c, "b", inputs.get(1));
        assertEquals("OK", Ai.status(c, "AI.MODELRUN", "m", "INPUTS", "a", "b", "OUTPUTS", "s", "p"));
        assertTensor(c, "p", Fixtures.outputs("add_mul").get(1));
        assertEquals("OK", Ai.status(c, "AI.MODELRUN", "m", "TIMEOUT", 1000, "INPUTS", "a", "b", "OUTPUTS", "s", "p"));
        assertEquals("ERR OUTPUTS not specified", error("AI.MODELRUN", "m", "INPUTS", "a", "b", "c"));
    }

    @Test
    void modelGetShapesAndChunks() {
        byte[] blob = Fixtures.model("linear_relu.pt");
        // a blob sent in three chunks is stored whole
        int third = blob.length / 3;
        assertEquals("OK", Ai.status(c, "AI.MODELSTORE", "m", "TORCH", "CPU", "TAG", "v1", "BATCHSIZE", 4,
                "MINBATCHSIZE", 2, "MINBATCHTIMEOUT", 10, "BLOB", Arrays.copyOfRange(blob, 0, third),
                Arrays.copyOfRange(blob, third, 2 * third), Arrays.copyOfRange(blob, 2 * third, blob.length)));
        List<Object> meta = Ai.array(c, "AI.MODELGET", "m", "META");
        assertEquals(List.of("backend", "TORCH", "device", "CPU", "tag", "v1", "batchsize", 4L, "minbatchsize", 2L,
                "inputs", List.of("x"), "outputs", List.of(""), "minbatchtimeout", 10L), meta, "RedisAI's 8 pairs");
        assertArrayEquals(blob, Ai.bytes(c, "AI.MODELGET", "m", "BLOB"));
        List<Object> both = Ai.array(c, "AI.MODELGET", "m", "META", "BLOB");
        assertEquals(18, both.size());
        assertEquals("blob", both.get(16));
        assertEquals(both.subList(0, 17), Ai.array(c, "AI.MODELGET", "m").subList(0, 17));
        assertEquals(18, Ai.array(c, "AI.MODELGET", "m").size());
        Ai.status(c, "AI.MODELSTORE", "q", "TORCH", "CPU", "MAXQUEUE", 5, "INSTANCES", 2, "BLOB", blob);
        List<Object> extended = Ai.array(c, "AI.MODELGET", "q", "META");
        assertEquals(List.of("maxqueue", 5L, "instances", 2L), extended.subList(16, 20), "ours, only when given");

        assertEquals("OK", Ai.status(c, "AI.CONFIG", "MODEL_CHUNK_SIZE", 1000));
        assertEquals(1000L, Ai.integer(c, "AI.CONFIG", "GET", "MODEL_CHUNK_SIZE"));
        List<Object> chunks = Ai.binaryArray(server.connectBinary(ProtocolVersion.RESP2), "AI.MODELGET", "m", "BLOB");
        assertEquals((blob.length + 999) / 1000, chunks.size(), "no empty last chunk");
        java.io.ByteArrayOutputStream joined = new java.io.ByteArrayOutputStream();
        chunks.forEach(chunk -> joined.writeBytes((byte[]) chunk));
        assertArrayEquals(blob, joined.toByteArray());
        assertEquals("OK", Ai.status(c, "AI.CONFIG", "MODEL_CHUNK_SIZE", 511 * 1024 * 1024));

        List<Object> onnxMeta = Ai.array(c, "AI.MODELGET", storeOnnx("o"), "META");
        assertEquals(List.of("sum", "product"), onnxMeta.get(onnxMeta.indexOf("outputs") + 1));
    }

    private String storeOnnx(String key) {
        Ai.status(c, "AI.MODELSTORE", key, "ONNX", "CPU", "BLOB", Fixtures.model("add_mul.onnx"));
        return key;
    }

    @Test
    void infoCountsCallsSamplesAndErrors() {
        storeOnnx("m");
        List<Tensor> inputs = Fixtures.inputs("add_mul");
        setTensor(c, "a", inputs.get(0));
        setTensor(c, "b", inputs.get(1));
        Ai.status(c, "AI.TENSORSET", "wrong", "FLOAT", 3, "VALUES", 1, 2, 3);
        for (int i = 0; i < 3; i++) {
            Ai.status(c, "AI.MODELEXECUTE", "m", "INPUTS", 2, "a", "b", "OUTPUTS", 2, "s", "p");
        }
        assertTrue(error("AI.MODELEXECUTE", "m", "INPUTS", 2, "a", "wrong", "OUTPUTS", 2, "s", "p").startsWith("ERR "));
        error("AI.MODELEXECUTE", "m", "INPUTS", 1, "a", "OUTPUTS", 2, "s", "p"); // argument errors count nothing
        List<Object> info = Ai.array(c, "AI.INFO", "m");
        assertEquals(18, info.size(), "RedisAI's 9 pairs: " + info);
        assertEquals(List.of("key", "m", "type", "MODEL", "backend", "ONNX", "device", "CPU", "tag", ""),
                info.subList(0, 10));
        assertEquals("duration", info.get(10));
        assertTrue((Long) info.get(11) > 0);
        assertEquals(List.of("samples", 6L, "calls", 4L, "errors", 1L), info.subList(12, 18));
        List<Object> extended = Ai.array(c, "AI.INFO", "m", "EXTENDED");
        assertEquals(info.subList(0, 10), extended.subList(0, 10));
        assertEquals(List.of("batches", 3L, "avg_batch_size", 2.0, "queue_depth", 0L), extended.subList(18, 24));
        assertEquals(List.of("p50_us", "p99_us"), List.of(extended.get(24), extended.get(26)));
        assertEquals("ERR wrong number of arguments for 'AI.INFO' command", error("AI.INFO", "m", "EXTENDED", "x"));
        String ai = c.sync().info("ai");
        assertTrue(ai.contains("ai_models:1\r\n") && ai.contains("ai_runs:4\r\n") && ai.contains("ai_batches:3\r\n")
                && ai.contains("ai_run_errors:1\r\n") && ai.contains("ai_queue_depth:0\r\n"), ai);
        assertEquals("OK", Ai.status(c, "AI.INFO", "m", "RESETSTAT"));
        assertEquals(List.of("samples", 0L, "calls", 0L, "errors", 0L), Ai.array(c, "AI.INFO", "m").subList(12, 18));
        assertEquals("ERR cannot find run info for key", error("AI.INFO", "nothing"));
    }

    @Test
    void modelsAreKeysLikeAnyOther() {
        storeOnnx("m1");
        storeOnnx("m2");
        Ai.status(c, "AI.MODELSTORE", "m2", "ONNX", "CPU", "TAG", "retagged", "BLOB", Fixtures.model("add_mul.onnx"));
        assertEquals("AI__MODEL", c.sync().type("m1"));
        assertEquals(2L, c.sync().exists("m1", "m2"));
        assertEquals(List.of("m1", "m2"), c.sync().keys("m*").stream().sorted().toList());
        List<Object> scan = Ai.array(c, "AI._MODELSCAN");
        assertTrue(scan.contains(List.of("m2", "retagged")), scan.toString());
        assertEquals(1L, c.sync().del("m1"));
        assertEquals("OK", Ai.status(c, "AI.MODELDEL", "m2"));
        assertEquals("ERR model key is empty", error("AI.MODELDEL", "m2"));
        c.sync().set("s", "v");
        assertEquals("WRONGTYPE Operation against a key holding the wrong kind of value", error("AI.MODELDEL", "s"));
        assertEquals("WRONGTYPE Operation against a key holding the wrong kind of value",
                error("AI.MODELSTORE", "s", "ONNX", "CPU", "BLOB", Fixtures.model("add_mul.onnx")));
    }

    @Test
    void storeErrorsLeaveTheKeyUntouched() {
        storeOnnx("m");
        // the engines' own words, whole and without an ERR code, as RedisAI answers them
        assertEquals("Failed to load model because protobuf parsing failed.",
                error("AI.MODELSTORE", "m", "ONNX", "CPU", "BLOB", "not a model"));
        assertEquals("No graph was found in the protobuf.", error("AI.MODELSTORE", "m", "ONNX", "CPU", "BLOB", ""));
        String future = error("AI.MODELSTORE", "m", "TORCH", "CPU", "BLOB", Fixtures.model("future_version.pt"));
        assertTrue(future.contains("Attempted to read a PyTorch file with version 99") && !future.contains("frame #"),
                future);
        assertArrayEquals(Fixtures.model("add_mul.onnx"), Ai.bytes(c, "AI.MODELGET", "m", "BLOB"));
        assertTrue(error("AI.MODELSTORE", "g", "TORCH", "GPU", "BLOB", Fixtures.model("add_mul.pt"))
                .startsWith("ERR GPU requested but libtorch sees 0 CUDA device(s)"));
        assertTrue(error("AI.MODELSTORE", "g", "ONNX", "GPU:1", "BLOB", Fixtures.model("add_mul.onnx"))
                .startsWith("ERR GPU requested but ONNX Runtime has no CUDA provider"));
        assertEquals(0L, c.sync().exists("g"));
        assertEquals("ERR unsupported backend", error("AI.MODELSTORE", "x", "CAFFE2", "CPU", "BLOB", "b"));
        assertEquals("ERR Invalid DEVICE", error("AI.MODELSTORE", "x", "ONNX", "TPU", "BLOB", "b"));
        assertEquals("ERR MINBATCHSIZE specified without BATCHSIZE",
                error("AI.MODELSTORE", "x", "ONNX", "CPU", "MINBATCHSIZE", 2, "BLOB", "b"));
        assertEquals("ERR MINBATCHTIMEOUT specified without MINBATCHSIZE",
                error("AI.MODELSTORE", "x", "ONNX", "CPU", "BATCHSIZE", 2, "MINBATCHTIMEOUT", 2, "BLOB", "b"));
        assertEquals("ERR Invalid argument for BATCHSIZE", error("AI.MODELSTORE", "x", "ONNX", "CPU", "BATCHSIZE", -1, "BLOB", "b"));
        assertEquals("ERR INPUTS argument should not be specified for this backend",
                error("AI.MODELSTORE", "x", "TORCH", "CPU", "INPUTS", 1, "a", "BLOB", "b"));
        assertEquals("ERR Invalid argument, expected BLOB", error("AI.MODELSTORE", "x", "TORCH", "CPU", "BLOBS", "b"));
        assertEquals("ERR Insufficient arguments, missing model BLOB",
                error("AI.MODELSTORE", "x", "TORCH", "CPU", "TAG", "t", "BLOB"));
    }

    @Test
    void executeErrors() {
        Ai.status(c, "AI.MODELSTORE", "cnn", "TORCH", "CPU", "BLOB", Fixtures.model("mnist_cnn.pt"));
        Ai.status(c, "AI.TENSORSET", "img", "FLOAT", 1, 1, 28, 28);
        Ai.status(c, "AI.TENSORSET", "ids", "INT64", 1, 1, 28, 28);
        Ai.status(c, "AI.TENSORSET", "flat", "FLOAT", 784);
        assertEquals("ERR model key is empty", error("AI.MODELEXECUTE", "nope", "INPUTS", 1, "img", "OUTPUTS", 1, "o"));
        assertEquals("ERR INPUTS not specified", error("AI.MODELEXECUTE", "cnn", "INPUT", 1, "img", "OUTPUTS", 1, "o"));
        assertEquals("ERR Invalid argument for input_count",
                error("AI.MODELEXECUTE", "cnn", "INPUTS", "x", "img", "OUTPUTS", 1, "o"));
        assertEquals("ERR Input count must be a positive integer",
                error("AI.MODELEXECUTE", "cnn", "INPUTS", 0, "img", "OUTPUTS", 1, "o"));
        assertEquals("Number of keys given as INPUTS here does not match model definition",
                error("AI.MODELEXECUTE", "cnn", "INPUTS", 2, "img", "img", "OUTPUTS", 1, "o"));
        assertEquals("Number of keys given as OUTPUTS here does not match model definition",
                error("AI.MODELEXECUTE", "cnn", "INPUTS", 1, "img", "OUTPUTS", 2, "o", "p"));
        assertEquals("ERR tensor key is empty or in a different shard",
                error("AI.MODELEXECUTE", "cnn", "INPUTS", 1, "missing", "OUTPUTS", 1, "o"));
        assertEquals("ERR Invalid value for TIMEOUT",
                error("AI.MODELEXECUTE", "cnn", "INPUTS", 1, "img", "OUTPUTS", 1, "o", "TIMEOUT", -5));
        assertEquals("ERR Invalid argument: SOON",
                error("AI.MODELEXECUTE", "cnn", "INPUTS", 1, "img", "OUTPUTS", 1, "o", "SOON", 5));
        Ai.status(c, "AI.MODELSTORE", "onnx-linear", "ONNX", "CPU", "BLOB", Fixtures.model("linear_relu.onnx"));
        Ai.status(c, "AI.TENSORSET", "five", "FLOAT", 2, 5);
        assertEquals("ERR Got invalid dimensions for input: x for the following indices index: 1 Got: 5 Expected: 4"
                + " Please fix either the inputs/outputs or the model.",
                error("AI.MODELEXECUTE", "onnx-linear", "INPUTS", 1, "five", "OUTPUTS", 1, "o"),
                "ONNX Runtime's message whole, the indices included, on one line");
        String wrongDtype = error("AI.MODELEXECUTE", "cnn", "INPUTS", 1, "ids", "OUTPUTS", 1, "o");
        assertTrue(wrongDtype.startsWith("ERR ") && wrongDtype.length() > 10, wrongDtype);
        String wrongRank = error("AI.MODELEXECUTE", "cnn", "INPUTS", 1, "flat", "OUTPUTS", 1, "o");
        assertTrue(wrongRank.startsWith("ERR ") && wrongRank.length() > 10, wrongRank);
        assertEquals(0L, c.sync().exists("o"), "failed runs store nothing");
        assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", "cnn", "INPUTS", 1, "img", "OUTPUTS", 1, "o"));
        assertEquals(List.of(1L, 10L), Ai.array(c, "AI.TENSORGET", "o", "META").get(3));
    }
}
