package org.inferis.resp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class NumbersTest {
    private static long parseLong(String text) {
        return Numbers.parseLong(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
    }

    private static double parseDouble(String text) {
        return Numbers.parseDouble(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
    }

    @Test
    void parsesLongsStrictly() {
        assertEquals(0, parseLong("0"));
        assertEquals(-128, parseLong("-128"));
        assertEquals(Long.MAX_VALUE, parseLong("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, parseLong("-9223372036854775808"));
        for (String bad : new String[] {"", "-", "+1", "01", " 1", "1 ", "1.0", "9223372036854775808", "abc"}) {
            assertThrows(RuntimeException.class, () -> parseLong(bad), bad);
        }
    }

    @Test
    void parsesDoublesStrictly() {
        assertEquals(1.5, parseDouble("1.5"));
        assertEquals(-2e3, parseDouble("-2e3"));
        assertEquals(Double.POSITIVE_INFINITY, parseDouble("inf"));
        for (String bad : new String[] {"", "A", "1.5f", "0x10", "nan", "NaN", "1d"}) {
            assertThrows(NumberFormatException.class, () -> parseDouble(bad), bad);
        }
    }
}
