package org.inferis.resp;

import java.nio.charset.StandardCharsets;

/** RESP3 {@code =len fmt:text} (format {@code txt} or {@code mkd}); a bulk string of the text in RESP2. */
public record VerbatimReply(String format, String text) implements Reply {

    public static VerbatimReply text(String text) {
        return new VerbatimReply("txt", text);
    }

    @Override
    public void writeTo(RespWriter out) {
        if (out.version() == RespVersion.RESP3) {
            byte[] body = (format + ":" + text).getBytes(StandardCharsets.UTF_8);
            out.writeNumberLine('=', body.length);
            out.writeRaw(body);
            out.writeCrlf();
        } else {
            out.writeBulk(text);
        }
    }
}
