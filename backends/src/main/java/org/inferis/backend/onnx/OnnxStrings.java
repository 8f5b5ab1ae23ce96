package org.inferis.backend.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.inferis.tensor.DType;
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
    static Tensor encode(OnnxTensor output) throws OrtException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        appendElements(output.getValue(), bytes);
        return new Tensor(DType.STRING, output.getInfo().getShape(), ByteBuffer.wrap(bytes.toByteArray()));
    }

    /** ONNX Runtime returns a rank-n tensor as nested arrays (a scalar as one string): walked in row-major order. */
    private static void appendElements(Object value, ByteArrayOutputStream out) {
        if (value instanceof String string) {
            if (string.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("the model returned a string with a NUL character, which a STRING "
                        + "tensor cannot hold");
            }
            out.writeBytes(string.getBytes(StandardCharsets.UTF_8));
            out.write(0);
            return;
        }
        for (int i = 0; i < Array.getLength(value); i++) {
            appendElements(Array.get(value, i), out);
        }
    }
}
