package org.inferis.tensor.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HalfTest {
    @Test
    void float16KnownEncodings() {
        assertEquals(0x3c00, Half.float16(1.0f) & 0xffff);
        assertEquals(0xc000, Half.float16(-2.0f) & 0xffff);
        assertEquals(0x7bff, Half.float16(65504f) & 0xffff);
        assertEquals(0x7c00, Half.float16(70000f) & 0xffff);
        assertEquals(0x0001, Half.float16(0x1p-24f) & 0xffff);
        assertEquals(0x3555, Half.float16(1f / 3) & 0xffff);
        assertTrue(Float.isNaN(Half.fromFloat16(Half.float16(Float.NaN))));
    }

    @Test
    void float16RoundTripsEveryHalfValue() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float value = Half.fromFloat16((short) bits);
            if (!Float.isNaN(value)) {
                assertEquals(bits, Half.float16(value) & 0xffff, "bits " + Integer.toHexString(bits));
            }
        }
    }

    @Test
    void float16RoundsHalfwayToEven() {
        // 1 + 2^-11 lies halfway between 1 and the next half (1 + 2^-10): ties go to the even mantissa
        assertEquals(0x3c00, Half.float16(1f + 0x1p-11f) & 0xffff);
        assertEquals(0x3c02, Half.float16(1f + 3 * 0x1p-11f) & 0xffff);
    }

    @Test
    void bfloat16KeepsTheUpperBitsRounded() {
        assertEquals(0x3f80, Half.bfloat16(1.0f) & 0xffff);
        assertEquals(1.0f, Half.fromBfloat16(Half.bfloat16(1.0f)));
        assertEquals(3.140625f, Half.fromBfloat16(Half.bfloat16(3.14159f)));
        assertTrue(Float.isNaN(Half.fromBfloat16(Half.bfloat16(Float.NaN))));
    }
}
