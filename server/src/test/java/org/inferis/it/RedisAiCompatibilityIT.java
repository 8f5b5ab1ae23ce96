package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import java.util.List;
import org.inferis.backend.Fixtures;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Where RedisAI's clients and tests expect RedisAI's exact words and shapes: arity errors, AI.CONFIG, the deprecated
 * commands' parsing, script compile errors, SCRIPTEXECUTE's KEYS checks, DAG parsing errors and STRING tensors through
 * ONNX models.
 */
class RedisAiCompatibilityIT {
    @RegisterExtension
    static final RunningServer server = new RunningServer();

    private static final String SCRIPT = String.join("\n",
            "def bar(tensors: List[Tensor], keys: List[str], args: List[str]):",
            "    return tensors[0] + tensors[1]", "");
    /** Functions taking tensors positionally, as scripts stored with the deprecated AI.SCRIPTSET do. */
    private static final String OLD_SCRIPT = String.join("\n",
            "def bar(a, b):",
            "    return a + b",
            "",
            "def bar_variadic(a, args: List[Tensor]):",
            "    return args[0] + args[1]", "");

    private StatefulRedisConnection<String, String> c;

    @BeforeEach
    void connect() {
        c = server.connect(ProtocolVersion.RESP2);
        c.sync().flushall();
    }

    private String error(String command, Object... args) {
        return assertThrows(RedisCommandExecutionException.class, () -> Ai.status(c, command, args)).getMessage();
    }

    @Test
    void arityErrorsUseRedisWords() {
        assertEquals("ERR wrong number of arguments for 'config|get' command", error("CONFIG", "GET"));
        assertEquals("ERR wrong number of arguments for 'AI.INFO' command", error("AI.INFO"));
        assertEquals("ERR wrong number of arguments for 'AI.INFO' command", error("AI.INFO", "a", "b", "c"));
        assertEquals("ERR wrong number of arguments for 'AI.DAGRUN' command", error("AI.DAGRUN"));
        assertEquals("ERR wrong number of arguments for 'AI.DAGRUN_RO' command", error("AI.DAGRUN_RO"));
        assertEquals("ERR missing arguments for 'AI.DAGEXECUTE' command", error("AI.DAGEXECUTE"));
    }

    @Test
    void aiConfigAnswersARealBackendsPathAndLoadsOnlyEnginesItHas() {
        String defaultPath = Ai.string(c, "AI.CONFIG", "GET", "BACKENDSPATH");
        assertTrue(defaultPath.endsWith("/backends") && defaultPath.startsWith("/"), defaultPath);
        assertEquals("OK", Ai.status(c, "AI.CONFIG", "BACKENDSPATH", "my/backends/path"));
        assertEquals("my/backends/path", Ai.string(c, "AI.CONFIG", "GET", "BACKENDSPATH"));
        assertEquals("OK", Ai.status(c, "AI.CONFIG", "BACKENDSPATH", defaultPath), "a saved path restores");
        assertEquals(defaultPath, Ai.string(c, "AI.CONFIG", "GET", "BACKENDSPATH"));
        assertEquals("ERR BACKENDSPATH: missing path argument", error("AI.CONFIG", "BACKENDSPATH"));

        assertEquals("OK", Ai.status(c, "AI.CONFIG", "LOADBACKEND", "TORCH", "redisai_torch/redisai_torch.so"));
        assertEquals("OK", Ai.status(c, "AI.CONFIG", "LOADBACKEND", "onnx", "redisai_onnxruntime.so"));
        assertEquals("ERR error loading backend", error("AI.CONFIG", "LOADBACKEND", "TF", "notexist/redisai_tensorflow.so"));
        assertEquals("ERR unsupported backend", error("AI.CONFIG", "LOADBACKEND", "CAFFE", "x.so"));
        assertEquals("ERR unsupported subcommand", error("AI.CONFIG", "non-existing", "val"));
        assertEquals("ERR MODEL_CHUNK_SIZE: invalid chunk size", error("AI.CONFIG", "MODEL_CHUNK_SIZE", "not-a-number"));
        assertEquals(null, Ai.string(c, "AI.CONFIG", "GET", "non-existing"));
    }

