package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.inferis.backend.Fixtures;
import org.inferis.tensor.Tensor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.FunctionDefLibrary;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/** TF frozen graphs as RedisAI runs them: stored with INPUTS/OUTPUTS, checked, run, batched, timed out, kept. */
class TensorFlowIT {
    @RegisterExtension
    static final RunningServer server = new RunningServer("--threads-per-queue", "1");

    private StatefulRedisConnection<String, String> c;

    @BeforeEach
    void setUp() {
        c = server.connect(ProtocolVersion.RESP2);
        c.sync().flushall();
        c.sync().configSet("model-execution-timeout", "5000");
    }

    private static Object[] store(String key, String file, List<String> inputs, List<String> outputs,
                                  Object... options) {
        List<Object> args = new ArrayList<>(List.of(key, "TF", "CPU"));
        args.addAll(List.of(options));
        args.addAll(List.of("INPUTS", inputs.size()));
        args.addAll(inputs);
        args.addAll(List.of("OUTPUTS", outputs.size()));
        args.addAll(outputs);
        args.addAll(List.of("BLOB", Fixtures.model(file)));
        return args.toArray();
    }

    private String error(String command, Object... args) {
        return assertThrows(RedisCommandExecutionException.class, () -> Ai.status(c, command, args)).getMessage();
    }

    private List<Object> values(String key) {
        return Ai.array(c, "AI.TENSORGET", key, "VALUES");
    }

    @Test
    void theOfficialClientsGraphStoresRunsAndReportsItsNames() {
        assertEquals("OK", Ai.status(c, "AI.MODELSTORE", store("m", "tf_mul.pb", List.of("a", "b"), List.of("mul"),
                "TAG", "v1")));
        Ai.status(c, "AI.TENSORSET", "a", "FLOAT", 2, "VALUES", 2, 3);
        Ai.status(c, "AI.TENSORSET", "b", "FLOAT", 2, "VALUES", 3, 5);
        assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", "m", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "c"));
        assertEquals(List.of("6", "15"), values("c"));
        List<Object> meta = Ai.array(c, "AI.MODELGET", "m", "META");
        assertEquals("TF", meta.get(meta.indexOf("backend") + 1));
        assertEquals(List.of("a", "b"), meta.get(meta.indexOf("inputs") + 1));
        assertEquals(List.of("mul"), meta.get(meta.indexOf("outputs") + 1));
        // the deprecated forms, as redisai-py's and JRedisAI's older calls send them
        assertEquals("OK", Ai.status(c, "AI.MODELSET", "old", "TF", "CPU", "INPUTS", "a", "b", "OUTPUTS", "mul",
                "BLOB", Fixtures.model("tf_mul.pb")));
        assertEquals("OK", Ai.status(c, "AI.MODELRUN", "old", "INPUTS", "a", "b", "OUTPUTS", "d"));
        assertEquals(List.of("6", "15"), values("d"));
        assertTrue(c.sync().info("ai").contains("ai_tf_version:2."), "INFO ai names the loaded engine");
    }

