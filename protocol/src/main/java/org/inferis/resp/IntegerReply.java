package org.inferis.resp;

/** {@code :n}. */
public record IntegerReply(long value) implements Reply {
    private static final IntegerReply[] SMALL = new IntegerReply[130];

    static {
        for (int i = 0; i < SMALL.length; i++) {
            SMALL[i] = new IntegerReply(i - 1);
        }
    }

    public static IntegerReply of(long value) {
        return value >= -1 && value < SMALL.length - 1 ? SMALL[(int) value + 1] : new IntegerReply(value);
    }

    @Override
    public void writeTo(RespWriter out) {
        out.writeNumberLine(':', value);
    }
}
