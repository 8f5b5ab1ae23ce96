package org.inferis.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.inferis.command.CommandDispatcher;
import org.inferis.config.NumericOption;
import org.inferis.config.ServerConfig;
import org.inferis.observability.Metrics;
import org.inferis.persistence.PersistenceException;
import org.inferis.persistence.Replayer;
import org.inferis.resp.RequestLimits;
import org.inferis.resp.RespPipeline;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Binds the listeners and owns the event loops; {@link #stop()} ends everything it started. */
public final class InferisServer {
    private static final Logger LOG = LoggerFactory.getLogger(InferisServer.class);
    /**
     * The largest read from a client's socket (Netty's default: 64 KiB). A large argument, a tensor's BLOB, then
     * arrives in a few reads, as Redis reads a big argument whole: a 588 KiB AI.TENSORSET at 50 clients measured 2,450
     * requests/s with 64 KiB reads, 3,600 with 2 MiB. Each connection's read size adapts to what its reads bring, so
     * clients of small commands keep small buffers ({@link ReadBuffers}).
     */
    private static final int MAX_READ_BYTES = 2 * 1024 * 1024;

    private final ServerConfig config;
    private final ServerContext context;
    private final ServerCron cron;
    private final List<Channel> listeners = new ArrayList<>();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private EventLoopGroup acceptors;
    private EventLoopGroup workers;

    private final Consumer<ServerContext> startup;
    private volatile boolean failedToLoad;

    public InferisServer(ServerConfig config, Clock clock) {
        this(config, clock, ServerContext::startEngines);
    }

    /** @param startup work done after binding, while commands answer -LOADING (tests hold it to see that) */
    public InferisServer(ServerConfig config, Clock clock, Consumer<ServerContext> startup) {
        this.config = config;
        this.context = new ServerContext(config, clock, this::shutdown);
        this.cron = new ServerCron(context);
        this.startup = startup;
    }

    /**
     * Binds every {@code bind} address on {@code port} (plain, unless 0) and {@code tls-port} (TLS, unless 0);
     * returns the plain port.
     */
    public int start() throws InterruptedException {
        List<Preloads.Preload> preloads = Preloads.fromConfig(config); // a bad directive stops start-up at once
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory ioHandlers = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        // the connections' loops may poll while a run is pending (LoopSpin); the acceptor's never has one
        IoHandlerFactory loopHandlers = epoll ? EpollIoHandler.newFactory(0,
                LoopSpin.factory(context.scheduler()::spinAllowed, context.stats())) : ioHandlers;
        Class<? extends ServerChannel> channelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        acceptors = new MultiThreadIoEventLoopGroup(1, ioHandlers);
        workers = new ConnectionLoops(config.getInt("io-threads"), loopHandlers);
        CommandDispatcher dispatcher = new CommandDispatcher(context);
        NumericOption maxBulkLength = config.numeric("proto-max-bulk-len"); // at most Integer.MAX_VALUE
        RequestLimits limits = new RequestLimits(RequestLimits.DEFAULT_MAX_ARGUMENTS,
                () -> (int) maxBulkLength.getAsLong(), config.numeric("client-query-buffer-limit"));
        SslContext tls = config.getInt("tls-port") > 0 ? tlsContext() : null;
        int port = config.getInt("port");
        int tlsPort = config.getInt("tls-port");
        if (port == 0 && tlsPort == 0) {
            throw new IllegalStateException("port and tls-port are both 0: nothing to listen on");
        }
        try {
            for (String address : config.getString("bind").trim().split("\\s+")) {
                if (port > 0) {
                    listeners.add(bootstrap(channelType, dispatcher, limits, null).bind(address, port).sync().channel());
                }
                if (tls != null) {
                    listeners.add(bootstrap(channelType, dispatcher, limits, tls).bind(address, tlsPort).sync().channel());
                }
            }
        } catch (Exception e) { // bind() failures arrive as Netty's (checked) NativeIoException, undeclared
            listeners.forEach(Channel::close); // nothing was served: close quietly, the caller says why
            closeEventLoops();
            if (e instanceof InterruptedException interrupted) {
                throw interrupted;
            }
            throw e instanceof RuntimeException runtime ? runtime
                    : new IllegalStateException("cannot listen: " + e.getMessage(), e);
        }
        context.port(port);
        int metricsPort = config.getInt("metrics-port");
        if (metricsPort > 0) {
            try {
                context.metrics(new Metrics(context, config.getString("bind").trim().split("\\s+")[0], metricsPort));
            } catch (IOException e) {
                stop();
                throw new UncheckedIOException("could not serve metrics on port " + metricsPort, e);
            }
            LOG.info("Prometheus metrics on http://{}:{}/metrics", config.getString("bind").trim().split("\\s+")[0],
                    metricsPort);
        }
        cron.start();
        Thread starter = new Thread(() -> {
            long begin = System.nanoTime();
            try {
                startup.accept(context);
                LOG.info("Engines started in {} ms", (System.nanoTime() - begin) / 1_000_000);
            } catch (RuntimeException | LinkageError e) {
                LOG.error("Engines failed to start ({}); models and scripts will fail when used", e.toString());
            }
            try {
                Replayer replayer = dispatcher.replayer(ClientSession.internal(context));
                context.persistence().load(replayer, () -> Preloads.load(preloads, context.keyspace(), replayer));
            } catch (PersistenceException | Preloads.PreloadException e) {
                LOG.error("{}", e.getMessage());
                failedToLoad = true;
                stop();
                return;
            }
            context.markReady();
            LOG.info("Ready to serve");
            context.startWorkers();
        }, "inferis-startup");
        starter.setDaemon(true);
        starter.start();
        LOG.info("Inferis {} ({} transport, {} I/O threads) ready to accept connections tcp on {} port {}{}",
                ServerContext.VERSION, epoll ? "epoll" : "nio", config.getInt("io-threads"),
                config.getString("bind"), port, tls == null ? "" : ", tls port " + tlsPort);
        return port;
    }

    private ServerBootstrap bootstrap(Class<? extends ServerChannel> channelType, CommandDispatcher dispatcher,
                                      RequestLimits limits, SslContext tls) {
        return new ServerBootstrap()
                .group(acceptors, workers)
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 511)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, new ReadBuffers(MAX_READ_BYTES))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        if (tls != null) {
                            channel.pipeline().addLast("tls", tls.newHandler(channel.alloc()));
                        }
                        ConnectionHandler commands = new ConnectionHandler(context, dispatcher);
                        RespPipeline.install(channel.pipeline(), limits.whileUnauthenticated(commands::unauthenticated));
                        channel.pipeline().addLast("commands", commands);
                    }
                });
    }

    /** The server's certificate and key (PEM, PKCS#8 key), and the CA that client certificates must chain to. */
    private SslContext tlsContext() {
        try {
            SslContextBuilder builder = SslContextBuilder.forServer(new File(config.getString("tls-cert-file")),
                    new File(config.getString("tls-key-file")));
            String ca = config.getString("tls-ca-cert-file");
            if (!ca.isEmpty()) {
                builder.trustManager(new File(ca)).clientAuth(ClientAuth.REQUIRE);
            }
            return builder.build();
        } catch (javax.net.ssl.SSLException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot set up TLS from tls-cert-file / tls-key-file: " + e.getMessage(), e);
        }
    }

    public ServerContext context() {
        return context;
    }

    /**
     * Stops in order, so that nothing acknowledged is lost: connections start no new command; runs, loads and
     * their stores in flight finish (up to {@code shutdown-timeout} seconds); then, with the keyspace locked, the
     * server stops taking changes for good, the append-only file is written and fsynced, and the snapshot is saved
     * if wanted. If that save fails, connections go on as before and the future is false.
     */
    private CompletableFuture<Boolean> shutdown(Boolean save) {
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        Thread stopper = new Thread(() -> {
            context.draining(true);
            stopWorkers(config.getLong("shutdown-timeout") * 1000);
            context.scheduler().releaseHeldBatches();
            awaitRunsInFlight(config.getLong("shutdown-timeout") * 1000);
            boolean saved;
            synchronized (context.keyspace()) {
                context.stopping(true);
                saved = context.persistence().prepareShutdown(save);
                if (!saved) {
                    context.stopping(false);
                }
            }
            if (!saved) {
                LOG.error("Error trying to save the DB, can't exit.");
                context.draining(false);
                context.clients().all().forEach(client -> client.channel().pipeline()
                        .fireUserEventTriggered(ConnectionHandler.RESUME));
                done.complete(false);
                return;
            }
            done.complete(true);
            stop();
        }, "inferis-shutdown");
        stopper.start();
        return done;
    }

    /** Stream workers take no more jobs; those taken are answered within the time, else given again later. */
    private void stopWorkers(long waitMillis) {
        if (context.workers() != null) {
            context.workers().stop(waitMillis);
        }
    }

    /** Waits until no run or load is queued or running and their continuations on the event loops have run. */
    private void awaitRunsInFlight(long timeoutMillis) {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        while (System.nanoTime() < deadline) {
            if (context.scheduler().awaitIdle(deadline - System.nanoTime())) {
                // tasks already queued on the event loops (a run's outputs being stored) run before these
                workers.forEach(loop -> loop.submit(() -> { }).awaitUninterruptibly());
                if (context.scheduler().awaitIdle(0)) {
                    return;
                }
            }
        }
        LOG.warn("Stopping with runs still in flight after {} ms; their clients get no reply", timeoutMillis);
    }

    /**
     * Closes the listeners and every connection, then the event loops. Safe to call more than once. No change is
     * made to the keyspace once it begins, so every write acknowledged before is in the append-only file it closes.
     */
    public void stop() {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        LOG.info("Inferis is stopping");
        synchronized (context.keyspace()) {
            context.stopping(true);
        }
        listeners.forEach(Channel::close);
        stopWorkers(0);
        cron.close();
        context.scheduler().close();
        context.stopEngines();
        context.persistence().close();
        if (context.metrics() != null) {
            context.metrics().close();
        }
        context.clients().all().forEach(client -> client.channel().close());
        closeEventLoops();
        LOG.info("Inferis is now ready to exit, bye bye...");
        terminated.countDown();
    }

    private void closeEventLoops() {
        if (acceptors != null) {
            acceptors.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
            workers.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    public void awaitTermination() throws InterruptedException {
        terminated.await();
    }

    /** True when the server stopped because its snapshot or append-only file could not be loaded. */
    public boolean failedToLoad() {
        return failedToLoad;
    }
}