    @Test
    void storeErrorsAreRedisAisAndLeaveTheKeyAsItWas() {
        assertEquals("OK", Ai.status(c, "AI.MODELSTORE", store("m", "tf_mul.pb", List.of("a", "b"), List.of("mul"),
                "TAG", "kept")));
        byte[] graph = Fixtures.model("tf_mul.pb");
        assertEquals("ERR Input node named \"x\" not found in TF graph.",
                error("AI.MODELSTORE", store("m", "tf_mul.pb", List.of("a", "x"), List.of("mul"))));
        assertEquals("ERR Output node named \"sum\" not found in TF graph",
                error("AI.MODELSTORE", store("m", "tf_mul.pb", List.of("a", "b"), List.of("sum"))));
        assertEquals("ERR INPUTS not specified for TF", error("AI.MODELSTORE", "m", "TF", "CPU", "BLOB", graph));
        assertEquals("ERR OUTPUTS not specified for TF",
                error("AI.MODELSTORE", "m", "TF", "CPU", "INPUTS", 2, "a", "b", "BLOB", graph));
        assertEquals("ERR Invalid argument for input_count",
                error("AI.MODELSTORE", "m", "TF", "CPU", "INPUTS", 0, "OUTPUTS", 1, "mul", "BLOB", graph));
        assertEquals("ERR number of model outputs does not match the number of given arguments",
                error("AI.MODELSTORE", "m", "TF", "CPU", "INPUTS", 1, "a", "OUTPUTS", 9, "mul"));
        assertEquals("ERR Insufficient arguments, INPUTS and OUTPUTS not specified",
                error("AI.MODELSET", "m", "TF", "CPU", "BLOB", graph));
        assertEquals("ERR OUTPUTS not specified", error("AI.MODELSET", "m", "TF", "CPU", "INPUTS", "a", "BLOB", graph));
        assertEquals("ERR INPUTS argument should not be specified for this backend", error("AI.MODELSTORE", "m",
                "ONNX", "CPU", "INPUTS", 1, "a", "OUTPUTS", 1, "b", "BLOB", Fixtures.model("add_mul.onnx")));
        assertTrue(error("AI.MODELSTORE", "m", "TFLITE", "CPU", "BLOB", graph)
                .contains("TensorFlow for Java has no TFLite interpreter"));
        assertEquals("Invalid GraphDef", error("AI.MODELSTORE", "m", "TF", "CPU", "INPUTS", 1, "a", "OUTPUTS", 1,
                "mul", "BLOB", "not a graph"), "TF's words, no ERR code, as RedisAI answers");
        assertTrue(error("AI.MODELSTORE", store("m", "tf_unknown_op.pb", List.of("a"), List.of("out")))
                .contains("Op type not registered 'NoSuchOpInTensorFlow'"));
        assertTrue(error("AI.MODELSTORE", store("m", "tf_recursive.pb", List.of("a"), List.of("out")))
                .contains("calls itself"));
        assertEquals("Invalid GraphDef", error("AI.MODELSTORE", store("m", "tf_nested.pb", List.of("a"),
                List.of("out"))));
        List<Object> meta = Ai.array(c, "AI.MODELGET", "m", "META");
        assertEquals("kept", meta.get(meta.indexOf("tag") + 1), "every refused store left the model as it was");
        assertEquals("PONG", c.sync().ping());
    }

    @Test
    void graphsThatOpenFilesAreRefused(@TempDir Path dir) throws Exception {
        Path secret = Files.writeString(dir.resolve("secret.txt"), "what only the server may read");
        Path written = dir.resolve("written.txt");
        GraphDef reads = GraphDef.newBuilder().addNode(input()).addNode(text("path", secret.toString()))
                .addNode(NodeDef.newBuilder().setName("out").setOp("ReadFile").addInput("path")).build();
        FunctionDef writes = FunctionDef.newBuilder()
                .setSignature(OpDef.newBuilder().setName("write").addOutputArg(
                        OpDef.ArgDef.newBuilder().setName("done").setType(DataType.DT_STRING)))
                .addNodeDef(text("path", written.toString()))
                .addNodeDef(NodeDef.newBuilder().setName("write").setOp("WriteFile").addInput("path:output:0")
                        .addInput("path:output:0"))
                .putRet("done", "path:output:0").build();
        GraphDef writesInAFunction = GraphDef.newBuilder().addNode(input()).addNode(NodeDef.newBuilder().setName("out")
                .setOp("write")).setLibrary(FunctionDefLibrary.newBuilder().addFunction(writes)).build();
        assertEquals("OK", Ai.status(c, "AI.MODELSTORE", store("m", "tf_mul.pb", List.of("a", "b"), List.of("mul"),
                "TAG", "kept")));
        for (GraphDef graph : List.of(reads, writesInAFunction, printsTo("file://" + written))) {
            String error = error("AI.MODELSTORE", "m", "TF", "CPU", "INPUTS", 1, "a", "OUTPUTS", 1, "out", "BLOB",
                    graph.toByteArray());
            assertTrue(error.contains("Inferis refuses it"), error);
        }
        assertFalse(Files.exists(written));
        List<Object> meta = Ai.array(c, "AI.MODELGET", "m", "META");
        assertEquals("kept", meta.get(meta.indexOf("tag") + 1));
        assertEquals("OK", Ai.status(c, "AI.MODELSTORE", "p", "TF", "CPU", "INPUTS", 1, "a", "OUTPUTS", 1, "out",
                "BLOB", printsTo("stderr").toByteArray()), "printing to the log is no file access");
    }