    @Test
    void deprecatedModelSetSkipsInputsAndOutputsBeforeTheBlob() {
        byte[] onnx = Fixtures.model("add_mul.onnx");
        assertEquals("OK", Ai.status(c, "AI.MODELSET", "m", "ONNX", "CPU", "INPUTS", "a", "b", "OUTPUTS", "sum", "product",
                "BLOB", onnx));
        assertEquals("OK", Ai.status(c, "AI.MODELSET", "t", "TORCH", "CPU", "TAG", "v1", "BATCHSIZE", 2,
                "INPUTS", "x", "OUTPUTS", "y", "BLOB", Fixtures.model("linear_relu.pt")));
        List<Object> meta = Ai.array(c, "AI.MODELGET", "t", "META");
        assertEquals(List.of("tag", "v1", "batchsize", 2L), meta.subList(4, 8));
        assertEquals("ERR Insufficient arguments, missing model BLOB",
                error("AI.MODELSET", "n", "ONNX", "CPU", "INPUTS", "a", "OUTPUTS", "b"));
        assertEquals("ERR INPUTS argument should not be specified for this backend",
                error("AI.MODELSTORE", "n", "ONNX", "CPU", "INPUTS", 2, "a", "b", "BLOB", onnx),
                "AI.MODELSTORE keeps refusing them");
        assertEquals(0L, c.sync().exists("n"));
    }

    @Test
    void scriptStoreCompilesFirstAndAnswersLibtorchsMessage() {
        // libtorch's words, without an ERR code, as RedisAI answers them
        assertEquals("expected def but found 'return' here:   File \"<string>\", line 1 return 1 ~~~~~~ <--- HERE ",
                error("AI.SCRIPTSTORE", "s", "CPU", "ENTRY_POINTS", 1, "f", "SOURCE", "return 1"));
        String syntax = error("AI.SCRIPTSTORE", "s", "CPU", "ENTRY_POINTS", 1, "bar", "SOURCE",
                SCRIPT + "\ndef broken(a):\n    x = = 2\n");
        assertTrue(syntax.startsWith("expected ident but found '=' here:")
                && syntax.contains("File \"<string>\", line 5") && !syntax.contains("InferisScript")
                && !syntax.contains("__torch__"), syntax);
        assertEquals("ERR Insufficient arguments, missing script entry points",
                error("AI.SCRIPTSTORE", "s", "CPU", "ENTRY_POINTS", 4, "bar", "SOURCE", SCRIPT));
        assertEquals("ERR Insufficient arguments, missing script entry points",
                error("AI.SCRIPTSTORE", "s", "CPU", "TAG", "v1", "SOURCE", SCRIPT, "extra"));
        assertEquals("ERR wrong number of arguments for 'AI.SCRIPTSTORE' command",
                error("AI.SCRIPTSTORE", "s", "CPU", "ENTRY_POINTS", 1, "bar", "SOURCE"));
        assertEquals(0L, c.sync().exists("s"));
    }

    @Test
    void scriptExecuteChecksKeysAsRedisAi() {
        Ai.status(c, "AI.SCRIPTSTORE", "s", "CPU", "ENTRY_POINTS", 1, "bar", "SOURCE", SCRIPT);
        assertEquals("ERR Missing arguments after KEYS keyword", error("AI.SCRIPTEXECUTE", "s", "bar", "KEYS", 1));
        assertEquals("ERR Invalid or negative value found in number of KEYS",
                error("AI.SCRIPTEXECUTE", "s", "bar", "KEYS", 0, "a"));
        assertEquals("ERR Invalid or negative value found in number of KEYS",
                error("AI.SCRIPTEXECUTE", "s", "bar", "KEYS", "x", "a"));
        assertEquals("ERR Number of pre declared KEYS to be used in the command does not match the number of given "
                + "arguments", error("AI.SCRIPTEXECUTE", "s", "bar", "KEYS", 3, "a", "b"));
        assertEquals("ERR KEYS or INPUTS scope must be provided first for AI.SCRIPTEXECUTE command",
                error("AI.SCRIPTEXECUTE", "s", "bar"));
    }

    @Test
    void deprecatedScriptsRunPositionallyThroughScriptExecute() {
        assertEquals("OK", Ai.status(c, "AI.SCRIPTSET", "old", "CPU", "SOURCE", OLD_SCRIPT));
        Ai.status(c, "AI.TENSORSET", "a", "FLOAT", 2, "VALUES", 2, 3);
        Ai.status(c, "AI.TENSORSET", "b", "FLOAT", 2, "VALUES", 2, 3);
        assertEquals("OK", Ai.status(c, "AI.SCRIPTEXECUTE", "old", "bar", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "c"));
        assertEquals(List.of("4", "6"), Ai.array(c, "AI.TENSORGET", "c", "VALUES"));
        assertEquals("OK", Ai.status(c, "AI.SCRIPTRUN", "old", "bar_variadic", "INPUTS", "a", "$", "b", "b",
                "OUTPUTS", "d"));
        assertEquals(List.of("4", "6"), Ai.array(c, "AI.TENSORGET", "d", "VALUES"));
        assertEquals("ERR Already encountered a variable size list of tensors",
                error("AI.SCRIPTRUN", "old", "bar_variadic", "INPUTS", "a", "$", "b", "$", "b", "OUTPUTS", "e"));
        assertEquals(0L, c.sync().exists("e"));
    }

