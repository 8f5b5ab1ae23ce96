package org.inferis.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;

/**
 * One client command: its arguments as read from the network, without copies. The owner calls
 * {@link #release()} once the command no longer needs them.
 */
public final class Request {
    private final ByteBuf[] args;
    private final boolean owner;
    /** When not null, the one reference {@link #release()} gives back: the arguments are unretained slices of it. */
    private final ByteBuf backing;

    /** Takes ownership of the arguments. */
    public Request(ByteBuf... args) {
        this(args, true, null);
    }

    /**
     * Takes ownership of one reference to {@code backing}, which the arguments slice without references of their
     * own: one reference count change a request instead of two an argument (the fast path's pipelined SETs).
     */
    Request(ByteBuf[] args, ByteBuf backing) {
        this(args, true, backing);
    }

    private Request(ByteBuf[] args, boolean owner, ByteBuf backing) {
        if (args.length == 0) {
            throw new IllegalArgumentException("a request has at least a command name");
        }
        this.args = args;
        this.owner = owner;
        this.backing = backing;
    }

    /** Arguments {@code from..to-1} as a request of their own (one step of a DAG), valid as long as this one. */
    public Request view(int from, int to) {
        return new Request(java.util.Arrays.copyOfRange(args, from, to), false, null);
    }

    /** A copy that owns its own buffers and outlives this request (a command queued by MULTI). */
    public Request copy() {
        ByteBuf[] copies = new ByteBuf[args.length];
        for (int i = 0; i < args.length; i++) {
            copies[i] = Unpooled.copiedBuffer(args[i]);
        }
        return new Request(copies, true, null);
    }

    public int size() {
        return args.length;
    }

    /** The argument's bytes, owned by this request: valid until {@link #release()}. */
    public ByteBuf arg(int index) {
        return args[index];
    }

    public byte[] bytes(int index) {
        return ByteBufUtil.getBytes(args[index]);
    }

    public String string(int index) {
        return args[index].toString(StandardCharsets.UTF_8);
    }

    /** Whether the argument equals {@code keyword} ignoring ASCII case, without allocating. */
    public boolean is(int index, String keyword) {
        ByteBuf arg = args[index];
        int length = arg.readableBytes();
        if (length != keyword.length()) {
            return false;
        }
        int start = arg.readerIndex();
        for (int i = 0; i < length; i++) {
            int c = arg.getByte(start + i);
            if (c != keyword.charAt(i) && Character.toUpperCase(c) != Character.toUpperCase(keyword.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    public void release() {
        if (!owner) {
            return;
        }
        if (backing != null) {
            backing.release();
            return;
        }
        for (ByteBuf arg : args) {
            ReferenceCountUtil.safeRelease(arg);
        }
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < args.length; i++) {
            text.append(i == 0 ? "" : " ").append('"').append(string(i)).append('"');
        }
        return text.toString();
    }
}
