package org.inferis.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class TensorTest {
    private static Tensor ints(long[] shape, int... values) {
        ByteBuffer data = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int value : values) {
            data.putInt(value);
        }
        data.flip();
        return new Tensor(DType.INT32, shape, data);
    }

    private static int[] values(Tensor tensor) {
        ByteBuffer data = tensor.data();
        int[] values = new int[(int) tensor.elementCount()];
        for (int i = 0; i < values.length; i++) {
            values[i] = data.getInt();
        }
        return values;
    }

    @Test
    void concatStacksRowsAndSliceTakesThemBack() {
        Tensor a = ints(new long[] {1, 2}, 1, 2);
        Tensor b = ints(new long[] {2, 2}, 3, 4, 5, 6);
        Tensor joined = Tensor.concat(List.of(a, b));
        assertArrayEquals(new long[] {3, 2}, joined.shape());
        assertArrayEquals(new int[] {1, 2, 3, 4, 5, 6}, values(joined));
        assertArrayEquals(new int[] {1, 2}, values(joined.slice(0, 1)));
        Tensor rest = joined.slice(1, 2);
        assertArrayEquals(new long[] {2, 2}, rest.shape());
        assertArrayEquals(new int[] {3, 4, 5, 6}, values(rest));
        assertEquals(0, rest.data().position());
    }

    @Test
    void stackingNeedsTheSameDtypeAndTrailingDims() {
        Tensor a = ints(new long[] {1, 2}, 1, 2);
        assertTrue(a.stacksWith(ints(new long[] {3, 2}, 1, 2, 3, 4, 5, 6)));
        assertFalse(a.stacksWith(ints(new long[] {1, 1, 2}, 1, 2)));
        assertFalse(a.stacksWith(ints(new long[] {2, 1}, 1, 2)));
        assertFalse(a.stacksWith(new Tensor(DType.FLOAT, new long[] {1, 2}, ByteBuffer.allocate(8))));
        assertFalse(ints(new long[] {}, 1).stacksWith(ints(new long[] {}, 1)));
    }
}