    @Test
    void dagParsingErrorsAreRedisAis() {
        Ai.status(c, "AI.TENSORSET", "a", "FLOAT", 2, 2, "VALUES", 2, 3, 2, 3);
        Ai.status(c, "AI.SCRIPTSTORE", "s", "CPU", "ENTRY_POINTS", 1, "bar", "SOURCE", SCRIPT);
        Ai.status(c, "AI.MODELSTORE", "m", "ONNX", "CPU", "BLOB", Fixtures.model("add_mul.onnx"));
        assertEquals("ERR missing arguments after LOAD keyword in DAG command",
                error("AI.DAGEXECUTE", "PERSIST", 2, "x", "y", "LOAD", 1));
        assertEquals("ERR invalid or negative value found in number of keys to LOAD",
                error("AI.DAGEXECUTE", "LOAD", "notnumber", "|>", "AI.TENSORGET", "a", "VALUES"));
        assertEquals("ERR number of keys to LOAD into DAG does not match the number of given arguments",
                error("AI.DAGEXECUTE", "ROUTING", "a", "LOAD", 2, "a"));
        assertEquals("ERR missing arguments after PERSIST keyword in DAG command",
                error("AI.DAGEXECUTE", "ROUTING", "a", "LOAD", 1, "a", "PERSIST", 1));
        assertEquals("ERR number of keys to PERSIST after DAG execution does not match the number of given arguments",
                error("AI.DAGEXECUTE", "ROUTING", "a", "PERSIST", 2, "a"));
        assertEquals("ERR wrong number of arguments for 'AI.SCRIPTEXECUTE' command",
                error("AI.DAGEXECUTE", "LOAD", 1, "a", "|>", "AI.SCRIPTEXECUTE", "s"));
        assertEquals("ERR wrong number of arguments for 'AI.TENSORGET' command",
                error("AI.DAGRUN", "|>", "AI.TENSORSET", "x", "FLOAT", 1, "|>", "AI.TENSORGET"));
        assertEquals("ERR AI.MODELEXECUTE cannot be used in a deprecated AI.DAGRUN command",
                error("AI.DAGRUN", "LOAD", 1, "a", "|>", "AI.MODELEXECUTE", "m", "INPUTS", 2, "a", "a", "OUTPUTS", 2,
                        "s", "p"));
        assertEquals("ERR AI.SCRIPTEXECUTE cannot be used in a deprecated AI.DAGRUN command",
                error("AI.DAGRUN", "LOAD", 1, "a", "|>", "AI.SCRIPTEXECUTE", "s", "bar", "INPUTS", 2, "a", "a",
                        "OUTPUTS", 1, "o"));
        assertEquals("ERR PERSIST cannot be specified in a read-only DAG",
                error("AI.DAGRUN_RO", "PERSIST", 1, "t", "|>", "AI.TENSORSET", "t", "FLOAT", 1, 2, "VALUES", 5, 10));
        assertEquals("ERR PERSIST cannot be specified in a read-only DAG",
                error("AI.DAGEXECUTE_RO", "PERSIST", 1, "t", "|>", "AI.TENSORSET", "t", "FLOAT", 1, 2, "VALUES", 5, 10));
        assertEquals(0L, c.sync().exists("t", "x", "o", "s2"));
    }

    @Test
    void stringTensorsGoThroughOnnxModels() {
        assertEquals("OK", Ai.status(c, "AI.MODELSTORE", "identity", "ONNX", "CPU", "BLOB",
                Fixtures.model("string_identity.onnx")));
        Ai.status(c, "AI.TENSORSET", "in", "STRING", 2, 2, "VALUES", "str_val1", "str_val2", "", "déjà vu");
        assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", "identity", "INPUTS", 1, "in", "OUTPUTS", 1, "out"));
        assertEquals(List.of("dtype", "STRING", "shape", List.of(2L, 2L), "values",
                List.of("str_val1", "str_val2", "", "déjà vu")), Ai.array(c, "AI.TENSORGET", "out", "META", "VALUES"));
        assertEquals(List.of("OK", "OK", List.of("hello", "world")), Ai.array(c, "AI.DAGEXECUTE", "ROUTING", "in",
                "|>", "AI.TENSORSET", "z", "STRING", 1, 2, "VALUES", "hello", "world",
                "|>", "AI.MODELEXECUTE", "identity", "INPUTS", 1, "z", "OUTPUTS", 1, "w",
                "|>", "AI.TENSORGET", "w", "VALUES"));
        Ai.status(c, "AI.TENSORSET", "numbers", "FLOAT", 1, 2, "VALUES", 1, 2);
        String wrongType = error("AI.MODELEXECUTE", "identity", "INPUTS", 1, "numbers", "OUTPUTS", 1, "out2");
        assertTrue(wrongType.contains("tensor(float)") && wrongType.contains("tensor(string)"), wrongType);
    }
}
