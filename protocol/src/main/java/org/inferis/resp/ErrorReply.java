package org.inferis.resp;

/** {@code -CODE message}: the message starts with its error code, e.g. {@code ERR} or {@code WRONGTYPE}. */
public record ErrorReply(String message) implements Reply {

    /** An {@code ERR}-coded error. */
    public static ErrorReply err(String message) {
        return new ErrorReply("ERR " + message);
    }

    @Override
    public void writeTo(RespWriter out) {
        // CR or LF inside an error line would break framing for the client.
        out.writeLine('-', message.replace('\r', ' ').replace('\n', ' '));
    }
}
