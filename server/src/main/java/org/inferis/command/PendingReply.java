package org.inferis.command;

import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.inferis.resp.Reply;
import org.inferis.resp.RespWriter;

/**
 * A reply that completes later (a blocked BRPOP, a model run). The connection sends it, then goes on with the
 * commands queued behind it. {@code source} is the work itself (the blocked pop, the queued run): when the client
 * leaves, the connection cancels it, so an element is not popped for nobody and a queued run does not run.
 * {@code engineRun}: the reply waits for engine work (a model or script run, a DAG), which usually ends within
 * microseconds to milliseconds, so the connection's event loop may poll for it rather than sleep.
 */
public record PendingReply(CompletableFuture<Reply> future, CompletableFuture<?> source, boolean engineRun)
        implements Reply {
    public PendingReply(CompletableFuture<Reply> future) {
        this(future, future, false);
    }

    /** The reply of engine work: {@code source} is the run a leaving client cancels. */
    public static PendingReply ofRun(CompletableFuture<Reply> future, CompletableFuture<?> source) {
        return new PendingReply(future, source, true);
    }

    /** The same work, its reply transformed when it completes. */
    public PendingReply then(Function<CompletableFuture<Reply>, CompletableFuture<Reply>> step) {
        return new PendingReply(step.apply(future), source, engineRun);
    }

    /** The client has gone: stop the work if it has not started. */
    public void cancel() {
        source.cancel(false);
        future.cancel(false);
    }

    /** What a future failed with, without the CompletionException that dependent stages wrap it in. */
    public static Throwable causeOf(Throwable error) {
        return error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause() : error;
    }

    @Override
    public void writeTo(RespWriter out) {
        throw new IllegalStateException("a pending reply is resolved by the connection, never encoded");
    }
}
