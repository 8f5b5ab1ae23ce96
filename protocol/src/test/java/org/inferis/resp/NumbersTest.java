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

    @Test
    void plainDecimalsParseToTheSameDoubleAsTheJdk() {
        java.util.Random random = new java.util.Random(42);
        java.util.List<String> texts = new java.util.ArrayList<>(java.util.List.of("0", "-0", "+7", "1.", ".5", "-.25",
                "0.1", "0.3", "123456789012345", "-999999999999999", "1234567.89012345", "0.000000000000001",
                "3.141592653589793", "1e3", "1.5E-7", "0.30000000000000004", "1234567890123456789"));
        for (int i = 0; i < 100_000; i++) {
            String digits = Long.toString(Math.abs(random.nextLong()) % 1_000_000_000_000_000L);
            int point = random.nextInt(digits.length() + 1);
            texts.add((random.nextBoolean() ? "-" : "") + digits.substring(0, point) + "." + digits.substring(point));
        }
        for (String text : texts) {
            double expected = Double.parseDouble(text);
            assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(parseDouble(text)), text);
        }
    }
}
