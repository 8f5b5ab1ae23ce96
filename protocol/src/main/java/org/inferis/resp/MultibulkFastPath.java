package org.inferis.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.redis.RedisDecoder;
import io.netty.util.internal.PlatformDependent;

/**
 * Decodes the common case straight into {@link Request}s: multibulk frames within limits and smaller than
 * {@link #MAX_CARRIED} bytes. A small frame cut by the end of a read is carried over and completed by the next.
 * Anything else (an inline command, a large frame, a header over a limit, bad framing) and everything after it
 * goes to Netty's {@code RedisDecoder} and the {@link RequestAggregator}, which stay the reference decoder; the
 * fast path resumes once they hold nothing part-read: the aggregator has no open request and the decoder has let
 * go of what it accumulated (seen through its cumulator).
 *
 * <p>Why: netty-codec-redis emits seven messages for a SET (array header, then a header and a content per
 * argument), each through the pipeline; pipelined writes measured 0.72-0.88x Redis with it alone. Arguments
 * here are slices of the read buffer, as they are on the reference path, holding one reference to it a request.
 */
final class MultibulkFastPath extends ChannelInboundHandlerAdapter {
    /** Frames up to this size are carried across reads here; larger ones stream through the reference decoder. */
    static final int MAX_CARRIED = 64 * 1024;
    /** Longest number accepted on the fast path; longer ones go to the reference decoder and its errors. */
    private static final int MAX_DIGITS = 10;

    /** INCOMPLETE: a small frame cut short; SKIPPED: bytes consumed that make no request; OTHER: for the reference. */
    private enum Outcome { COMPLETE, INCOMPLETE, SKIPPED, OTHER }

    private final RequestLimits limits;
    private final RequestAggregator aggregator;
    /** The bytes the reference decoder may still hold; null when it holds none. */
    private ByteBuf heldByDecoder;
    /** The start of a small frame cut by the end of the last read (a copy); null when none. */
    private ByteBuf carried;
    /** Set by {@link #decode}: why it returned no request. */
    private Outcome outcome;
    /** Set by {@link #number}: the index after the number's CRLF. */
    private int lineEnd;

    MultibulkFastPath(RequestLimits limits, RedisDecoder decoder, RequestAggregator aggregator) {
        this.limits = limits;
        this.aggregator = aggregator;
        // unpooled, so a released cumulation is never reused and mistaken for a held one
        decoder.setCumulator((alloc, cumulation, in) -> heldByDecoder = ByteToMessageDecoder.MERGE_CUMULATOR
                .cumulate(UnpooledByteBufAllocator.DEFAULT, cumulation, in));
    }

    /**
     * The decoder keeps a buffer only while it has unread bytes, and releases it once they are read; a buffer
     * released or read to the end is no longer its.
     */
    private boolean referenceIdle() {
        if (heldByDecoder != null && (heldByDecoder.refCnt() == 0 || !heldByDecoder.isReadable())) {
            heldByDecoder = null;
        }
        return heldByDecoder == null && aggregator.idle();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (carried == null && !referenceIdle()) {
            toReference(ctx, in);
            return;
        }
        ByteBuf rest = carried == null ? in : completeCarried(ctx, in);
        if (rest != null) {
            decodeAll(ctx, rest);
        }
    }

    /**
     * Finishes the carried frame with the start of this read. Returns the read positioned after that frame, or
     * null when the read was used up (still carried, or handed to the reference decoder with the carried bytes).
     */
    private ByteBuf completeCarried(ChannelHandlerContext ctx, ByteBuf in) {
        int carriedLength = carried.readableBytes();
        CompositeByteBuf joined = ctx.alloc().compositeBuffer(2);
        joined.addComponent(true, carried);
        joined.addComponent(true, in.retainedDuplicate());
        carried = null;
        Request request = decode(joined);
        while (request == null && outcome == Outcome.SKIPPED && joined.isReadable()) {
            request = decode(joined);
        }
        if (request != null || !joined.isReadable()) {
            in.skipBytes(joined.readerIndex() - carriedLength);
            joined.release(); // the request keeps what its arguments slice
            if (request != null) {
                ctx.fireChannelRead(request);
            }
            return in;
        }
        in.release();
        if (outcome == Outcome.INCOMPLETE) {
            carry(joined);
        } else {
            toReference(ctx, joined);
        }
        return null;
    }

