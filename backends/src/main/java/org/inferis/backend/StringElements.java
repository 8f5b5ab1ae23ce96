package org.inferis.backend;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;

/**
 * A STRING tensor's data built from an engine's output, element by element: each NUL-terminated, none holding a NUL,
 * all together at most {@link #MAX_BYTES}. A crafted TF graph returned 2 GiB of strings (AsString with a wide
 * {@code width}): copied unchecked, the array it needed failed the worker thread with an OutOfMemoryError.
 */
public final class StringElements {
    /** The most a tensor's buffer holds (a Java array's limit). */
    public static final int MAX_BYTES = Integer.MAX_VALUE - 8;

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final long maxBytes;

    public StringElements() {
        this(MAX_BYTES);
    }

    /** With a smaller limit (tests). */
    StringElements(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** Appends one element. */
    public StringElements add(byte[] element) throws BackendException {
        if ((long) bytes.size() + element.length + 1 > maxBytes) {
            throw new BackendException("the model returned more than 2 GiB of strings in one output, more than a "
                    + "tensor holds");
        }
        for (byte b : element) {
            if (b == 0) {
                throw new BackendException("the model returned a string with a NUL byte, which a STRING tensor cannot "
                        + "hold");
            }
        }
        bytes.writeBytes(element);
        bytes.write(0);
        return this;
    }

    public Tensor toTensor(long[] shape) {
        return new Tensor(DType.STRING, shape, ByteBuffer.wrap(bytes.toByteArray()));
    }
}
