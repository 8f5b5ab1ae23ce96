package org.inferis.command;

import java.util.concurrent.CompletableFuture;
import org.inferis.resp.Reply;
import org.inferis.resp.RespWriter;

/**
 * A reply that completes later (a blocked BRPOP, a model run). The connection sends it, then goes on
 * with the commands queued behind it; cancelling the future tells the producer the client has gone.
 */
public record PendingReply(CompletableFuture<Reply> future) implements Reply {
    @Override
    public void writeTo(RespWriter out) {
        throw new IllegalStateException("a pending reply is resolved by the connection, never encoded");
    }
}
