package org.inferis.resp;

/** RESP3 {@code _}; in RESP2 a null bulk {@code $-1} or a null array {@code *-1}, as Redis chooses per command. */
public final class NullReply implements Reply {
    public static final NullReply BULK = new NullReply("$-1");
    public static final NullReply ARRAY = new NullReply("*-1");

    private final String resp2;

    private NullReply(String resp2) {
        this.resp2 = resp2;
    }

    @Override
    public void writeTo(RespWriter out) {
        if (out.version() == RespVersion.RESP3) {
            out.writeLine('_', "");
        } else {
            out.writeLine(resp2.charAt(0), resp2.substring(1));
        }
    }
}
