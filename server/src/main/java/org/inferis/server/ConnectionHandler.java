package org.inferis.server;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import org.inferis.command.CommandDispatcher;
import org.inferis.command.PendingReply;
import org.inferis.resp.ErrorReply;
import org.inferis.resp.Reply;
import org.inferis.resp.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's command loop. Replies go out strictly in request order: while a command's reply
 * is pending (a blocked BRPOP, a model run) the connection stops reading and queues what it already
 * decoded, and resumes on its event loop once the reply is written.
 */
final class ConnectionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionHandler.class);

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
    private CompletableFuture<Reply> pending;

    ConnectionHandler(ServerContext server, CommandDispatcher dispatcher) {
        this.server = server;
        this.dispatcher = dispatcher;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
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
        if (client == null || pending != null || !queued.isEmpty()) {
            if (client == null) {
                request.release();
            } else {
                queued.add(request);
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
            pending = later.future();
            ctx.channel().config().setAutoRead(false);
            flush(ctx);
            pending.whenComplete((result, error) -> ctx.executor().execute(() -> resume(ctx, result, error)));
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
        if (error != null) {
            LOG.warn("a pending command failed", error);
        }
        send(ctx, result != null ? result : ErrorReply.err("internal error: " + error));
        while (ctx.channel().isActive() && !queued.isEmpty()) {
            if (!execute(ctx, queued.poll())) {
                return;
            }
        }
        flush(ctx);
        closeIfNotReading(ctx);
        ctx.channel().config().setAutoRead(true);
    }

    private void send(ChannelHandlerContext ctx, Reply reply) {
        ctx.write(reply, ctx.voidPromise());
        if (client.shouldCloseAfterReply()) {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flush(ctx);
        closeIfNotReading(ctx);
        ctx.fireChannelReadComplete();
    }

    /**
     * Sends the queued replies, once what their writes logged is on disk when {@code appendfsync always}; if the
     * append-only file cannot be written the client is disconnected rather than told its writes are safe.
     */
    private void flush(ChannelHandlerContext ctx) {
        if (client != null && !server.persistence().awaitDurable(client.awaitedAofOffset())) {
            LOG.warn("Closing client {}: its writes could not be written to the append-only file", client.address());
            ctx.close();
            return;
        }
        ctx.flush();
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
        }
        queued.forEach(Request::release);
        queued.clear();
        if (pending != null) {
            pending.cancel(false);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("closing connection after error", cause);
        ctx.close();
    }
}
