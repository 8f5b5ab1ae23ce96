package org.inferis.resp;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

/** Encodes {@link Reply} objects in the RESP version stored on the channel (RESP2 until HELLO 3). */
@Sharable
public final class ReplyEncoder extends ChannelOutboundHandlerAdapter {
    public static final ReplyEncoder INSTANCE = new ReplyEncoder();

    private ReplyEncoder() {
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof Reply reply)) {
            ctx.write(msg, promise);
            return;
        }
        RespVersion version = ctx.channel().attr(RespVersion.ATTRIBUTE).get();
        RespWriter writer = new RespWriter(ctx.alloc(), version == null ? RespVersion.RESP2 : version);
        try {
            reply.writeTo(writer);
        } catch (RuntimeException e) {
            writer.discard();
            promise.setFailure(e);
            return;
        }
        ctx.write(writer.finish(), promise);
    }
}
