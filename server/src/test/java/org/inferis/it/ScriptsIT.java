package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** TorchScript scripts through Lettuce and redis-cli: numerics, reply shapes, errors. */
class ScriptsIT {
    @RegisterExtension
    static final RunningServer server = new RunningServer();

    static final String SCRIPT = String.join("\n",
            "def addtwo(tensors: List[Tensor], keys: List[str], args: List[str]):",
            "    return tensors[0] + tensors[1]",
            "",
            "def scale(x, factor: float):",
            "    return x * factor",
            "",
            "def sum_all(tensors: List[Tensor], keys: List[str], args: List[str]):",
            "    total = torch.zeros(1)",
            "    for t in tensors:",
            "        total = total + t.sum()",
            "    return total + float(len(keys)) + float(len(args))",
            "",
            "def with_args(tensors: List[Tensor], keys: List[str], args: List[str]):",
            "    return scale(tensors[0], float(args[0])), tensors[0] * 0 + float(len(keys))",
            "",
            "def pair(a, b):",
            "    return a - b",
            "",
            "def stack(first, rest: List[Tensor]):",
            "    return first + torch.stack(rest).sum(0)",
            "");

    private StatefulRedisConnection<String, String> c;

    @BeforeEach
    void setUp() {
        c = server.connect(ProtocolVersion.RESP2);
        c.sync().flushall();
        assertEquals("OK", Ai.status(c, "AI.SCRIPTSTORE", "s", "CPU", "TAG", "v1", "ENTRY_POINTS", 3, "addtwo",
                "sum_all", "with_args", "SOURCE", SCRIPT));
        Ai.status(c, "AI.TENSORSET", "a", "FLOAT", 2, "VALUES", 1, 2);
        Ai.status(c, "AI.TENSORSET", "b", "FLOAT", 2, "VALUES", 10, 20);
    }

    private String error(String command, Object... args) {
        return assertThrows(RedisCommandExecutionException.class, () -> Ai.status(c, command, args)).getMessage();
    }

    private List<Object> values(String key) {
        return Ai.array(c, "AI.TENSORGET", key, "VALUES");
    }

    @Test
    void entryPointsComputeWithTensorsKeysAndArgs() {
        assertEquals("OK", Ai.status(c, "AI.SCRIPTEXECUTE", "s", "addtwo", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "c"));
        assertEquals(List.of("11", "22"), values("c"));
        assertEquals("OK", Ai.status(c, "AI.SCRIPTEXECUTE", "s", "sum_all", "KEYS", 1, "k", "INPUTS", 2, "a", "b",
                "ARGS", 2, "x", "y", "OUTPUTS", 1, "total"));
        assertEquals(List.of("36"), values("total"));
        assertEquals("OK", Ai.status(c, "AI.SCRIPTEXECUTE", "s", "sum_all", "INPUTS", 0, "OUTPUTS", 1, "empty"));
        assertEquals(List.of("0"), values("empty"), "empty lists work");
        assertEquals("OK", Ai.status(c, "AI.SCRIPTEXECUTE", "s", "with_args", "KEYS", 2, "k1", "k2", "INPUTS", 1, "a",
                "ARGS", 1, "2.5", "OUTPUTS", 2, "scaled", "count"));
        assertEquals(List.of("2.5", "5"), values("scaled"));
        assertEquals(List.of("2", "2"), values("count"));
    }

    @Test
    void deprecatedScriptSetAndScriptRunWithVariadicInputs() {
        assertEquals("OK", Ai.status(c, "AI.SCRIPTSET", "old", "CPU", "SOURCE", SCRIPT));
        assertEquals("OK", Ai.status(c, "AI.SCRIPTRUN", "old", "pair", "INPUTS", "b", "a", "OUTPUTS", "d"));
        assertEquals(List.of("9", "18"), values("d"));
        assertEquals("OK", Ai.status(c, "AI.SCRIPTRUN", "old", "stack", "INPUTS", "a", "$", "a", "b", "OUTPUTS", "e"));
        assertEquals(List.of("12", "24"), values("e"));
    }

    @Test
    void getScanInfoTypeAndDelete() {
        assertEquals(List.of("device", "CPU", "tag", "v1", "Entry Points", List.of("addtwo", "sum_all", "with_args")),
                Ai.array(c, "AI.SCRIPTGET", "s", "META"));
        assertEquals(SCRIPT, new String(Ai.bytes(c, "AI.SCRIPTGET", "s", "SOURCE")));
        List<Object> full = Ai.array(c, "AI.SCRIPTGET", "s");
        assertEquals(List.of("source", SCRIPT), full.subList(6, 8));
        assertEquals("AI_SCRIPT", c.sync().type("s"));
        assertEquals(List.of(List.of("s", "v1")), Ai.array(c, "AI._SCRIPTSCAN"));
        Ai.status(c, "AI.SCRIPTEXECUTE", "s", "addtwo", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "c");
        List<Object> info = Ai.array(c, "AI.INFO", "s");
        assertEquals(List.of("key", "s", "type", "SCRIPT", "backend", "TORCH", "device", "CPU", "tag", "v1"),
                info.subList(0, 10));
        assertEquals(List.of("samples", -1L, "calls", 1L, "errors", 0L), info.subList(12, 18));
        assertEquals("OK", Ai.status(c, "AI.SCRIPTDEL", "s"));
        assertEquals("ERR script key is empty", error("AI.SCRIPTDEL", "s"));
        assertEquals("ERR script key is empty", error("AI.SCRIPTGET", "s"));
        c.sync().set("plain", "v");
        assertEquals("WRONGTYPE Operation against a key holding the wrong kind of value", error("AI.SCRIPTGET", "plain"));
    }

