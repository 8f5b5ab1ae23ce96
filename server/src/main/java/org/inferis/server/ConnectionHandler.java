package org.inferis.server;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import org.inferis.command.CommandDispatcher;
import org.inferis.command.PendingReply;
import org.inferis.config.NumericOption;
import org.inferis.persistence.AppendOnly;
import org.inferis.resp.ErrorReply;
import org.inferis.resp.Reply;
import org.inferis.resp.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's command loop. Replies go out strictly in request order: while a command's reply is pending (a
 * blocked BRPOP, a model run) later commands wait, queued as decoded, and run on the event loop once the replies
 * before them are written. The exception is a pipelined {@code AI.MODELEXECUTE} independent of the runs pending
 * before it ({@link PipelinedRun}): it starts at once, so runs a client pipelines are batched together, and its
 * reply waits its turn. Replies leave only once what the client's writes logged is in the append-only file: handed
 * to the OS, or fsynced under {@code appendfsync always} (waited for without blocking).
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
    private final NumericOption outputBufferLimit;
    /** Pipelined runs a connection may have started at once. */
    private static final int MAX_PIPELINED_RUNS = 256;

    /** A reply in order: ready, or pending (with the keys of a pipelined run, null for anything else). */
    private static final class Slot {
        final PendingReply pending;
        final PipelinedRun run;
        Reply reply;
        Throwable error;
        boolean done;

        Slot(PendingReply pending, PipelinedRun run, Reply ready) {
            this.pending = pending;
            this.run = run;
            this.reply = ready;
            this.done = pending == null;
        }
    }

    private final ArrayDeque<Request> queued = new ArrayDeque<>();
    /** Replies not yet written, in request order; the first is pending whenever this is not empty. */
    private final ArrayDeque<Slot> unanswered = new ArrayDeque<>();
    private ClientSession client;
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
        this.outputBufferLimit = server.config().numeric("client-output-buffer-limit");
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
        if (!unanswered.isEmpty() || !queued.isEmpty() || server.isDraining()) {
            queued.add(request);
            startWhatMay(ctx); // the read's end flushes
            return;
        }
        execute(ctx, request);
    }

    /** Runs one request: its reply is written now, or waits its turn behind the unanswered ones. */
    private void execute(ChannelHandlerContext ctx, Request request) {
        Reply reply;
        PipelinedRun run = null;
        try {
            reply = dispatcher.dispatch(client, request);
            if (reply instanceof PendingReply) {
                run = PipelinedRun.of(request); // runs independent of this one may start before it ends
            }
        } finally {
            request.release();
        }
        if (reply instanceof PendingReply later) {
            Slot slot = new Slot(later, run, null);
            unanswered.add(slot);
            LoopSpin spin = later.engineRun() ? LoopSpin.ofCurrentLoop() : null;
            if (spin != null) {
                spin.runStarted(ctx.channel().eventLoop());
            }
            later.future().whenComplete((result, error) -> ctx.executor().execute(() -> {
                if (spin != null) {
                    spin.runAnswered();
                }
                slot.reply = result;
                slot.error = error;
                slot.done = true;
                answer(ctx);
            }));
        } else if (unanswered.isEmpty()) {
            send(ctx, reply);
        } else {
            unanswered.add(new Slot(null, null, reply));
        }
    }

    /** The request may run now: nothing is unanswered, or it is a run independent of every pending one. */
    private boolean mayRunNow(Request request) {
        if (unanswered.isEmpty()) {
            return true;
        }
        if (unanswered.size() >= MAX_PIPELINED_RUNS) {
            return false;
        }
        PipelinedRun candidate = PipelinedRun.of(request);
        if (candidate == null) {
            return false;
        }
        for (Slot slot : unanswered) {
            if (!slot.done && (slot.run == null || !candidate.independentOf(slot.run))) {
                return false;
            }
        }
        return true;
    }

    /** On the event loop: writes the replies that are ready at the head, in order, then runs what waited. */
    private void answer(ChannelHandlerContext ctx) {
        if (!ctx.channel().isActive()) {
            return;
        }
        boolean completed = false;
        while (!unanswered.isEmpty() && unanswered.peek().done) {
            Slot slot = unanswered.poll();
            Reply result = slot.reply;
            if (slot.pending != null) {
                completed = true;
                Throwable cause = PendingReply.causeOf(slot.error);
                if (result == null) {
                    if (cause == null || cause instanceof java.util.concurrent.CancellationException) {
                        ctx.close(); // nothing to answer: the server stopped taking changes before this one was made
                        return;
                    }
                    LOG.warn("a pending command failed", cause);
                    result = ErrorReply.err("internal error (the server log has the details)");
                }
            }
            send(ctx, result);
        }
        if (completed) {
            // what the completions changed (a run's outputs, the RPOP of a served BRPOP) must reach the file first
            client.awaitAofOffset(server.persistence().appendOnly().offsetAfterChanges());
        }
        runQueued(ctx);
    }

    private void runQueued(ChannelHandlerContext ctx) {
        startWhatMay(ctx);
        flush(ctx);
        closeIfNotReading(ctx);
    }

    /** Runs the queued commands that may run now, in order. */
    private void startWhatMay(ChannelHandlerContext ctx) {
        while (ctx.channel().isActive() && !queued.isEmpty() && !server.isDraining() && !client.shouldCloseAfterReply()
                && mayRunNow(queued.peek())) {
            execute(ctx, queued.poll());
        }
        // a command waiting its turn stops reading, as a blocked client's does in Redis; pipelined runs do not
        ctx.channel().config().setAutoRead(!server.isDraining() && queued.isEmpty());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event != RESUME) {
            ctx.fireUserEventTriggered(event);
        } else if (client != null) {
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
        long limit = outputBufferLimit.getAsLong();
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
        unanswered.forEach(slot -> {
            if (slot.pending != null) {
                slot.pending.cancel();
            }
        });
        unanswered.clear();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("closing connection after error", cause);
        ctx.close();
    }
}