    /** A graph that prints a string to the given PrintV2 output stream. */
    private static GraphDef printsTo(String stream) {
        return GraphDef.newBuilder().addNode(input()).addNode(text("text", "printed"))
                .addNode(NodeDef.newBuilder().setName("print").setOp("PrintV2").addInput("text")
                        .putAttr("output_stream", AttrValue.newBuilder().setS(ByteString.copyFromUtf8(stream)).build()))
                .addNode(NodeDef.newBuilder().setName("out").setOp("Identity").addInput("text").addInput("^print")
                        .putAttr("T", AttrValue.newBuilder().setType(DataType.DT_STRING).build()))
                .build();
    }

    /** The FLOAT placeholder a, which the graphs above take and leave unused. */
    private static NodeDef input() {
        return NodeDef.newBuilder().setName("a").setOp("Placeholder")
                .putAttr("dtype", AttrValue.newBuilder().setType(DataType.DT_FLOAT).build()).build();
    }

    /** A string constant. */
    private static NodeDef text(String name, String text) {
        TensorProto value = TensorProto.newBuilder().setDtype(DataType.DT_STRING)
                .setTensorShape(TensorShapeProto.getDefaultInstance())
                .addStringVal(ByteString.copyFromUtf8(text)).build();
        return NodeDef.newBuilder().setName(name).setOp("Const")
                .putAttr("dtype", AttrValue.newBuilder().setType(DataType.DT_STRING).build())
                .putAttr("value", AttrValue.newBuilder().setTensor(value).build()).build();
    }

