package org.inferis.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.inferis.backend.torch.TorchBackend;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** TorchScript source compiled by libtorch through a generated module archive. */
class ScriptsTest {
    private static final TorchBackend TORCH = new TorchBackend(new EngineOptions(1, 1));
    private static final Device CPU = Device.parse("CPU");
    private static final String SCRIPT = String.join("\n",
            "def add_two(tensors: List[Tensor], keys: List[str], args: List[str]):",
            "    return tensors[0] + tensors[1]",
            "",
            "def helper(x):",
            "    return x * 2",
            "",
            "def sum_all(tensors: List[Tensor], keys: List[str], args: List[str]):",
            "    total = torch.zeros(1)",
            "    for t in tensors:",
            "        total = total + helper(t).sum()",
            "    return total + len(keys) + len(args)",
            "",
            "def pair(a, b):",
            "    return a - b, a * b",
            "");

    private static Tensor floats(long[] shape, float... values) {
        ByteBuffer data = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            data.putFloat(value);
        }
        data.flip();
        return new Tensor(DType.FLOAT, shape, data);
    }

    private static float[] values(Tensor tensor) {
        ByteBuffer data = tensor.data();
        float[] values = new float[(int) tensor.elementCount()];
        for (int i = 0; i < values.length; i++) {
            values[i] = data.getFloat();
        }
        return values;
    }

    @Test
    void entryPointsHelpersAndEmptyLists() throws Exception {
        try (LoadedScript script = TORCH.compile(SCRIPT, List.of("add_two", "sum_all"), CPU)) {
            Tensor a = floats(new long[] {2}, 1, 2);
            Tensor b = floats(new long[] {2}, 10, 20);
            assertArrayEquals(new float[] {11, 22}, values(script.execute("add_two", List.of(a, b), List.of(), List.of()).get(0)));
            assertArrayEquals(new float[] {66 + 1 + 2},
                    values(script.execute("sum_all", List.of(a, b), List.of("k"), List.of("x", "y")).get(0)));
            assertArrayEquals(new float[] {0}, values(script.execute("sum_all", List.of(), List.of(), List.of()).get(0)),
                    "empty lists work");
            List<Tensor> pair = script.call("pair", List.of(b, a), null);
            assertArrayEquals(new float[] {9, 18}, values(pair.get(0)));
            assertArrayEquals(new float[] {10, 40}, values(pair.get(1)));
            assertTrue(script.hasFunction("helper"));
            assertFalse(script.hasFunction("nothing"));
            assertEquals("Function does not exist: nothing", assertThrows(BackendException.class,
                    () -> script.execute("nothing", List.of(a), List.of(), List.of())).getMessage());
            BackendException runtime = assertThrows(BackendException.class,
                    () -> script.execute("add_two", List.of(a, floats(new long[] {3}, 1, 2, 3)), List.of(), List.of()));
            assertTrue(runtime.getMessage().contains("size"), runtime.getMessage());
        }
    }

    /**
     * Calls of one shape reuse their input tensors (TorchBinding): a function that adds to its input and unsqueezes it
     * in place still gets each call's own data and shape, and the caller's tensor is left as it was.
     */
    @Test
    void repeatedCallsThatChangeTheirInputInPlaceStartAfresh() throws Exception {
        String source = String.join("\n",
                "def bump(tensors: List[Tensor], keys: List[str], args: List[str]):",
                "    x = tensors[0]",
                "    x.add_(1.0)",
                "    x.unsqueeze_(0)",
                "    return x * 2",
                "");
        try (LoadedScript script = TORCH.compile(source, List.of("bump"), CPU)) {
            for (int call = 0; call < 3 * ThreadBindings.BIND_AFTER; call++) {
                float[] given = {call, -call, 0.5f * call, 1, 2, 3};
                float[] expected = new float[given.length];
                for (int i = 0; i < given.length; i++) {
                    expected[i] = (given[i] + 1) * 2;
                }
                Tensor input = floats(new long[] {2, 3}, given);
                Tensor output = script.execute("bump", List.of(input), List.of(), List.of()).get(0);
                assertArrayEquals(new long[] {1, 2, 3}, output.shape(), "call " + call);
                assertArrayEquals(expected, values(output), "call " + call);
                assertArrayEquals(given, values(input), "call " + call);
            }
        }
    }

    @Test
    void compileAndSignatureErrorsSayWhatIsWrong() {
        BackendException compile = assertThrows(BackendException.class,
                () -> TORCH.compile("def bad(tensors: List[Tensor], keys: List[str], args: List[str]):\n    return undefined_name(1)\n",
                        List.of("bad"), CPU));
        assertTrue(compile.getMessage().contains("undefined_name"), compile.getMessage());
        assertEquals("Function missing does not exist in the given script.", assertThrows(BackendException.class,
                () -> TORCH.compile(SCRIPT, List.of("missing"), CPU)).getMessage());
        assertEquals("Wrong number of inputs in function pair. Expected 3 but was 2", assertThrows(BackendException.class,
                () -> TORCH.compile(SCRIPT, List.of("pair"), CPU)).getMessage());
    }
}
