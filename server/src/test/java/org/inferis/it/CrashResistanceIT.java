package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.inferis.backend.Fixtures;
import org.inferis.backend.OnnxProto;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests that once killed the process: dtypes libtorch's bridge aborts on, source nested past its parser's
 * stack, and thousands of crafted model archives and scripts. The server runs in a process of its own, so a crash
 * shows as a server that no longer answers, with its sentinel key, in about the memory it had.
 */
class CrashResistanceIT {
    private static final String SCRIPT = "def f(tensors: List[Tensor], keys: List[str], args: List[str]):\n"
            + "    return tensors[0]\n";
    private static final List<String> DTYPES = List.of("FLOAT", "DOUBLE", "FLOAT16", "BFLOAT16", "INT8", "INT16",
            "INT32", "INT64", "UINT8", "UINT16", "BOOL", "STRING");

    @TempDir
    static Path dir;
    private static SentinelServer server;
    private static StatefulRedisConnection<String, String> c;

    @BeforeAll
    static void start() throws Exception {
        server = SentinelServer.start("--dir", dir.toString(), "--save", "", "--model-execution-timeout", "0");
        c = server.connection();
        TestModels.store(c, "torch", "linear_relu.pt");
        TestModels.store(c, "onnx", "linear_relu.onnx");
        assertEquals("OK", Ai.status(c, "AI.SCRIPTSTORE", "script", "CPU", "ENTRY_POINTS", 1, "f", "SOURCE", SCRIPT));
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static void assertAlive(String after) {
        server.assertAlive(after);
    }

    /** The reply, or the error's text: either is fine as long as the server lives. */
    private static String outcome(String command, Object... args) {
        try {
            return Ai.status(c, command, args);
        } catch (RedisException e) {
            return "ERR " + e.getMessage();
        }
    }

    private static Object[] values(String dtype) {
        Object[] values = new Object[8];
        for (int i = 0; i < values.length; i++) {
            values[i] = dtype.equals("STRING") ? "s" + i : i % 2;
        }
        return values;
    }

    @Test
    void everyDtypeReachesEveryEngineOnlyInAFormItSurvives() {
        for (String dtype : DTYPES) {
            List<Object> set = new ArrayList<>(List.of("x", dtype, 2, 4, "VALUES"));
            set.addAll(List.of(values(dtype)));
            assertEquals("OK", Ai.status(c, "AI.TENSORSET", set.toArray()), dtype);
            for (String model : List.of("torch", "onnx")) {
                String reply = outcome("AI.MODELEXECUTE", model, "INPUTS", 1, "x", "OUTPUTS", 1, "y");
                assertAlive(dtype + " into " + model + ": " + reply);
            }
            String script = outcome("AI.SCRIPTEXECUTE", "script", "f", "INPUTS", 1, "x", "OUTPUTS", 1, "z");
            assertAlive(dtype + " into a script: " + script);
            List<Object> dag = new ArrayList<>(List.of("ROUTING", "x", "|>", "AI.TENSORSET", "d", dtype, 2, 4, "VALUES"));
            dag.addAll(List.of(values(dtype)));
            dag.addAll(List.of("|>", "AI.MODELEXECUTE", "torch", "INPUTS", 1, "d", "OUTPUTS", 1, "e",
                    "|>", "AI.SCRIPTEXECUTE", "script", "f", "INPUTS", 1, "d", "OUTPUTS", 1, "g"));
            String dagReply;
            try {
                dagReply = String.valueOf(Ai.array(c, "AI.DAGEXECUTE", dag.toArray()));
            } catch (RedisException e) {
                dagReply = e.getMessage();
            }
            assertAlive(dtype + " through a DAG: " + dagReply);
            if (List.of("BFLOAT16", "INT16", "UINT16").contains(dtype)) {
                assertTrue(outcome("AI.MODELEXECUTE", "torch", "INPUTS", 1, "x", "OUTPUTS", 1, "y")
                        .contains("the TORCH backend does not take " + dtype), dtype);
                assertTrue(script.contains("does not take " + dtype), script);
            }
        }
    }

    @Test
    void outputsOfTypesTheBridgeLacksAreRefusedClearly() {
        assertEquals("OK", Ai.status(c, "AI.TENSORSET", "in", "FLOAT", 2, "VALUES", 1.5, -2));
        for (String dtype : List.of("bfloat16", "int16")) {
            TestModels.store(c, "to_" + dtype, "to_" + dtype + ".pt");
            String reply = outcome("AI.MODELEXECUTE", "to_" + dtype, "INPUTS", 1, "in", "OUTPUTS", 1, "out");
            assertAlive("a model returning " + dtype);
            assertTrue(reply.contains("cannot return a tensor of type"), reply);
        }
        TestModels.store(c, "to_float16", "to_float16.pt");
        assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", "to_float16", "INPUTS", 1, "in", "OUTPUTS", 1, "half"));
        assertEquals(List.of(1.5, -2.0), Ai.array(c, "AI.TENSORGET", "half", "VALUES")); // RESP3 doubles
    }

    @Test
    void operatorsThatTrustTheirArgumentsAreRefused() {
        assertEquals("OK", Ai.status(c, "AI.TENSORSET", "four", "FLOAT", 4, "VALUES", 1, 2, 3, 4));
        // each of these read or wrote far outside a tensor or divided by 0: the first, the last five and the model
        // killed the process
        for (String body : List.of("torch._reshape_alias(tensors[0], [4], [100000000])",
                "torch.sparse_coo_tensor(torch.tensor([[100000000]]), torch.tensor([1.0]), [4]).to_dense()",
                "torch._sparse_coo_tensor_unsafe(torch.tensor([[100000000]]), torch.tensor([1.0]), [4]).to_dense()",
                "tensors[0].to_sparse()._indices().fill_(100000000)",
                "torch.segment_reduce(tensors[0], \"sum\", lengths=torch.tensor([100000000]), unsafe=True)",
                "torch.segment_reduce(tensors[0], \"sum\", offsets=torch.tensor([0, 100000000]))",
                "torch.ctc_loss(tensors[0].view(4, 1, 1).log_softmax(2), torch.tensor([[100000000, 5]]), [4], [2])",
                "torch.native_channel_shuffle(tensors[0].view(1, 4, 1, 1), 0)",
                "torch.linalg_ldl_solve(tensors[0].view(2, 2), torch.tensor([100000000, 1]).int(),"
                        + " tensors[0][:2].view(2, 1))")) {
            String reply = outcome("AI.SCRIPTSTORE", "unsafe", "CPU", "ENTRY_POINTS", 1, "f", "SOURCE",
                    "def f(tensors: List[Tensor], keys: List[str], args: List[str]):\n    return " + body + "\n");
            assertTrue(reply.contains("Inferis refuses it"), body + ": " + reply);
        }
        // a sparse buffer whose index lies outside its size, rebuilt from the archive's pickle unchecked
        String model = outcome("AI.MODELSTORE", "unsafe", "TORCH", "CPU", "BLOB", Fixtures.model("sparse_buffer.pt"));
        assertTrue(model.contains("holds a sparse tensor"), model);
        // ONNX Runtime's contrib ExpandDims with an axis far past the input's rank, which crashed the store
        byte[] axis = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(100_000).array();
        byte[] contrib = OnnxProto.model(
                List.of(OnnxProto.node("ExpandDims", "com.microsoft", List.of("x", "axis"), List.of("y"))),
                List.of(OnnxProto.tensor("axis", OnnxProto.INT32).bytes(9, axis)), OnnxProto.FLOAT, new long[] {4},
                new OnnxProto.Proto().string(1, "com.microsoft").varint(2, 1));
        String onnx = outcome("AI.MODELSTORE", "unsafe", "ONNX", "CPU", "BLOB", contrib);
        assertAlive("an ONNX contrib operator");
        assertTrue(onnx.contains("the domain 'com.microsoft'"), onnx);
        assertEquals(0L, c.sync().exists("unsafe"));
        assertAlive("operators that trust their arguments");
    }

    @Test
    void publicOperatorsGivenPositionsPastATensorAnswerLibtorchsError() {
        assertEquals("OK", Ai.status(c, "AI.TENSORSET", "four", "FLOAT", 4, "VALUES", 1, 2, 3, 4));
        // public operators, allowed in scripts, that take strides, offsets or indices: libtorch 2.7.1 checks each
        Map<String, String> checks = new LinkedHashMap<>();
        checks.put("torch.as_strided(x, [4], [100000000])", "out of bounds for storage of size 16");
        checks.put("torch.searchsorted(x, x, sorter=torch.tensor([100000000, 1, 2, 3]))", "sorter index out of range");
        checks.put("torch.embedding_bag(x.view(4, 1), torch.tensor([0, 1]), torch.tensor([0, 100000000]), False, 0,"
                + " False, None, False)[0]", "offsets[-1] can not be greater than input's length");
        checks.put("x.put_(torch.tensor([100000000]), torch.tensor([1.0]))", "tried to access index 100000000");
        checks.put("torch.take(x, torch.tensor([-100000000]))", "tried to access index -100000000");
        checks.put("x.index_put_([torch.tensor([100000000])], torch.tensor([1.0]))",
                "index 100000000 is out of bounds");
        for (Map.Entry<String, String> check : checks.entrySet()) {
            assertEquals("OK", Ai.status(c, "AI.SCRIPTSTORE", "positions", "CPU", "ENTRY_POINTS", 1, "f", "SOURCE",
                    "def f(tensors: List[Tensor], keys: List[str], args: List[str]):\n    x = tensors[0]\n    return "
                            + check.getKey() + "\n"));
            String reply = outcome("AI.SCRIPTEXECUTE", "positions", "f", "INPUTS", 1, "four", "OUTPUTS", 1, "out");
            assertAlive(check.getKey());
            assertTrue(reply.startsWith("ERR") && reply.contains(check.getValue()), check.getKey() + ": " + reply);
        }
        assertEquals(List.of(1.0, 2.0, 3.0, 4.0), Ai.array(c, "AI.TENSORGET", "four", "VALUES"));
        assertEquals(0L, c.sync().exists("out"));
    }

    @Test
    void integerDivisorsAndPositionsOnnxRuntimeTrustsAreRefusedOrCheckedOnEveryRun() {
        Map<String, String> refusals = Map.ofEntries(
                Map.entry("div_by_zero.onnx", "Div divides by a constant holding 0"),
                Map.entry("div_computed.onnx", "Div divides integers by the output of Add"),
                Map.entry("max_unpool.onnx", "MaxUnpool is refused"),
                Map.entry("roi_align.onnx", "RoiAlign is refused"),
                Map.entry("conv_stride_zero.onnx", "Conv has a stride of 0"),
                Map.entry("group_norm_no_groups.onnx", "GroupNormalization has num_groups 0"),
                Map.entry("col2im_negative_pads.onnx", "Col2Im has a pad of -5"),
                Map.entry("conv_negative_pads.onnx", "Conv has a pad of -1"),
                Map.entry("trilu_least_k.onnx", "Trilu has a constant k of " + Long.MIN_VALUE),
                // found by a fuzzer of single-operator models: each killed the server as it loaded
                Map.entry("conv_transpose_group_zero.onnx", "ConvTranspose has group 0"),
                Map.entry("depth_to_space_huge_block.onnx", "DepthToSpace has a blocksize of " + (1L << 62)),
                Map.entry("gather_nd_negative_batch.onnx", "GatherND has batch_dims -436"),
                Map.entry("max_roi_pool_one_dim.onnx", "MaxRoiPool needs a pooled_shape of 2 values"),
                Map.entry("one_hot_empty_depth.onnx", "OneHot has a constant depth that does not hold one value"),
                Map.entry("conv_transpose_input_weights.onnx", "ConvTranspose takes its weights from an input"),
                Map.entry("col2im_input_block.onnx", "Col2Im takes a block_shape that is not a constant"));
        Ai.status(c, "AI.TENSORSET", "ints", "INT32", 2, "VALUES", 7, 9);
        Ai.status(c, "AI.TENSORSET", "zeros", "INT32", 2, "VALUES", 0, 0);
        Ai.status(c, "AI.TENSORSET", "image", "FLOAT", 1, 1, 1, 1, "VALUES", 1);
        Ai.status(c, "AI.TENSORSET", "images", "FLOAT", 1, 2, 2, 2);
        Ai.status(c, "AI.TENSORSET", "image4x4", "FLOAT", 1, 1, 4, 4);
        Ai.status(c, "AI.TENSORSET", "three-by-three", "FLOAT", 3, 3, "VALUES", 1, 2, 3, 4, 5, 6, 7, 8, 9);
        Ai.status(c, "AI.TENSORSET", "columns", "FLOAT", 1, 4, 9);
        Map<String, List<Object>> feeds = Map.of("div_by_zero.onnx", List.of(1, "ints"),
                "div_computed.onnx", List.of(2, "ints", "zeros"), "group_norm_no_groups.onnx", List.of(1, "images"),
                "trilu_least_k.onnx", List.of(1, "three-by-three"), "col2im_negative_pads.onnx", List.of(1, "columns"),
                "conv_negative_pads.onnx", List.of(1, "image4x4"));
        refusals.forEach((file, words) -> {
            String reply = outcome("AI.MODELSTORE", "trusting", "ONNX", "CPU", "BLOB", Fixtures.model(file));
            if (reply.equals("OK")) { // as before the checks: the run is where some of these killed the server
                List<Object> run = new ArrayList<>(List.of("trusting", "INPUTS"));
                run.addAll(feeds.getOrDefault(file, List.of(1, "image")));
                run.addAll(List.of("OUTPUTS", 1, "y"));
                outcome("AI.MODELEXECUTE", run.toArray());
            }
            assertAlive(file);
            assertTrue(reply.contains("ERR the model's " + words), file + ": " + reply);
        });
        assertEquals(0L, c.sync().exists("trusting"));
        // a convolution's kernel_shape added from its weights, which ONNX Runtime checks against its input
        String refused = outcome("AI.MODELSTORE", "trusting", "ONNX", "CPU", "BLOB",
                Fixtures.model("conv_1d_by_2d.onnx"));
        assertAlive("a Conv of a 1-D signal by a 2-D kernel");
        assertTrue(refused.contains("kernel_shape has incorrect size"), refused);
        // a divisor that is a model input: every run's values are checked
        TestModels.store(c, "divide", "int_divide.onnx");
        Ai.status(c, "AI.TENSORSET", "divisors", "INT32", 2, "VALUES", 2, 0);
        String reply = outcome("AI.MODELEXECUTE", "divide", "INPUTS", 2, "ints", "divisors", "OUTPUTS", 1, "q");
        assertAlive("an integer division by a 0 a client sent");
        assertTrue(reply.contains("ERR input b holds a 0 or -1"), reply);
        Ai.status(c, "AI.TENSORSET", "divisors", "INT32", 2, "VALUES", 2, -3);
        assertEquals("OK", outcome("AI.MODELEXECUTE", "divide", "INPUTS", 2, "ints", "divisors", "OUTPUTS", 1, "q"));
        assertEquals(List.of(3L, -3L), Ai.array(c, "AI.TENSORGET", "q", "VALUES"));
        // a Trilu's k that is a model input: every run's k is checked (one near -2^63 corrupted the heap)
        TestModels.store(c, "upper", "trilu.onnx");
        Ai.status(c, "AI.TENSORSET", "k", "INT64", "VALUES", Long.MIN_VALUE);
        reply = outcome("AI.MODELEXECUTE", "upper", "INPUTS", 2, "three-by-three", "k", "OUTPUTS", 1, "upper-part");
        assertAlive("a Trilu k of -2^63 a client sent");
        assertTrue(reply.contains("ERR input k holds a value beyond ±2^62, which the model's Trilu takes as its k"),
                reply);
        assertEquals(0L, c.sync().exists("upper-part"));
        Ai.status(c, "AI.TENSORSET", "k", "INT64", "VALUES", 1);
        assertEquals("OK", outcome("AI.MODELEXECUTE", "upper", "INPUTS", 2, "three-by-three", "k", "OUTPUTS", 1,
                "upper-part"));
        assertEquals(List.of(0.0, 2.0, 3.0, 0.0, 0.0, 6.0, 0.0, 0.0, 0.0), Ai.array(c, "AI.TENSORGET", "upper-part",
                "VALUES").stream().map(value -> Double.valueOf(String.valueOf(value))).toList());
        // divisions of floating-point values, and of a shape by a constant, as exporters write them, still run
        TestModels.store(c, "normalize", "normalize.onnx");
        Ai.status(c, "AI.TENSORSET", "row", "FLOAT", 1, 4, "VALUES", 1, 2, 3, 4);
        assertEquals("OK", outcome("AI.MODELEXECUTE", "normalize", "INPUTS", 1, "row", "OUTPUTS", 1, "share"));
        assertEquals(List.of("0.1", "0.2", "0.3", "0.4"), Ai.array(c, "AI.TENSORGET", "share", "VALUES").stream()
                .map(value -> String.format("%.1f", Double.parseDouble(String.valueOf(value)))).toList());
        TestModels.store(c, "reshape", "shape_divide.onnx");
        assertEquals("OK", outcome("AI.MODELEXECUTE", "reshape", "INPUTS", 1, "row", "OUTPUTS", 1, "square"));
        assertEquals(List.of("dtype", "FLOAT", "shape", List.of(1L, 2L, 2L)),
                Ai.array(c, "AI.TENSORGET", "square", "META"));
    }

    /**
     * ONNX Einsums whose ellipses stand for different numbers of dimensions, as PyTorch exports a weight times a batch:
     * each of these killed the server as ONNX Runtime loaded it; they load, and give NumPy's broadcast product. A 1-D
     * operand sent where the equation wants two dimensions killed it on the run; it is refused, as is a model that
     * declares one.
     */
    @Test
    void einsumOperandsAreGuardedAndEllipsesBroadcast() {
        TestModels.store(c, "einsum-product", "einsum_product.onnx");
        Ai.status(c, "AI.TENSORSET", "row", "FLOAT", 4, "VALUES", 1, 2, 3, 4);
        Ai.status(c, "AI.TENSORSET", "four-by-two", "FLOAT", 4, 2, "VALUES", 1, 0, 0, 1, 1, 0, 0, 1);
        String reply = outcome("AI.MODELEXECUTE", "einsum-product", "INPUTS", 2, "row", "four-by-two", "OUTPUTS", 1,
                "p");
        assertAlive("a 1-D operand of ij,jk->ik");
        assertTrue(reply.contains("an operand of Einsum 1 (unnamed) has fewer dimensions than its letters"), reply);
        assertEquals(0L, c.sync().exists("p"));
        assertEquals(List.of(1.0, 2.0, 3.0, 4.0), Ai.array(c, "AI.TENSORGET", "row", "VALUES"), "the input is intact");
        Ai.status(c, "AI.TENSORSET", "one-by-four", "FLOAT", 1, 4, "VALUES", 1, 2, 3, 4);
        assertEquals("OK", outcome("AI.MODELEXECUTE", "einsum-product", "INPUTS", 2, "one-by-four", "four-by-two",
                "OUTPUTS", 1, "p"));
        assertEquals(List.of(4.0, 6.0), Ai.array(c, "AI.TENSORGET", "p", "VALUES"));
        reply = outcome("AI.MODELSTORE", "declared", "ONNX", "CPU", "BLOB", Fixtures.model("einsum_short_rank.onnx"));
        assertAlive("a model declaring a 1-D operand of ij,jk->ik");
        assertTrue(reply.contains("an operand of Einsum 1 (unnamed) has fewer dimensions than its letters"), reply);
        assertEquals(0L, c.sync().exists("declared"));

        Object[] x = new Object[5 * 4 * 2];
        for (int i = 0; i < x.length; i++) {
            x[i] = i % 7 - 3;
        }
        List<Object> set = new ArrayList<>(List.of("x", "FLOAT", 5, 4, 2, "VALUES"));
        set.addAll(List.of(x));
        Ai.status(c, "AI.TENSORSET", set.toArray());
        Ai.status(c, "AI.TENSORSET", "yes", "BOOL", "VALUES", 1);
        List<Double> expected = new ArrayList<>(); // einsum("...ij,...jk->...ik", w, x), w[i][j] = (4 i + j) / 10
        for (int n = 0; n < 5; n++) {
            for (int i = 0; i < 3; i++) {
                for (int k = 0; k < 2; k++) {
                    double sum = 0;
                    for (int j = 0; j < 4; j++) {
                        sum += (4 * i + j) / 10.0 * (int) x[(n * 4 + j) * 2 + k];
                    }
                    expected.add(Math.round(sum * 1000) / 1000.0);
                }
            }
        }
        Map<String, List<Object>> inputs = Map.of("einsum_broadcast.onnx", List.of(1, "x"),
                "einsum_in_function.onnx", List.of(1, "x"), "einsum_in_branch.onnx", List.of(2, "yes", "x"));
        inputs.forEach((file, feed) -> {
            byte[] blob = Fixtures.model(file);
            String stored = outcome("AI.MODELSTORE", "batched", "ONNX", "CPU", "BLOB", blob);
            assertAlive(file);
            assertEquals("OK", stored, file);
            List<Object> run = new ArrayList<>(List.of("batched", "INPUTS"));
            run.addAll(feed);
            run.addAll(List.of("OUTPUTS", 1, "product"));
            assertEquals("OK", outcome("AI.MODELEXECUTE", run.toArray()), file);
            assertEquals(List.of("dtype", "FLOAT", "shape", List.of(5L, 3L, 2L)),
                    Ai.array(c, "AI.TENSORGET", "product", "META"), file);
            assertEquals(expected, Ai.array(c, "AI.TENSORGET", "product", "VALUES").stream()
                    .map(value -> Math.round(Double.parseDouble(String.valueOf(value)) * 1000) / 1000.0).toList(),
                    file);
            assertTrue(java.util.Arrays.equals(blob, Ai.bytes(c, "AI.MODELGET", "batched", "BLOB")),
                    file + ": AI.MODELGET gives back the bytes stored");
        });
    }

    /**
     * Runs ONNX Runtime's kernels could not take, made of what a client sent: a TopK of an empty slice (killed the
     * server) and a dot product of vectors of different lengths (read past the second: other memory came back, or
     * with an empty one the server died), and a GatherND of a scalar index to a model that declares no shapes (killed
     * it). Each is answered with an error, and stores nothing; the same models' other runs give their values.
     */
    @Test
    void runsOfEmptyOrMismatchedOperandsAreRefused() {
        TestModels.store(c, "top", "top_k_of_nothing.onnx");
        Ai.status(c, "AI.TENSORSET", "scores", "FLOAT", 2, 3, "VALUES", 1, 5, 3, 4, 2, 6);
        Ai.status(c, "AI.TENSORSET", "one", "INT64", 1, "VALUES", 1);
        Ai.status(c, "AI.TENSORSET", "zero", "INT64", 1, "VALUES", 0);
        String reply = outcome("AI.MODELEXECUTE", "top", "INPUTS", 3, "scores", "one", "one", "OUTPUTS", 1, "best");
        assertAlive("a TopK of an empty slice");
        assertTrue(reply.contains("an input of TopK 1 (unnamed) is empty"), reply);
        assertEquals(0L, c.sync().exists("best"));
        assertEquals("OK", outcome("AI.MODELEXECUTE", "top", "INPUTS", 3, "scores", "zero", "one", "OUTPUTS", 1,
                "best"));
        assertEquals(List.of(5.0), Ai.array(c, "AI.TENSORGET", "best", "VALUES"));
        TestModels.store(c, "dot", "dot_product.onnx");
        Ai.status(c, "AI.TENSORSET", "three", "FLOAT", 3, "VALUES", 1, 2, 3);
        Ai.status(c, "AI.TENSORSET", "two", "FLOAT", 2, "VALUES", 1, 1);
        reply = outcome("AI.MODELEXECUTE", "dot", "INPUTS", 2, "three", "two", "OUTPUTS", 1, "product");
        assertAlive("a dot product of a [3] and a [2]");
        assertTrue(reply.contains("MatMul 1 (unnamed) multiplies vectors of different lengths"), reply);
        assertEquals(0L, c.sync().exists("product"));
        assertEquals("OK", outcome("AI.MODELEXECUTE", "dot", "INPUTS", 2, "three", "three", "OUTPUTS", 1,
                "product"));
        assertEquals(List.of(14.0), Ai.array(c, "AI.TENSORGET", "product", "VALUES"));
        // an input of too few dimensions, which the model does not declare: a scalar index killed the server
        TestModels.store(c, "gather", "gather_nd_any_ranks.onnx");
        Ai.status(c, "AI.TENSORSET", "index", "INT64", "VALUES", 1);
        reply = outcome("AI.MODELEXECUTE", "gather", "INPUTS", 2, "three", "index", "OUTPUTS", 1, "picked");
        assertAlive("a GatherND of a scalar index");
        assertTrue(reply.contains("input 1 of GatherND 1 (unnamed) needs 1 or more dimensions"), reply);
        assertEquals(0L, c.sync().exists("picked"));
        Ai.status(c, "AI.TENSORSET", "index", "INT64", 1, "VALUES", 1);
        assertEquals("OK", outcome("AI.MODELEXECUTE", "gather", "INPUTS", 2, "three", "index", "OUTPUTS", 1,
                "picked"));
        assertEquals(List.of(2.0), Ai.array(c, "AI.TENSORGET", "picked", "VALUES"));
        // batch dimensions that differ (divided by), and a pool's input 2 dimensions short of its kernel (aborted)
        TestModels.store(c, "batched-gather", "gather_nd_batches.onnx");
        Ai.status(c, "AI.TENSORSET", "rows", "INT32", 2, 1, 3, "VALUES", 1, 2, 3, 4, 5, 6);
        Ai.status(c, "AI.TENSORSET", "one-batch", "INT64", 1, 1, "VALUES", Integer.MIN_VALUE);
        reply = outcome("AI.MODELEXECUTE", "batched-gather", "INPUTS", 2, "rows", "one-batch", "OUTPUTS", 1, "picked");
        assertAlive("a GatherND of 2 batches by 1");
        assertTrue(reply.contains("the batch dimensions of the inputs of GatherND 1 (unnamed) differ"), reply);
        Ai.status(c, "AI.TENSORSET", "two-batches", "INT64", 2, 1, "VALUES", 0, 0);
        assertEquals("OK", outcome("AI.MODELEXECUTE", "batched-gather", "INPUTS", 2, "rows", "two-batches",
                "OUTPUTS", 1, "picked"));
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), Ai.array(c, "AI.TENSORGET", "picked", "VALUES"));
        TestModels.store(c, "pool", "max_pool_any_rank.onnx");
        Ai.status(c, "AI.TENSORSET", "image", "DOUBLE", 1, 3, 4, 4);
        reply = outcome("AI.MODELEXECUTE", "pool", "INPUTS", 1, "image", "OUTPUTS", 1, "pooled");
        assertAlive("a MaxPool of a 4-D input by a 4-D kernel");
        assertTrue(reply.contains("input 0 of MaxPool 1 (unnamed) needs 6 dimensions"), reply);
        Ai.status(c, "AI.TENSORSET", "volume", "DOUBLE", 1, 1, 1, 1, 1, 2, "VALUES", 3, 5);
        reply = outcome("AI.MODELEXECUTE", "pool", "INPUTS", 1, "volume", "OUTPUTS", 1, "pooled");
        assertTrue(reply.contains("Unsupported pooling size"), "6 dimensions reach the kernel, which answers: "
                + reply);
        assertAlive("a MaxPool of a 6-D input");
    }

    @Test
    void tensorFlowOpsThatAbortOnWhatTheyAreGivenAreRefused() {
        Ai.status(c, "AI.TENSORSET", "floats", "FLOAT", 2, "VALUES", 1, 2);
        Ai.status(c, "AI.TENSORSET", "image", "UINT8", 2, 2, 1, "VALUES", 1, 2, 3, 4);
        Ai.status(c, "AI.TENSORSET", "no-rows", "INT32", 1, "VALUES", 0);
        // a MaxPoolGradWithArgmax whose argmax lies past its input; an EncodePng of the image's first 0 rows: each
        // failed a TensorFlow CHECK, which aborts the process
        assertRefusedBeforeItAborts("tf_pool_grad.pb", "is a MaxPoolGradWithArgmax, a gradient op",
                List.of(1, "x", "OUTPUTS", 1, "y"), List.of(1, "floats"));
        assertRefusedBeforeItAborts("tf_encode_png.pb", "is a EncodePng, whose kernel aborts",
                List.of(2, "image", "rows", "OUTPUTS", 1, "png"), List.of(2, "image", "no-rows"));
        // a MaxPool3D whose window of 2^90 elements overflowed TensorFlow's arithmetic
        assertRefusedBeforeItAborts("tf_huge_window.pb", "whose ksize spans more than 2^31 elements",
                List.of(1, "x", "OUTPUTS", 1, "y"), List.of(1, "floats"));
        // what a probe of some 490 crafted single-op graphs found: a CHECK, an assertion or a crash in each
        Map<String, String> refusals = Map.ofEntries(
                Map.entry("tf_gather_batch_dims.pb", "is a GatherV2, with batch_dims 2"),
                Map.entry("tf_fft_zero.pb", "is a RFFT2D, whose fft_length holds a 0"),
                Map.entry("tf_block_lstm.pb", "is a BlockLSTM, whose kernel slices its input to seq_len_max"),
                Map.entry("tf_unbatch.pb", "is a Unbatch, whose kernel trusts the batch index"),
                Map.entry("tf_boosted_trees.pb", "is a BoostedTreesAggregateStats, a boosted trees op"),
                Map.entry("tf_unigram_sampler.pb", "is a LearnedUnigramCandidateSampler, with range_max 1099511627776"),
                Map.entry("tf_fused_matmul.pb", "is a _FusedMatMul, an op TensorFlow keeps for its own rewrites"),
                Map.entry("tf_dataset.pb", "a tf.data op: input pipelines reached kernels that abort the process"),
                Map.entry("tf_abort.pb", "is a Abort, whose kernel ends the process"),
                Map.entry("tf_split_outputs.pb", "is a Split with num_split 1073741824: more than 1048576 inputs"),
                Map.entry("tf_constant_fill.pb", "constants (up to node 'fill0') expand to more than 1073741824 bytes"));
        refusals.forEach((file, words) -> assertRefusedBeforeItAborts(file, words,
                List.of(1, "x", "OUTPUTS", 1, "y"), List.of(1, "floats")));
        // an FFT of constant, non-zero lengths runs
        Ai.status(c, "AI.MODELSTORE", "fft", "TF", "CPU", "INPUTS", 1, "x", "OUTPUTS", 1, "y", "BLOB",
                Fixtures.model("tf_fft.pb"));
        Ai.status(c, "AI.TENSORSET", "signal", "FLOAT", 4, "VALUES", 1, 2, 3, 4);
        assertEquals("OK", outcome("AI.MODELEXECUTE", "fft", "INPUTS", 1, "signal", "OUTPUTS", 1, "magnitudes"));
        assertEquals(List.of("10.00", "2.83", "2.00"), Ai.array(c, "AI.TENSORGET", "magnitudes", "VALUES").stream()
                .map(value -> String.format("%.2f", Double.parseDouble(String.valueOf(value)))).toList());
    }

    /**
     * 2 GiB of strings made from two constants (AsString with a width of 2^30): Grappler's constant folding computed
     * them as the first run started and wrote them back into the graph, where a CHECK past 2 GiB aborted the process.
     * With folding off they are the run's own work, and their lengths come back.
     */
    @Test
    void tensorFlowComputesConstantSubgraphsInTheRunRatherThanFoldingThem() {
        Ai.status(c, "AI.MODELSTORE", "constant-strings", "TF", "CPU", "INPUTS", 1, "x", "OUTPUTS", 1, "y", "BLOB",
                Fixtures.model("tf_constant_strings.pb"));
        Ai.status(c, "AI.TENSORSET", "unused", "FLOAT", 1, "VALUES", 0);
        String reply = outcome("AI.MODELEXECUTE", "constant-strings", "INPUTS", 1, "unused", "OUTPUTS", 1, "lengths");
        assertAlive("2 GiB of strings from constants");
        assertEquals("OK", reply);
        assertEquals(List.of(1L << 30, 1L << 30), Ai.array(c, "AI.TENSORGET", "lengths", "VALUES"));
    }

    /**
     * Lists, TensorArrays and sparse rows sized by a run's input (tf_sizes.pb, one output for each op that sizes a
     * std::vector): 2^30 elements (2^40 rows) threw std::bad_alloc out of TensorFlow's kernel, which aborted the
     * process. Each run past 2^24 fails with the check's words, and the same graph with a small size still gives its
     * size, in a function too.
     */
    @Test
    void tensorFlowSizesPastTheLimitFailTheRunAndSmallOnesRun() {
        Map<String, Long> extra = Map.of("set_item", 1L, "scatter", 1L, "scatter_existing", 1L,
                "tensor_array_write", 1L, "tensor_array_scatter", 1L); // an index n makes n + 1 elements
        Ai.status(c, "AI.TENSORSET", "sixteen", "FLOAT", 1, "VALUES", 16);
        for (String output : List.of("reserve", "resize", "set_item", "scatter", "scatter_num_elements",
                "scatter_existing", "tensor_array", "tensor_array_write", "tensor_array_scatter",
                "reserve_in_function", "rows")) {
            long huge = output.equals("rows") ? 1L << 40 : 1L << 30;
            Ai.status(c, "AI.TENSORSET", "huge", "FLOAT", 1, "VALUES", huge);
            assertEquals("OK", Ai.status(c, "AI.MODELSTORE", "sizes", "TF", "CPU", "INPUTS", 1, "x", "OUTPUTS", 1,
                    output, "BLOB", Fixtures.model("tf_sizes.pb")), output);
            String reply = outcome("AI.MODELEXECUTE", "sizes", "INPUTS", 1, "huge", "OUTPUTS", 1, "size");
            assertAlive(output + " of " + huge + " elements");
            assertTrue(reply.contains("must stay within 16777216 elements in Inferis")
                    && reply.contains("[" + huge + "]"), output + ": " + reply);
            assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", "sizes", "INPUTS", 1, "sixteen", "OUTPUTS", 1, "size"),
                    output);
            List<Object> size = Ai.array(c, "AI.TENSORGET", "size", "VALUES");
            assertEquals(1, size.size(), output);
            assertEquals(16 + extra.getOrDefault(output, 0L), Double.parseDouble(String.valueOf(size.get(0))), output);
        }
    }

    /** Stores a TF graph (INPUTS ...), and runs it on the given inputs if stored, as before the checks. */
    private static void assertRefusedBeforeItAborts(String file, String words, List<Object> io, List<Object> feeds) {
        List<Object> store = new ArrayList<>(List.of("aborting", "TF", "CPU", "INPUTS"));
        store.addAll(io);
        store.addAll(List.of("BLOB", Fixtures.model(file)));
        String reply = outcome("AI.MODELSTORE", store.toArray());
        if (reply.equals("OK")) { // the run is where it killed the server
            List<Object> run = new ArrayList<>(List.of("aborting", "INPUTS"));
            run.addAll(feeds);
            run.addAll(List.of("OUTPUTS", 1, "out"));
            outcome("AI.MODELEXECUTE", run.toArray());
        }
        assertAlive(file);
        assertTrue(reply.contains(words), file + ": " + reply);
        assertEquals(0L, c.sync().exists("aborting"));
    }

    @Test
    void deeplyNestedScriptsAreRefusedBeforeLibtorchParsesThem() {
        String deep = nestedScript(1000);
        assertTrue(deep.length() < 2100, "a 2 KB request");
        String reply = outcome("AI.SCRIPTSTORE", "deep", "CPU", "ENTRY_POINTS", 1, "f", "SOURCE", deep);
        assertAlive("a script nested 1000 deep");
        assertTrue(reply.contains("nested too deeply: more than 200 nested brackets"), reply);
        assertEquals(0L, c.sync().exists("deep"));
        assertEquals("OK", Ai.status(c, "AI.SCRIPTSTORE", "within", "CPU", "ENTRY_POINTS", 1, "f", "SOURCE",
                nestedScript(199)), "the limit itself is accepted: 199 parentheses and the index's bracket");
        // no brackets, but libtorch recurses once per unary minus: the loader thread's large stack takes it
        String unary = "def f(tensors: List[Tensor], keys: List[str], args: List[str]):\n    return "
                + "- ".repeat(20_000) + "tensors[0]\n";
        String unaryReply = outcome("AI.SCRIPTSTORE", "unary", "CPU", "ENTRY_POINTS", 1, "f", "SOURCE", unary);
        assertAlive("a script with 20,000 unary minus signs: " + unaryReply);
    }

    private static String nestedScript(int depth) {
        return "def f(tensors: List[Tensor], keys: List[str], args: List[str]):\n    return "
                + "(".repeat(depth) + "tensors[0]" + ")".repeat(depth) + "\n";
    }

    @Test
    void aModelArchiveWithDeeplyNestedCodeIsRefused() throws Exception {
        byte[] model = withCode(Fixtures.model("linear_relu.pt"),
                code -> code + "\ndef deep(x: Tensor) -> Tensor:\n  return " + "(".repeat(500) + "x" + ")".repeat(500)
                        + "\n");
        String reply = outcome("AI.MODELSTORE", "deep", "TORCH", "CPU", "BLOB", model);
        assertAlive("a model archive nested 500 deep");
        assertTrue(reply.contains("nested too deeply"), reply);
        assertEquals(0L, c.sync().exists("deep"));
    }

    /**
     * Seeded fuzz: thousands of mutations of the fixtures (deep nesting, huge constants, truncated, flipped,
     * duplicated or missing archive entries, bad pickles and protobufs, generated scripts), each stored; the
     * server must answer, keep the sentinel and end near the memory it started with.
     */
    @Test
    void thousandsOfCraftedModelsAndScriptsLeaveTheServerAsItWas() throws Exception {
        Random random = new Random(13);
        List<byte[]> torchModels = List.of(Fixtures.model("linear_relu.pt"), Fixtures.model("add_mul.pt"),
                Fixtures.model("multi_output.pt"));
        List<byte[]> onnxModels = List.of(Fixtures.model("linear_relu.onnx"), Fixtures.model("add_mul.onnx"),
                Fixtures.model("multi_output.onnx"));
        fuzz(random, torchModels, onnxModels, 200); // warm the allocators before measuring
        long before = rss();
        fuzz(random, torchModels, onnxModels, 2000);
        assertAlive("2000 crafted models and scripts");
        long after = rss();
        assertTrue(after - before < 256L << 20, "resident memory grew by " + (after - before) / (1 << 20) + " MB");
    }

    private static void fuzz(Random random, List<byte[]> torchModels, List<byte[]> onnxModels, int count)
            throws IOException {
        for (int i = 0; i < count; i++) {
            String reply;
            switch (i % 3) {
                case 0 -> reply = outcome("AI.MODELSTORE", "fuzz", "TORCH", "CPU", "BLOB",
                        mutateArchive(random, torchModels.get(random.nextInt(torchModels.size()))));
                case 1 -> reply = outcome("AI.MODELSTORE", "fuzz", "ONNX", "CPU", "BLOB",
                        mutateBytes(random, onnxModels.get(random.nextInt(onnxModels.size()))));
                default -> reply = outcome("AI.SCRIPTSTORE", "fuzz", "CPU", "ENTRY_POINTS", 1, "f", "SOURCE",
                        craftedScript(random));
            }
            if (i % 100 == 0) {
                assertAlive("crafted input " + i + " (" + reply + ")");
            }
        }
    }

    private static long rss() {
        String memory = c.sync().info("memory");
        for (String line : memory.split("\r\n")) {
            if (line.startsWith("used_memory_rss:")) {
                return Long.parseLong(line.substring("used_memory_rss:".length()).trim());
            }
        }
        throw new AssertionError("no used_memory_rss in " + memory);
    }

    private static byte[] mutateBytes(Random random, byte[] original) {
        byte[] bytes = original.clone();
        switch (random.nextInt(4)) {
            case 0 -> {
                return java.util.Arrays.copyOf(bytes, random.nextInt(bytes.length));
            }
            case 1 -> {
                byte[] noise = new byte[1 + random.nextInt(4096)];
                random.nextBytes(noise);
                return noise;
            }
            default -> {
                for (int flips = 1 + random.nextInt(16); flips > 0; flips--) {
                    bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
                }
                return bytes;
            }
        }
    }

    /** A TorchScript archive re-zipped with one of its entries changed, doubled, dropped or replaced. */
    private static byte[] mutateArchive(Random random, byte[] model) throws IOException {
        Map<String, byte[]> entries = entries(model);
        List<String> names = new ArrayList<>(entries.keySet());
        String code = names.stream().filter(name -> name.contains("/code/") && name.endsWith(".py")).findFirst()
                .orElseThrow();
        String pickle = names.stream().filter(name -> name.endsWith("/data.pkl")).findFirst().orElseThrow();
        String victim = names.get(random.nextInt(names.size()));
        boolean duplicate = false;
        switch (random.nextInt(8)) {
            case 0 -> entries.put(code, (new String(entries.get(code), StandardCharsets.UTF_8) + "\ndef deep(x: Tensor)"
                    + " -> Tensor:\n  return " + "(".repeat(random.nextInt(400)) + "x"
                    + ")".repeat(random.nextInt(400)) + "\n").getBytes(StandardCharsets.UTF_8));
            case 1 -> entries.put(code, (new String(entries.get(code), StandardCharsets.UTF_8)
                    + "\ndef big() -> List[int]:\n  return [" + "1, ".repeat(1 + random.nextInt(50_000)) + "1]\n")
                    .getBytes(StandardCharsets.UTF_8));
            case 2 -> entries.put(pickle, mutateBytes(random, entries.get(pickle)));
            case 3 -> entries.remove(victim);
            case 4 -> duplicate = true;
            case 5 -> entries.put(victim, mutateBytes(random, entries.get(victim)));
            case 6 -> {
                return mutateBytes(random, model);
            }
            default -> entries.put(code, (new String(entries.get(code), StandardCharsets.UTF_8)
                    + "\ndef s() -> str:\n  return \"" + "x".repeat(random.nextInt(1 << 20)) + "\"\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
        return zip(entries, duplicate ? victim : null);
    }

    private static String craftedScript(Random random) {
        String body = switch (random.nextInt(5)) {
            case 0 -> "(".repeat(random.nextInt(300)) + "tensors[0]" + ")".repeat(random.nextInt(300));
            case 1 -> "[".repeat(random.nextInt(300)) + "tensors[0]" + "]".repeat(random.nextInt(300));
            case 2 -> "- ".repeat(random.nextInt(5000)) + "tensors[0]";
            case 3 -> "tensors[0] + " + "1 + ".repeat(random.nextInt(20_000)) + "1";
            default -> {
                StringBuilder soup = new StringBuilder();
                String[] tokens = {"(", ")", "[", "]", "tensors", "0", "+", ",", ":", "if", "else", "not", "-", "\n",
                        "    ", "def", "return", "\"", "lambda", "{", "}", "*", "**", ".", "x"};
                for (int n = random.nextInt(200); n > 0; n--) {
                    soup.append(tokens[random.nextInt(tokens.length)]).append(' ');
                }
                yield soup.toString();
            }
        };
        return "def f(tensors: List[Tensor], keys: List[str], args: List[str]):\n    return " + body + "\n";
    }

    private static byte[] withCode(byte[] model, java.util.function.UnaryOperator<String> change) throws IOException {
        Map<String, byte[]> entries = entries(model);
        String code = entries.keySet().stream().filter(name -> name.contains("/code/") && name.endsWith(".py"))
                .findFirst().orElseThrow();
        entries.put(code, change.apply(new String(entries.get(code), StandardCharsets.UTF_8))
                .getBytes(StandardCharsets.UTF_8));
        return zip(entries, null);
    }

    private static Map<String, byte[]> entries(byte[] model) throws IOException {
        Path file = Files.createTempFile(dir, "model", ".zip");
        Files.write(file, model);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            for (ZipEntry entry : Collections.list(zip.entries())) {
                entries.put(entry.getName(), zip.getInputStream(entry).readAllBytes());
            }
        }
        Files.delete(file);
        return entries;
    }

    /** Stored entries, as PyTorch writes them; {@code twice} is written a second time under the same name. */
    private static byte[] zip(Map<String, byte[]> entries, String twice) throws IOException {
        byte[] zipped = Bytes.storedZip(entries);
        if (twice == null || !entries.containsKey(twice)) {
            return zipped;
        }
        // ZipOutputStream refuses a duplicate name: write the twin under a same-length name, then rename it
        String twin = twice.substring(0, twice.length() - 1) + (twice.endsWith("~") ? "!" : "~");
        Map<String, byte[]> withTwin = new LinkedHashMap<>(entries);
        withTwin.put(twin, entries.get(twice));
        byte[] doubled = zip(withTwin, null);
        return replaceAll(doubled, twin.getBytes(StandardCharsets.UTF_8), twice.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] replaceAll(byte[] bytes, byte[] from, byte[] to) {
        byte[] out = bytes.clone();
        for (int i = 0; i + from.length <= out.length; i++) {
            if (java.util.Arrays.equals(out, i, i + from.length, from, 0, from.length)) {
                System.arraycopy(to, 0, out, i, to.length);
            }
        }
        return out;
    }

}
