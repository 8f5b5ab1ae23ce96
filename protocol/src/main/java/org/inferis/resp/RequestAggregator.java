package org.inferis.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.redis.ArrayHeaderRedisMessage;
import io.netty.handler.codec.redis.BulkStringHeaderRedisMessage;
import io.netty.handler.codec.redis.BulkStringRedisContent;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.InlineCommandRedisMessage;
import io.netty.handler.codec.redis.LastBulkStringRedisContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Turns the message stream of Netty's {@code RedisDecoder} into {@link Request}s: an array of bulk
 * strings, or an inline command. Limits are checked on each header, before its payload is buffered,
 * and broken framing is answered with a protocol error and a closed connection, as Redis does.
 * Used instead of Netty's aggregators, which preallocate whatever array length a client declares.
 */
public final class RequestAggregator extends ChannelInboundHandlerAdapter {
    /** Arguments beyond this many are collected in a growing array, so a declared length allocates nothing. */
    private static final int PREALLOCATED_ARGUMENTS = 64;

    private final RequestLimits limits;
    private ByteBuf[] args;
    private int argCount;
    private int expectedArgs;
    private int maxBulkLength;
    private long requestBytesLeft;
    private CompositeByteBuf partialArg;
    private boolean failed;

    public RequestAggregator(RequestLimits limits) {
        this.limits = limits;
    }

    /** Whether no request is part-read and the connection is not failing: the next message starts a request. */
    boolean idle() {
        return args == null && partialArg == null && !failed;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Request) {
            ctx.fireChannelRead(msg); // decoded by the fast path
            return;
        }
        if (failed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof ArrayHeaderRedisMessage header) {
            onArrayHeader(ctx, header.length());
        } else if (msg instanceof BulkStringHeaderRedisMessage header) {
            onBulkHeader(ctx, header.bulkStringLength());
        } else if (msg instanceof FullBulkStringRedisMessage full) {
            // Netty sends only the empty and null bulk strings whole.
            if (full.isNull() || args == null) {
                fail(ctx, args == null ? "expected '*', got '$'" : "invalid bulk length");
            } else {
                addArg(ctx, Unpooled.EMPTY_BUFFER);
            }
        } else if (msg instanceof BulkStringRedisContent chunk) {
            onContent(ctx, chunk, msg instanceof LastBulkStringRedisContent);
        } else if (msg instanceof InlineCommandRedisMessage inline) {
            onInline(ctx, inline.content());
        } else {
            ReferenceCountUtil.release(msg);
            fail(ctx, "unexpected '" + msg.getClass().getSimpleName() + "' in a request");
        }
    }

    private void onArrayHeader(ChannelHandlerContext ctx, long length) {
        if (args != null) {
            fail(ctx, "expected '$', got '*'");
        } else if (length > limits.argumentLimit()) {
            fail(ctx, limits.tooMany());
        } else if (length > 0) {
            expectedArgs = (int) length;
            maxBulkLength = limits.bulkLimit();
            requestBytesLeft = limits.maxRequestLength().getAsLong();
            args = new ByteBuf[Math.min(expectedArgs, PREALLOCATED_ARGUMENTS)];
            argCount = 0;
        }
        // *0 and *-1 are ignored, as Redis ignores them.
    }

    private void onBulkHeader(ChannelHandlerContext ctx, int length) {
        if (args == null) {
            fail(ctx, "expected '*', got '$'");
        } else if (length > maxBulkLength) {
            fail(ctx, limits.tooLong());
        } else if ((requestBytesLeft -= length) < 0) {
            fail(ctx, "query buffer limit reached (client-query-buffer-limit)");
        }
    }

    private void onContent(ChannelHandlerContext ctx, BulkStringRedisContent chunk, boolean last) {
        ByteBuf content = chunk.content();
        if (args == null) {
            content.release();
            fail(ctx, "unexpected bulk data");
            return;
        }
        if (last && partialArg == null) {
            addArg(ctx, content);
            return;
        }
        if (partialArg == null) {
            partialArg = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
        }
        partialArg.addComponent(true, content);
        if (last) {
            ByteBuf whole = partialArg;
            partialArg = null;
            addArg(ctx, whole);
        }
    }

    private void addArg(ChannelHandlerContext ctx, ByteBuf arg) {
        if (argCount == args.length) {
            args = java.util.Arrays.copyOf(args, Math.min(expectedArgs, args.length * 2));
        }
        args[argCount++] = arg;
        if (argCount == expectedArgs) {
            Request request = new Request(args);
            args = null;
            ctx.fireChannelRead(request);
        }
    }

    private void onInline(ChannelHandlerContext ctx, String line) {
        List<byte[]> words = ArgumentSplitter.split(line.getBytes(StandardCharsets.ISO_8859_1));
        if (words == null) {
            fail(ctx, "unbalanced quotes in request");
            return;
        }
        if (words.isEmpty()) {
            return; // an empty line, as telnet users send, is ignored
        }
        ByteBuf[] inlineArgs = new ByteBuf[words.size()];
        for (int i = 0; i < inlineArgs.length; i++) {
            inlineArgs[i] = Unpooled.wrappedBuffer(words.get(i));
        }
        ctx.fireChannelRead(new Request(inlineArgs));
    }

    private void fail(ChannelHandlerContext ctx, String reason) {
        failed = true;
        releasePartial();
        ctx.channel().config().setAutoRead(false);
        ctx.writeAndFlush(ErrorReply.err("Protocol error: " + reason)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof DecoderException && !failed) {
            // Netty's codec errors say what was wrong with the bytes; anything else is ours, and no client's business
            Throwable reason = cause.getCause() == null ? cause : cause.getCause();
            fail(ctx, reason instanceof io.netty.handler.codec.redis.RedisCodecException
                    ? String.valueOf(reason.getMessage()) : "invalid request");
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releasePartial();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releasePartial();
        ctx.fireChannelInactive();
    }

    private void releasePartial() {
        if (args != null) {
            for (int i = 0; i < argCount; i++) {
                ReferenceCountUtil.safeRelease(args[i]);
            }
            args = null;
        }
        if (partialArg != null) {
            partialArg.release();
            partialArg = null;
        }
    }
}