    private void decodeAll(ChannelHandlerContext ctx, ByteBuf in) {
        try {
            while (in.isReadable() && ctx.channel().isActive()) {
                Request request = decode(in);
                if (request == null) {
                    if (outcome == Outcome.SKIPPED) {
                        continue;
                    }
                    break;
                }
                ctx.fireChannelRead(request);
            }
        } catch (RuntimeException e) {
            in.release();
            throw e;
        }
        if (!in.isReadable()) {
            in.release();
        } else if (outcome == Outcome.INCOMPLETE) {
            carry(in);
        } else {
            toReference(ctx, in); // the rest, from the start of a frame
        }
    }

    /** Keeps a copy of the unread start of a small frame for the next read, and releases the buffer. */
    private void carry(ByteBuf partial) {
        carried = Unpooled.buffer(partial.readableBytes() * 2).writeBytes(partial);
        partial.release();
    }

    /**
     * Hands bytes to the reference decoder. If some are still unread afterwards, the decoder kept the buffer to
     * wait for the rest of a frame (when it already held bytes, its cumulator took these and says what it holds).
     */
    private void toReference(ChannelHandlerContext ctx, ByteBuf in) {
        in.retain();
        try {
            ctx.fireChannelRead(in);
            if (in.isReadable()) {
                heldByDecoder = in;
            }
        } finally {
            in.release();
        }
    }

    /**
     * A complete frame at the reader index, consumed; or null with nothing consumed and {@link #outcome} saying
     * whether a small frame is merely cut short ({@code INCOMPLETE}) or this is for the reference decoder.
     */
    private Request decode(ByteBuf in) {
        int start = in.readerIndex();
        int end = in.writerIndex();
        outcome = Outcome.OTHER;
        byte first = in.getByte(start);
        if (first == '\r' || first == '\n') { // empty lines between commands, as telnet sends: Redis ignores them
            in.skipBytes(1);
            outcome = Outcome.SKIPPED;
            return null;
        }
        if (first != '*') {
            return inline(in);
        }
        if (start + 1 < end && (in.getByte(start + 1) == '-' || in.getByte(start + 1) == '0')) {
            return nonPositiveCount(in);
        }
        long address = in.hasMemoryAddress() ? in.memoryAddress() : 0;
        long count = number(in, address, start + 1, end);
        if (count == -2) {
            outcome = Outcome.INCOMPLETE;
            return null;
        }
        if (count <= 0 || count > limits.argumentLimit() || count > MAX_CARRIED / 4) {
            return null;
        }
        int position = lineEnd;
        long maxBulk = limits.bulkLimit();
        long budget = Math.min(limits.maxRequestLength().getAsLong(), MAX_CARRIED);
        ByteBuf[] args = new ByteBuf[(int) count];
        int parsed = 0;
        for (; parsed < count; parsed++) {
            if (position >= end) {
                outcome = Outcome.INCOMPLETE;
                break;
            }
            if (byteAt(in, address, position) != '$') {
                break;
            }
            long length = number(in, address, position + 1, end);
            if (length == -2) {
                outcome = Outcome.INCOMPLETE;
                break;
            }
            if (length < 0 || length > maxBulk || (budget -= length) < 0) {
                break;
            }
            int content = lineEnd;
            if ((long) content + length + 2 > end) {
                outcome = Outcome.INCOMPLETE;
                break;
            }
            if (byteAt(in, address, (int) (content + length)) != '\r'
                    || byteAt(in, address, (int) (content + length + 1)) != '\n') {
                break;
            }
            args[parsed] = in.slice(content, (int) length);
            position = (int) (content + length + 2);
        }
        if (parsed < count) {
            return null;
        }
        in.readerIndex(position);
        return new Request(args, in.retain());
    }

