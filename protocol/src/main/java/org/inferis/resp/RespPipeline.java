package org.inferis.resp;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.redis.RedisDecoder;

/** Installs request decoding and reply encoding on a channel; the caller adds its command handler after. */
public final class RespPipeline {
    private RespPipeline() {
    }

    public static void install(ChannelPipeline pipeline, RequestLimits limits) {
        RedisDecoder decoder = new RedisDecoder(true);
        RequestAggregator aggregator = new RequestAggregator(limits);
        pipeline.addLast("resp-fast-path", new MultibulkFastPath(limits, decoder, aggregator));
        pipeline.addLast("resp-decoder", decoder);
        pipeline.addLast("resp-encoder", new ReplyEncoder());
        pipeline.addLast("resp-requests", aggregator);
    }
}
