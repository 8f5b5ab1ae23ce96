package org.inferis.resp;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * {@code $len data}: a binary-safe string. Large payloads (a tensor's buffer) are not copied
 * into the reply buffer but handed to the channel as they are.
 */
public record BulkReply(ByteBuffer data) implements Reply {

    public static BulkReply of(byte[] bytes) {
        return new BulkReply(ByteBuffer.wrap(bytes));
    }

    public static BulkReply of(String text) {
        return of(text.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void writeTo(RespWriter out) {
        out.writeBulk(data);
    }
}
