package org.inferis.server;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import org.inferis.command.CommandDispatcher;
import org.inferis.command.PendingReply;
import org.inferis.persistence.AppendOnly;
import org.inferis.resp.ErrorReply;
import org.inferis.resp.Reply;
import org.inferis.resp.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's command loop. Replies go out strictly in request order: while a command's reply is pending (a
 * blocked BRPOP, a model run) the connection stops reading and queues what it already decoded, and resumes on its
 * event loop once the reply is written. Replies leave only once what the client's writes logged is in the
 * append-only file: handed to the OS, or fsynced under {@code appendfsync always} (waited for without blocking).
 */
final class ConnectionHandler extends ChannelInboundHandlerAdapter implements AppendOnlyWriteBatch.Waiting {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionHandler.class);
    /** User event: a shutdown was called off (its save failed); run what was left queued and read again. */
    static final Object RESUME = new Object();

    /** Redis's explanation, word for word but for the server's name and the CONFIG REWRITE advice. */
    private static final String PROTECTED_MODE_DENIAL = "DENIED Inferis is running in protected mode because protected"
            + " mode is enabled and no password is set for the default user. In this mode connections are only"
            + " accepted from the loopback interface. If you want to connect from external computers to Inferis you"
            + " may adopt one of the following solutions: 1) Just disable protected mode sending the command"
            + " 'CONFIG SET protected-mode no' from the loopback interface by connecting to Inferis from the same"
            + " host the server is running, however MAKE SURE Inferis is not publicly accessible from internet if"
            + " you do so. 2) Alternatively you can just disable the protected mode by editing the Inferis"
            + " configuration file, and setting the protected mode option to 'no', and then restarting the server."
            + " 3) If you started the server manually just for testing, restart it with the '--protected-mode no'"
            + " option. 4) Set up an authentication password for the default user. NOTE: You only need to do one"
            + " of the above things in order for the server to start accepting connections from the outside.";

    private final ServerContext server;
    private final CommandDispatcher dispatcher;
    private final ArrayDeque<Request> queued = new ArrayDeque<>();
    private ClientSession client;
    private PendingReply pending;
    /** The append-only file offset up to which this client's replies may leave. */
    private long confirmedOffset;
    /** The file's write or fsync that this client's replies wait for is under way; its completion flushes them. */
    private boolean awaitingFile;
    /** The offset the awaited write or fsync covers. */
    private long awaitedOffset;
    private ChannelHandlerContext context;

    ConnectionHandler(ServerContext server, CommandDispatcher dispatcher) {
        this.server = server;
        this.dispatcher = dispatcher;
    }

    /** Until AUTH succeeds (when a password is set), requests are held to Redis's pre-authentication limits. */
    boolean unauthenticated() {
        return client == null ? server.passwordRequired() : !client.isAuthenticated();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        context = ctx;
        server.stats().connectionReceived();
        if (server.clients().size() >= server.config().getInt("maxclients")) {
            server.stats().connectionRejected();
            ctx.writeAndFlush(ErrorReply.err("max number of clients reached")).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (refusedByProtectedMode(ctx)) {
            server.stats().connectionRejected();
            ctx.writeAndFlush(new ErrorReply(PROTECTED_MODE_DENIAL)).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        client = new ClientSession(server.clients().nextId(), ctx.channel(), server, server.keyspace().now());
        server.clients().add(client);
        ctx.fireChannelActive();
    }

    private boolean refusedByProtectedMode(ChannelHandlerContext ctx) {
        if (server.passwordRequired() || !"yes".equals(server.config().getString("protected-mode"))) {
            return false;
        }
        return !(ctx.channel().remoteAddress() instanceof InetSocketAddress remote
                && remote.getAddress() != null && remote.getAddress().isLoopbackAddress());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Request request = (Request) msg;
        if (client == null || client.shouldCloseAfterReply()) {
            request.release(); // after QUIT, as Redis: nothing more is run
            return;
        }
        if (pending != null || !queued.isEmpty() || server.isDraining()) {
            queued.add(request);
            if (server.isDraining()) {
                ctx.channel().config().setAutoRead(false);
            }
            return;
        }
        execute(ctx, request);
    }

    /** Runs one request; false when its reply is pending. */
    private boolean execute(ChannelHandlerContext ctx, Request request) {
        Reply reply;
        try {
            reply = dispatcher.dispatch(client, request);
        } finally {
            request.release();
        }
        if (reply instanceof PendingReply later) {
            pending = later;
            ctx.channel().config().setAutoRead(false);
            flush(ctx);
            later.future().whenComplete((result, error) -> ctx.executor().execute(() -> resume(ctx, result, error)));
            return false;
        }
        send(ctx, reply);
        return true;
    }

    private void resume(ChannelHandlerContext ctx, Reply result, Throwable error) {
        pending = null;
        if (!ctx.channel().isActive()) {
            return;
        }
        Throwable cause = PendingReply.causeOf(error);
        if (result == null) {
            if (cause == null || cause instanceof java.util.concurrent.CancellationException) {
                ctx.close(); // nothing to answer: the server stopped taking changes before this one was made
                return;
            }
            LOG.warn("a pending command failed", cause);
            result = ErrorReply.err("internal error (the server log has the details)");
        }
        // what the completion changed (a run's outputs, the RPOP of a served BRPOP) must reach the file first
        client.awaitAofOffset(server.persistence().appendOnly().offsetAfterChanges());
        send(ctx, result);
        runQueued(ctx);
    }

    private void runQueued(ChannelHandlerContext ctx) {
        while (ctx.channel().isActive() && !queued.isEmpty() && !server.isDraining() && !client.shouldCloseAfterReply()) {
            if (!execute(ctx, queued.poll())) {
                return;
            }
        }
        flush(ctx);
        closeIfNotReading(ctx);
        if (!server.isDraining()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event != RESUME) {
            ctx.fireUserEventTriggered(event);
        } else if (client != null && pending == null) {
            runQueued(ctx);
        }
    }

    private void send(ChannelHandlerContext ctx, Reply reply) {
        ctx.write(reply, ctx.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flush(ctx);
        closeIfNotReading(ctx);
        ctx.fireChannelReadComplete();
    }

    /**
     * Sends the written replies once what the client's writes logged is in the append-only file: handed to the OS
     * here, or under {@code appendfsync always} once the fsync covering it returns (the event loop goes on
     * meanwhile, and writes that arrive together share that fsync). A client whose writes cannot be logged is
     * disconnected rather than told they are safe.
     */
    private void flush(ChannelHandlerContext ctx) {
        if (client == null) {
            ctx.flush();
            return;
        }
        if (awaitingFile) {
            return;
        }
        long offset = client.awaitedAofOffset();
        if (offset > confirmedOffset) {
            AppendOnly appendOnly = server.persistence().appendOnly();
            awaitingFile = true;
            awaitedOffset = offset;
            if (appendOnly.syncsEveryWrite()) {
                appendOnly.durable(offset).whenComplete((done, error) ->
                        ctx.executor().execute(() -> written(error == null)));
            } else {
                AppendOnlyWriteBatch.join(ctx.executor(), appendOnly, this, offset);
            }
            return;
        }
        if (client.shouldCloseAfterReply()) {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.flush();
        }
    }

    /** On the event loop: the write or fsync these replies waited for is done (or failed). */
    @Override
    public void written(boolean ok) {
        awaitingFile = false;
        if (!ok) {
            refuse(context);
            return;
        }
        confirmedOffset = Math.max(confirmedOffset, awaitedOffset);
        if (context.channel().isActive()) {
            flush(context);
        }
    }

    private void refuse(ChannelHandlerContext ctx) {
        LOG.warn("Closing client {}: its writes could not be written to the append-only file", client.address());
        ctx.close();
    }

    /** Disconnects a client whose unread replies exceed {@code client-output-buffer-limit}, as Redis does. */
    private void closeIfNotReading(ChannelHandlerContext ctx) {
        long limit = server.config().getLong("client-output-buffer-limit");
        var outbound = ctx.channel().unsafe().outboundBuffer();
        if (limit > 0 && client != null && outbound != null && outbound.totalPendingWriteBytes() > limit) {
            LOG.warn("Client {} closed for overcoming of output buffer limits ({} bytes unread)",
                    client.address(), outbound.totalPendingWriteBytes());
            server.clients().kill(client);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (client != null) {
            server.clients().remove(client);
            server.monitors().remove(client);
            synchronized (server.keyspace()) {
                client.transaction().reset(server.keyspace());
            }
        }
        queued.forEach(Request::release);
        queued.clear();
        if (pending != null) {
            pending.cancel();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("closing connection after error", cause);
        ctx.close();
    }
}
