package org.inferis.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes one reply as RESP bytes. Payloads of at least {@link #ZERO_COPY_THRESHOLD} bytes are
 * appended as their own buffer component instead of being copied, so a large tensor goes to the
 * socket straight from its storage.
 */
public final class RespWriter {
    static final int ZERO_COPY_THRESHOLD = 16 * 1024;
    private static final byte[] CRLF = {'\r', '\n'};

    private final ByteBufAllocator alloc;
    private final RespVersion version;
    private ByteBuf current;
    private CompositeByteBuf composite;

    /** A writer that appends to {@code buffer}, which may already hold earlier replies. */
    public RespWriter(ByteBufAllocator alloc, RespVersion version, ByteBuf buffer) {
        this.alloc = alloc;
        this.version = version;
        this.current = buffer;
    }

    public RespVersion version() {
        return version;
    }

    /** A prefixed line such as {@code +OK} or {@code -ERR ...}. */
    public void writeLine(char prefix, String text) {
        current.writeByte(prefix);
        ByteBufUtil.writeUtf8(current, text);
        current.writeBytes(CRLF);
    }

    /** A prefixed number line such as {@code :42} or {@code *3}. */
    public void writeNumberLine(char prefix, long value) {
        current.writeByte(prefix);
        writeDecimal(current, value);
        current.writeBytes(CRLF);
    }

    public void writeBulk(String text) {
        writeBulk(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
    }

    public void writeBulk(ByteBuffer data) {
        int length = data.remaining();
        writeNumberLine('$', length);
        if (length >= ZERO_COPY_THRESHOLD) {
            appendComponent(Unpooled.wrappedBuffer(data.duplicate()));
        } else if (data.hasArray()) {
            current.writeBytes(data.array(), data.arrayOffset() + data.position(), length);
        } else {
            current.writeBytes(data.duplicate());
        }
        current.writeBytes(CRLF);
    }

    public void writeAggregate(char prefix, List<? extends Reply> items) {
        writeNumberLine(prefix, items.size());
        for (Reply item : items) {
            item.writeTo(this);
        }
    }

    public void writeRaw(byte[] bytes) {
        current.writeBytes(bytes);
    }

    public void writeCrlf() {
        current.writeBytes(CRLF);
    }

    private void appendComponent(ByteBuf payload) {
        if (composite == null) {
            composite = alloc.compositeBuffer(Integer.MAX_VALUE);
        }
        composite.addComponent(true, current);
        composite.addComponent(true, payload);
        current = alloc.ioBuffer(64);
    }

    /** Whether a payload was appended as its own component, so {@link #finish()} is a composite. */
    boolean hasComponents() {
        return composite != null;
    }

    /** The encoded reply; the writer must not be used afterwards. */
    public ByteBuf finish() {
        if (composite == null) {
            return current;
        }
        if (current.isReadable()) {
            composite.addComponent(true, current);
        } else {
            current.release();
        }
        return composite;
    }


    static void writeDecimal(ByteBuf out, long value) {
        if (value >= 0 && value < 10) {
            out.writeByte('0' + (int) value);
            return;
        }
        if (value == Long.MIN_VALUE) {
            out.writeCharSequence(Long.toString(value), StandardCharsets.US_ASCII);
            return;
        }
        if (value < 0) {
            out.writeByte('-');
            value = -value;
        }
        int digits = 1;
        for (long v = value / 10; v != 0; v /= 10) {
            digits++;
        }
        int end = out.writerIndex() + digits;
        out.ensureWritable(digits);
        for (int i = end - 1; i >= end - digits; i--) {
            out.setByte(i, '0' + (int) (value % 10));
            value /= 10;
        }
        out.writerIndex(end);
    }
}
