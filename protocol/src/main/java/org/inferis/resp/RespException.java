package org.inferis.resp;

/**
 * A command's failure, answered to the client as an error reply. The message starts with the RESP
 * error code ({@code ERR}, {@code WRONGTYPE}, {@code BUSY}, {@code NOAUTH}, ...).
 */
public class RespException extends RuntimeException {

    public RespException(String messageWithCode) {
        super(messageWithCode, null, false, false);
    }

    /** An {@code ERR}-coded failure. */
    public static RespException err(String message) {
        return new RespException("ERR " + message);
    }

    public ErrorReply toReply() {
        return new ErrorReply(getMessage());
    }
}
