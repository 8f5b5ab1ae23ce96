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
        double plain = plainDecimal(arg);
        if (!Double.isNaN(plain)) {
            return plain;
        }
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

    private static final double[] POWERS_OF_TEN = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
        1e13, 1e14, 1e15};

    /**
     * A plain decimal ({@code [-+]digits[.digits]}, at most 15 digits) read without making a String; NaN for anything
     * else, left to the general parser. Below 2^53 the digits and the power of ten are exact doubles, so the one
     * division is correctly rounded, the same double as {@link Double#parseDouble} (Clinger's fast path).
     */
    private static double plainDecimal(ByteBuf arg) {
        int i = arg.readerIndex();
        int end = arg.writerIndex();
        if (i == end) {
            return Double.NaN;
        }
        byte sign = arg.getByte(i);
        boolean negative = sign == '-';
        if (negative || sign == '+') {
            i++;
        }
        long digits = 0;
        int count = 0;
        int fraction = -1; // digits after the point; -1: no point
        for (; i < end; i++) {
            byte c = arg.getByte(i);
            if (c >= '0' && c <= '9') {
                if (++count > 15) {
                    return Double.NaN;
                }
                digits = digits * 10 + (c - '0');
                if (fraction >= 0) {
                    fraction++;
                }
            } else if (c == '.' && fraction < 0) {
                fraction = 0;
            } else {
                return Double.NaN;
            }
        }
        if (count == 0) {
            return Double.NaN;
        }
        double value = fraction > 0 ? digits / POWERS_OF_TEN[fraction] : digits;
        return negative ? -value : value;
    }
}