    @Test
    void aConvNetGivesWhatTensorFlowComputedAndStringsGoThrough() {
        assertEquals("OK", Ai.status(c, "AI.MODELSTORE", store("conv", "tf_conv.pb", List.of("x"),
                List.of("logits"))));
        Tensor x = Fixtures.inputs("tf_conv").get(0);
        byte[] blob = new byte[(int) x.byteSize()];
        x.data().get(blob);
        Ai.status(c, "AI.TENSORSET", "x", "FLOAT", 2, 6, 6, 1, "BLOB", blob);
        assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", "conv", "INPUTS", 1, "x", "OUTPUTS", 1, "y"));
        double[] expected = Fixtures.values(Fixtures.outputs("tf_conv").get(0));
        List<Object> actual = values("y");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], Double.parseDouble((String) actual.get(i)), 1e-4);
        }
        assertEquals("OK", Ai.status(c, "AI.MODELSTORE", store("s", "tf_dtypes.pb", List.of("in_string"),
                List.of("out_string"))));
        Ai.status(c, "AI.TENSORSET", "words", "STRING", 2, "VALUES", "inferis", "tf");
        assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", "s", "INPUTS", 1, "words", "OUTPUTS", 1, "back"));
        assertEquals(List.of("inferis", "tf"), values("back"));
        // INT8 and INT16, which TensorFlow for Java lacks, go through the INT32 casts the graph gains at load
        assertEquals("OK", Ai.status(c, "AI.MODELSTORE", store("narrow", "tf_dtypes.pb", List.of("in_int8", "in_int16"),
                List.of("out_int8", "out_int16"))));
        Ai.status(c, "AI.TENSORSET", "i8", "INT8", 3, "VALUES", -128, 5, 127);
        Ai.status(c, "AI.TENSORSET", "i16", "INT16", 2, "VALUES", -32768, 32767);
        assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", "narrow", "INPUTS", 2, "i8", "i16", "OUTPUTS", 2,
                "o8", "o16"));
        assertEquals(List.of(-128L, 5L, 127L), Ai.array(c, "AI.TENSORGET", "o8", "VALUES"));
        assertEquals(List.of("dtype", "INT16", "shape", List.of(2L)), Ai.array(c, "AI.TENSORGET", "o16", "META"));
        assertEquals(List.of(-32768L, 32767L), Ai.array(c, "AI.TENSORGET", "o16", "VALUES"));
    }

    @Test
    void concurrentClientsAreBatchedIntoOneRun() throws Exception {
        assertEquals("OK", Ai.status(c, "AI.MODELSTORE", store("m", "tf_mul.pb", List.of("a", "b"), List.of("mul"),
                "BATCHSIZE", 8, "MINBATCHSIZE", 4)));
        List<RedisFuture<String>> runs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Ai.status(c, "AI.TENSORSET", "a" + i, "FLOAT", 1, 2, "VALUES", i, i + 1);
            Ai.status(c, "AI.TENSORSET", "b" + i, "FLOAT", 1, 2, "VALUES", 10, 100);
            runs.add(Ai.statusAsync(server.connect(ProtocolVersion.RESP2), "AI.MODELEXECUTE", "m",
                    "INPUTS", 2, "a" + i, "b" + i, "OUTPUTS", 1, "c" + i));
        }
        for (RedisFuture<String> run : runs) {
            assertEquals("OK", run.get(30, TimeUnit.SECONDS));
        }
        for (int i = 0; i < 4; i++) {
            assertEquals(List.of(Integer.toString(10 * i), Integer.toString(100 * (i + 1))), values("c" + i));
        }
        List<Object> info = Ai.array(c, "AI.INFO", "m", "EXTENDED");
        assertEquals(1L, info.get(info.indexOf("batches") + 1));
        assertEquals(4L, info.get(info.indexOf("calls") + 1));
    }

    @Test
    void dagStepsRunTfModels() {
        assertEquals("OK", Ai.status(c, "AI.MODELSTORE", store("m", "tf_mul.pb", List.of("a", "b"), List.of("mul"))));
        List<Object> replies = Ai.array(c, "AI.DAGEXECUTE", "PERSIST", 1, "sq", "|>",
                "AI.TENSORSET", "a", "FLOAT", 2, "VALUES", 3, 4, "|>",
                "AI.MODELEXECUTE", "m", "INPUTS", 2, "a", "a", "OUTPUTS", 1, "sq");
        assertEquals(List.of("OK", "OK"), replies);
        assertEquals(List.of("9", "16"), values("sq"));
    }

    @Test
    void aRunPastTheTimeoutIsStoppedAndTheModelServesOn() {
        assertEquals("OK", Ai.status(c, "AI.MODELSTORE", store("count", "tf_count.pb", List.of("n"),
                List.of("count"))));
        c.sync().configSet("model-execution-timeout", "300");
        Ai.status(c, "AI.TENSORSET", "huge", "INT64", "VALUES", Long.MAX_VALUE);
        assertTrue(error("AI.MODELEXECUTE", "count", "INPUTS", 1, "huge", "OUTPUTS", 1, "out")
                .contains("model-execution-timeout"));
        Await.until(() -> Await.info(c, "ai_abandoned_threads") == 0, "TF ended the run itself, its thread is back");
        Ai.status(c, "AI.TENSORSET", "small", "INT64", "VALUES", 1000);
        assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", "count", "INPUTS", 1, "small", "OUTPUTS", 1, "out"));
        assertEquals(List.of(1000L), Ai.array(c, "AI.TENSORGET", "out", "VALUES"));
        List<Object> info = Ai.array(c, "AI.INFO", "count");
        assertEquals(1L, info.get(info.indexOf("errors") + 1));
    }

    @Test
    void loadBackendAnswersOkOnlyForTheEngineItLoads() {
        assertEquals("ERR error loading backend",
                error("AI.CONFIG", "LOADBACKEND", "TF", "notexist/redisai_tensorflow.so"));
        assertEquals("OK", Ai.status(c, "AI.CONFIG", "LOADBACKEND", "TF", "redisai_tensorflow/redisai_tensorflow.so"));
        assertTrue(c.sync().info("ai").contains("ai_tf_version:"));
        assertEquals("ERR error loading backend", error("AI.CONFIG", "LOADBACKEND", "TFLITE",
                "redisai_tflite/redisai_tflite.so"));
    }
}
