package org.inferis.resp;

/** RESP3 {@code ,d}; a bulk string in RESP2, formatted as Redis does. */
public record DoubleReply(double value) implements Reply {

    @Override
    public void writeTo(RespWriter out) {
        String text = format(value);
        if (out.version() == RespVersion.RESP3) {
            out.writeLine(',', text);
        } else {
            out.writeBulk(text);
        }
    }

    /** Shortest text that reads back to the same double: {@code 1}, {@code 1.5}, {@code 1e+20}, {@code inf}. */
    public static String format(double value) {
        if (Double.isNaN(value)) {
            return "nan";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "inf" : "-inf";
        }
        if (value == Math.rint(value) && Math.abs(value) < 1e17) {
            return Long.toString((long) value);
        }
        String text = Double.toString(value);
        int e = text.indexOf('E');
        if (e < 0) {
            return text;
        }
        String mantissa = text.substring(0, e);
        if (mantissa.endsWith(".0")) {
            mantissa = mantissa.substring(0, mantissa.length() - 2);
        }
        String exponent = text.substring(e + 1);
        String sign = exponent.startsWith("-") ? "-" : "+";
        String digits = exponent.startsWith("-") ? exponent.substring(1) : exponent;
        // at least two exponent digits, as C's %g writes them
        return mantissa + "e" + sign + (digits.length() < 2 ? "0" + digits : digits);
    }
}
