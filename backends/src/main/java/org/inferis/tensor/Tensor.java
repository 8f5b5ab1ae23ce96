package org.inferis.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable tensor: dtype, shape and one contiguous little-endian, row-major buffer that replies
 * and engines read in place. STRING elements are NUL-terminated.
 */
public final class Tensor {
    private final DType dtype;
    private final long[] shape;
    private final long elementCount;
    private final ByteBuffer data;

    /** Takes the buffer (position 0, limit = byte size) without copying it. */
    public Tensor(DType dtype, long[] shape, ByteBuffer data) {
        this.dtype = dtype;
        this.shape = shape;
        this.elementCount = elementCount(shape);
        this.data = data.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The STRING element at the buffer's position, without its terminating NUL; the position moves past the NUL. */
    public static byte[] nextString(ByteBuffer data) {
        int end = data.position();
        while (data.get(end) != 0) {
            end++;
        }
        byte[] element = new byte[end - data.position()];
        data.get(element);
        data.get();
        return element;
    }

    public static long elementCount(long[] shape) {
        long count = 1;
        for (long dim : shape) {
            count = Math.multiplyExact(count, dim);
        }
        return count;
    }

    public DType dtype() {
        return dtype;
    }

    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int axis) {
        return shape[axis];
    }

    public long elementCount() {
        return elementCount;
    }

    /** A read-only little-endian view of the data, positioned at 0. */
    public ByteBuffer data() {
        return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Rows {@code [start, start + rows)} along dim 0, sharing this tensor's buffer (no copy). */
    public Tensor slice(long start, long rows) {
        if (rank() == 0 || start < 0 || rows < 0 || start + rows > shape[0]) {
            throw new IllegalArgumentException("rows " + start + "+" + rows + " of " + this);
        }
        long bytesPerRow = shape[0] == 0 ? 0 : byteSize() / shape[0];
        ByteBuffer rowData = data();
        rowData.position((int) (start * bytesPerRow)).limit((int) ((start + rows) * bytesPerRow));
        long[] rowShape = shape.clone();
        rowShape[0] = rows;
        return new Tensor(dtype, rowShape, rowData.slice());
    }

    /** Tensors of one dtype whose dims agree but for the first, stacked along dim 0 (one copy). */
    public static Tensor concat(List<Tensor> parts) {
        Tensor first = parts.get(0);
        long rows = 0;
        long bytes = 0;
        for (Tensor part : parts) {
            rows += part.dim(0);
            bytes += part.byteSize();
        }
        ByteBuffer joined = ByteBuffer.allocate(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
        for (Tensor part : parts) {
            joined.put(part.data());
        }
        joined.flip();
        long[] shape = first.shape();
        shape[0] = rows;
        return new Tensor(first.dtype, shape, joined);
    }

    /** Whether two tensors can be stacked along dim 0: same dtype and rank, equal dims after the first. */
    public boolean stacksWith(Tensor other) {
        if (dtype != other.dtype || rank() == 0 || rank() != other.rank() || dtype == DType.STRING) {
            return false;
        }
        for (int axis = 1; axis < rank(); axis++) {
            if (shape[axis] != other.shape[axis]) {
                return false;
            }
        }
        return true;
    }

    public long byteSize() {
        return data.capacity();
    }

    @Override
    public String toString() {
        return "Tensor[" + dtype + " " + Arrays.toString(shape) + "]";
    }
}
