package org.inferis.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** An engine's string output as a STRING tensor: NUL-terminated elements, no NUL inside one, bounded in all. */
class StringElementsTest {
    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void elementsAreNulTerminatedInOrder() throws Exception {
        Tensor tensor = new StringElements().add(bytes("ab")).add(bytes("")).add(bytes("é")).toTensor(new long[] {3});
        assertEquals(DType.STRING, tensor.dtype());
        byte[] data = new byte[tensor.data().remaining()];
        tensor.data().get(data);
        assertEquals("ab\0\0é\0", new String(data, StandardCharsets.UTF_8));
    }

    @Test
    void anElementWithANulIsRefused() {
        String message = assertThrows(BackendException.class, () -> new StringElements().add(bytes("a\0b")))
                .getMessage();
        assertTrue(message.contains("a string with a NUL byte"), message);
    }

    @Test
    void elementsPastTheLimitAreRefusedBeforeTheyAreCopied() throws Exception {
        StringElements elements = new StringElements(8).add(bytes("abc")).add(bytes("def")); // 8 bytes with the NULs
        String message = assertThrows(BackendException.class, () -> elements.add(bytes(""))).getMessage();
        assertTrue(message.contains("more than 2 GiB of strings in one output"), message);
        assertEquals(8, elements.toTensor(new long[] {2}).data().remaining(), "what fit is all it holds");
    }
}