    @Test
    void storeErrorsNameTheProblemAndLeaveTheKeyUntouched() {
        String compile = error("AI.SCRIPTSTORE", "s", "CPU", "ENTRY_POINTS", 1, "f", "SOURCE",
                "def f(tensors: List[Tensor], keys: List[str], args: List[str]):\n    return undefined_thing(1)\n");
        assertTrue(compile.startsWith("undefined value undefined_thing") && compile.contains("line 2"), compile);
        assertEquals("ERR Function missing does not exist in the given script.",
                error("AI.SCRIPTSTORE", "s", "CPU", "ENTRY_POINTS", 1, "missing", "SOURCE", SCRIPT));
        assertEquals("ERR Wrong number of inputs in function pair. Expected 3 but was 2",
                error("AI.SCRIPTSTORE", "s", "CPU", "ENTRY_POINTS", 1, "pair", "SOURCE", SCRIPT));
        assertTrue(error("AI.SCRIPTSTORE", "r", "CPU", "ENTRY_POINTS", 1, "f", "SOURCE",
                "def f(tensors: List[Tensor], keys: List[str], args: List[str]):\n"
                        + "    return redis.execute('GET', keys[0])\n").contains("native"));
        assertEquals("ERR Insufficient arguments, missing script SOURCE",
                error("AI.SCRIPTSTORE", "s", "CPU", "ENTRY_POINTS", 1, "addtwo", "SRC", SCRIPT));
        assertEquals(List.of("device", "CPU", "tag", "v1", "Entry Points", List.of("addtwo", "sum_all", "with_args")),
                Ai.array(c, "AI.SCRIPTGET", "s", "META"), "the stored script is unchanged");
    }

    @Test
    void executeErrors() {
        assertEquals("ERR Function does not exist: nope",
                error("AI.SCRIPTEXECUTE", "s", "nope", "INPUTS", 1, "a", "OUTPUTS", 1, "c"));
        Ai.status(c, "AI.TENSORSET", "three", "FLOAT", 3, "VALUES", 1, 2, 3);
        String runtime = error("AI.SCRIPTEXECUTE", "s", "addtwo", "INPUTS", 2, "a", "three", "OUTPUTS", 1, "c");
        assertTrue(runtime.startsWith("ERR The size of tensor a (2) must match"), runtime);
        assertEquals("ERR KEYS or INPUTS scope must be provided first for AI.SCRIPTEXECUTE command",
                error("AI.SCRIPTEXECUTE", "s", "addtwo", "OUTPUTS", 1, "c"));
        assertEquals("ERR Already Encountered INPUTS scope in AI.SCRIPTEXECUTE command",
                error("AI.SCRIPTEXECUTE", "s", "addtwo", "INPUTS", 1, "a", "INPUTS", 1, "b", "OUTPUTS", 1, "c"));
        assertEquals("ERR number of inputs to AI.SCRIPTEXECUTE command does not match the number of given arguments",
                error("AI.SCRIPTEXECUTE", "s", "addtwo", "INPUTS", 5, "a", "b"));
        assertEquals("ERR Invalid AI.SCRIPTEXECUTE command. Unexpected argument: BOGUS",
                error("AI.SCRIPTEXECUTE", "s", "addtwo", "INPUTS", 2, "a", "b", "BOGUS"));
        assertEquals("ERR tensor key is empty or in a different shard",
                error("AI.SCRIPTEXECUTE", "s", "addtwo", "INPUTS", 2, "a", "missing", "OUTPUTS", 1, "c"));
        assertEquals("ERR script key is empty", error("AI.SCRIPTEXECUTE", "nothing", "addtwo", "INPUTS", 1, "a"));
        assertEquals(0L, c.sync().exists("c"));
        List<Object> info = Ai.array(c, "AI.INFO", "s");
        assertEquals(List.of("calls", 2L, "errors", 2L), info.subList(14, 18), "failed runs count, argument errors do not");
    }

    @Test
    void redisCliStoresAndRunsAScript() throws Exception {
        assertEquals("OK\n", RedisCli.run(server.port(), "AI.SCRIPTSTORE", "cli", "CPU", "ENTRY_POINTS", "1", "addtwo",
                "SOURCE", SCRIPT));
        assertEquals("OK\n", RedisCli.run(server.port(), "AI.SCRIPTEXECUTE", "cli", "addtwo", "INPUTS", "2", "a", "b",
                "OUTPUTS", "1", "out"));
        assertEquals("11\n22\n", RedisCli.run(server.port(), "AI.TENSORGET", "out", "VALUES"));
    }
}
