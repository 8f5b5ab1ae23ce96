package org.inferis.resp;

/** RESP3 {@code #t}/{@code #f}; the integer 1/0 in RESP2. */
public record BooleanReply(boolean value) implements Reply {
    public static final BooleanReply TRUE = new BooleanReply(true);
    public static final BooleanReply FALSE = new BooleanReply(false);

    @Override
    public void writeTo(RespWriter out) {
        if (out.version() == RespVersion.RESP3) {
            out.writeLine('#', value ? "t" : "f");
        } else {
            out.writeNumberLine(':', value ? 1 : 0);
        }
    }
}
