package org.inferis.backend.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import org.inferis.backend.BackendException;
import org.inferis.backend.OnnxProto;
import org.inferis.backend.OnnxProto.Proto;
import org.junit.jupiter.api.Test;

/** Which integer divisions a model may hold, by the types the checks infer; x is a FLOAT model input. */
class DivisionsTest {
    private static Proto node(String opType, List<String> inputs, String output, Proto... attributes) {
        Proto node = OnnxProto.node(opType, "", inputs, List.of(output));
        for (Proto attribute : attributes) {
            node.message(5, attribute);
        }
        return node;
    }

    private static Proto toInt32(String input, String output) {
        return node("Cast", List.of(input), output, OnnxProto.attribute("to", OnnxProto.INT32));
    }

    private static Proto constant(String output, long... values) {
        return node("Constant", List.of(), output, OnnxProto.ints("value_ints", values));
    }

    private static Set<String> check(Proto... nodes) throws BackendException, IOException {
        return Divisions.check(OnnxGraph.read(OnnxProto.model(List.of(nodes), List.of(), OnnxProto.FLOAT,
                new long[0], new Proto().string(1, "ai.onnx.ml").varint(2, 3))));
    }

    private static String refusal(Proto... nodes) {
        return assertThrows(BackendException.class, () -> check(nodes)).getMessage();
    }

    @Test
    void floatingPointDivisionsAreNotChecked() throws Exception {
        Proto sum = node("ReduceSum", List.of("x"), "s");
        assertEquals(Set.of(), check(sum, node("Div", List.of("x", "s"), "y")));
    }

    @Test
    void integerDivisorsMustBeConstantsWithoutZeroOrMinusOne() throws Exception {
        Proto ints = toInt32("x", "i");
        assertEquals(Set.of(), check(ints, constant("two", 2, 3), node("Div", List.of("i", "two"), "y")));
        assertTrue(refusal(ints, constant("zero", 2, 0), node("Mod", List.of("i", "zero"), "y"))
                .contains("Mod divides by a constant holding 0"));
        assertTrue(refusal(ints, constant("minus", -1), node("Div", List.of("i", "minus"), "y"))
                .contains("holding -1"));
        assertTrue(refusal(ints, toInt32("x", "j"), node("Div", List.of("i", "j"), "y"))
                .contains("divides integers by the output of Cast"));
        // a divisor up a cycle of Identities (ONNX Runtime would refuse the graph; the checks must not spin on it)
        String cycle = assertTimeoutPreemptively(java.time.Duration.ofSeconds(10), () -> refusal(ints,
                node("Identity", List.of("b"), "a"), node("Identity", List.of("a"), "b"),
                node("Div", List.of("i", "a"), "y")));
        assertTrue(cycle.contains("divides integers by the output of Identity"), cycle);
    }

    @Test
    void divisionsWhoseTypeCannotBeToldAreRefused() throws Exception {
        // an ai.onnx.ml operator's output: its type is not inferred
        Proto encoded = OnnxProto.node("LabelEncoder", "ai.onnx.ml", List.of("x"), List.of("l"));
        assertTrue(refusal(encoded, node("Div", List.of("l", "l"), "y")).contains("whose type Inferis cannot tell"));
        // inside a subgraph, a constant divisor is fine and a computed one is not
        Proto fine = OnnxProto.node("If", "", List.of("c"), List.of("z")).message(5, OnnxProto.graph("then_branch",
                List.of(toInt32("x", "i"), constant("three", 3), node("Div", List.of("i", "three"), "q"))));
        assertEquals(Set.of(), check(fine));
        Proto computed = OnnxProto.node("If", "", List.of("c"), List.of("z")).message(5, OnnxProto.graph(
                "else_branch", List.of(toInt32("x", "i"), node("Div", List.of("i", "i"), "q"))));
        assertTrue(refusal(computed).contains("divides integers by the output of Cast"));
    }

}
