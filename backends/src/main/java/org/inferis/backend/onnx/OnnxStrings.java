package org.inferis.backend.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.inferis.backend.BackendException;
import org.inferis.backend.StringElements;
import org.inferis.tensor.Tensor;

/**
 * STRING tensors to and from ONNX Runtime, which holds strings as Java strings rather than bytes: our elements are
 * NUL-terminated UTF-8, one after another in row-major order.
 */
final class OnnxStrings {
    private OnnxStrings() {
    }

    /** The tensor's elements as strings, in order. */
    static String[] decode(Tensor tensor) {
        String[] strings = new String[(int) tensor.elementCount()];
        ByteBuffer data = tensor.data().duplicate();
        for (int i = 0; i < strings.length; i++) {
            strings[i] = new String(Tensor.nextString(data), StandardCharsets.UTF_8);
        }
        return strings;
    }

    /** An output of strings as a STRING tensor of its shape. */
    static Tensor encode(OnnxTensor output) throws OrtException, BackendException {
        StringElements elements = new StringElements();
        appendElements(output.getValue(), elements);
        return elements.toTensor(output.getInfo().getShape());
    }

    /** ONNX Runtime returns a rank-n tensor as nested arrays (a scalar as one string): walked in row-major order. */
    private static void appendElements(Object value, StringElements elements) throws BackendException {
        if (value instanceof String string) {
            elements.add(string.getBytes(StandardCharsets.UTF_8));
            return;
        }
        for (int i = 0; i < Array.getLength(value); i++) {
            appendElements(Array.get(value, i), elements);
        }
    }
}
