package org.inferis.resp;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/** Strict number parsing of arguments, as Redis's {@code string2ll} and {@code string2d}. */
public final class Numbers {
    private Numbers() {
    }

    /** A decimal long: optional '-', no '+', no spaces, no leading zeros. */
    public static long parseLong(ByteBuf text) {
        int length = text.readableBytes();
        int start = text.readerIndex();
        if (length == 0 || length > 20) {
            throw new NumberFormatException();
        }
        boolean negative = text.getByte(start) == '-';
        int i = negative ? 1 : 0;
        if (i == length || (text.getByte(start + i) == '0' && length > i + 1)) {
            throw new NumberFormatException();
        }
        long value = 0;
        for (; i < length; i++) {
            int digit = text.getByte(start + i) - '0';
            if (digit < 0 || digit > 9) {
                throw new NumberFormatException();
            }
            // accumulate negatively so Long.MIN_VALUE parses
            value = Math.subtractExact(Math.multiplyExact(value, 10), digit);
        }
        if (negative) {
            return value;
        }
        if (value == Long.MIN_VALUE) {
            throw new NumberFormatException();
        }
        return -value;
    }

    /** A finite or infinite decimal double ({@code inf}, {@code -inf} accepted; NaN and hex refused). */
    public static double parseDouble(ByteBuf arg) {
        String text = arg.toString(StandardCharsets.US_ASCII);
        String lower = text.toLowerCase(java.util.Locale.ROOT);
        switch (lower) {
            case "inf", "+inf", "infinity", "+infinity":
                return Double.POSITIVE_INFINITY;
            case "-inf", "-infinity":
                return Double.NEGATIVE_INFINITY;
            default:
                break;
        }
        if (text.isEmpty()) {
            throw new NumberFormatException();
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+')) {
                throw new NumberFormatException();
            }
        }
        return Double.parseDouble(text);
    }
}
