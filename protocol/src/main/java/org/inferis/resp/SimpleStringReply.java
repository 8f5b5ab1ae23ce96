package org.inferis.resp;

/** {@code +text}: a status line without CR or LF. */
public record SimpleStringReply(String text) implements Reply {
    public static final SimpleStringReply OK = new SimpleStringReply("OK");
    public static final SimpleStringReply PONG = new SimpleStringReply("PONG");

    @Override
    public void writeTo(RespWriter out) {
        out.writeLine('+', text);
    }
}