    /** {@code *-5}, {@code *0}, {@code *-1}: Redis skips a multibulk header announcing no arguments. */
    private Request nonPositiveCount(ByteBuf in) {
        int start = in.readerIndex();
        int eol = in.indexOf(start, Math.min(in.writerIndex(), start + MAX_DIGITS + 4), (byte) '\n');
        if (eol < 0) {
            outcome = in.writerIndex() - start < MAX_DIGITS + 4 ? Outcome.INCOMPLETE : Outcome.OTHER;
            return null;
        }
        int last = in.getByte(eol - 1) == '\r' ? eol - 2 : eol - 1;
        for (int i = start + 2; i <= last; i++) {
            byte c = in.getByte(i);
            if (c < '0' || c > '9') {
                return null; // malformed: the reference decoder says so
            }
        }
        in.readerIndex(eol + 1);
        outcome = Outcome.SKIPPED;
        return null;
    }

    /**
     * An inline command (telnet style), ending in CRLF or, as Redis accepts, a bare LF; split as the reference path
     * splits it. Lines longer than a carried frame, or with unbalanced quotes, go to the reference decoder.
     */
    private Request inline(ByteBuf in) {
        int start = in.readerIndex();
        int end = in.writerIndex();
        int eol = in.indexOf(start, Math.min(end, start + MAX_CARRIED), (byte) '\n');
        if (eol < 0) {
            outcome = end - start < MAX_CARRIED ? Outcome.INCOMPLETE : Outcome.OTHER;
            return null;
        }
        byte[] line = new byte[(eol > start && in.getByte(eol - 1) == '\r' ? eol - 1 : eol) - start];
        in.getBytes(start, line);
        java.util.List<byte[]> words = ArgumentSplitter.split(line);
        if (words == null || words.size() > limits.argumentLimit()) {
            return null;
        }
        in.readerIndex(eol + 1);
        if (words.isEmpty()) {
            outcome = Outcome.SKIPPED;
            return null;
        }
        ByteBuf[] args = new ByteBuf[words.size()];
        for (int i = 0; i < args.length; i++) {
            args[i] = Unpooled.wrappedBuffer(words.get(i));
        }
        return new Request(args);
    }

    /**
     * The non-negative decimal at {@code from} up to CRLF; -2 when the bytes end before its CRLF, -1 when it is
     * malformed or longer than the fast path takes.
     */
    private long number(ByteBuf in, long address, int from, int end) {
        long value = 0;
        int i = from;
        for (; i < end && i - from <= MAX_DIGITS; i++) {
            byte c = byteAt(in, address, i);
            if (c == '\r') {
                break;
            }
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        if (i + 1 >= end && i - from <= MAX_DIGITS) {
            return -2;
        }
        if (i == from || i - from > MAX_DIGITS || byteAt(in, address, i) != '\r'
                || byteAt(in, address, i + 1) != '\n') {
            return -1;
        }
        lineEnd = i + 2;
        return value;
    }

    /**
     * A byte below the writer index, read straight from memory when the buffer has an address ({@code address}, 0
     * when not), as the direct buffers reads fill have: through {@code getByte} the headers' digits cost 11% of the
     * loop's own time in pipelined SETs.
     */
    private static byte byteAt(ByteBuf in, long address, int index) {
        return address != 0 ? PlatformDependent.getByte(address + index) : in.getByte(index);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseCarried();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseCarried();
        ctx.fireChannelInactive();
    }

    private void releaseCarried() {
        if (carried != null) {
            carried.release();
            carried = null;
        }
    }
}
