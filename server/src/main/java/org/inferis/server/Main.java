package org.inferis.server;

import ch.qos.logback.classic.Level;
import java.io.IOException;
import java.time.Clock;
import java.util.Map;
import org.inferis.backend.EngineOptions;
import org.inferis.backend.NativeExit;
import org.inferis.backend.onnx.OnnxBackend;
import org.inferis.backend.torch.TorchBackend;
import org.inferis.config.ServerConfig;
import org.inferis.scheduler.RunScheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code inferis-server [config-file] [--option value ...]}, as redis-server. */
public final class Main {
    private static final Map<String, Level> LOG_LEVELS = Map.of(
            "debug", Level.DEBUG, "verbose", Level.DEBUG, "notice", Level.INFO, "warning", Level.WARN);

    private Main() {
    }

    public static void main(String[] args) throws InterruptedException {
        System.setProperty("PID", Long.toString(ProcessHandle.current().pid())); // for the log pattern
        // Before Netty loads (with the jar manifest's Add-Opens): its unpooled direct buffers then come from the C
        // allocator unzeroed and go back on release, not zeroed by the JVM and freed by the GC (see ReadBuffers)
        System.setProperty("io.netty.tryReflectionSetAccessible",
                System.getProperty("io.netty.tryReflectionSetAccessible", "true"));
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.print(usage());
            return;
        }
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-v"))) {
            applyLogLevel("warning"); // starting the engines to ask their versions logs at INFO
            System.out.println(version());
            return;
        }
        ServerConfig config;
        try {
            config = ServerConfig.fromArguments(args);
        } catch (IOException | IllegalArgumentException e) {
            System.err.println("*** FATAL CONFIG FILE ERROR (Inferis " + ServerContext.VERSION + ") ***");
            System.err.println(e.getMessage());
            System.exit(1);
            return;
        }
        applyLogLevel(config.getString("loglevel"));
        config.onChange((name, value) -> {
            if (name.equals("loglevel")) {
                applyLogLevel(value);
            }
        });
        Logger log = LoggerFactory.getLogger(Main.class);
        InferisServer server = new InferisServer(config, Clock.systemUTC());
        try {
            server.start();
        } catch (RuntimeException e) {
            log.error("Could not start: {}", e.getMessage() != null ? e.getMessage() : e.toString());
            System.exit(1);
        }
        // SIGTERM and SIGINT stop the server as SHUTDOWN does (saving when save points are set), and the
        // process exits 0 as redis-server's; if that save fails it keeps running, as Redis does.
        for (String signal : new String[] {"TERM", "INT"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(signal), received -> {
                log.info("Received SIG{}, stopping", received.getName());
                server.context().shutdown(null);
            });
        }
        server.awaitTermination();
        int status = server.failedToLoad() ? 1 : 0;
        RunScheduler scheduler = server.context().scheduler();
        if (!scheduler.awaitIdle(0) || scheduler.abandonedThreads() > 0) {
            // runs or loads past shutdown-timeout, or calls the watchdog gave up on, may still be inside an engine
            log.warn("Engine calls still under way ({} given up on): exiting without the engines' exit handlers",
                    scheduler.abandonedThreads());
            NativeExit.now(status);
        }
        if (status != 0) {
            System.exit(status);
        }
    }

    static String usage() {
        StringBuilder text = new StringBuilder("""
                Usage: inferis-server [config-file] [--option value ...]
                       inferis-server -h | --help
                       inferis-server -v | --version

                Serves RedisAI's commands (and Redis's keyspace commands) over the Redis protocol.
                Options go in the config file as 'name value' lines, or on the command line as --name value;
                the command line wins. Examples:
                  inferis-server
                  inferis-server /etc/inferis/inferis.conf --port 6380
                  inferis-server --requirepass s3cret --appendonly yes --dir /var/lib/inferis

                Options and their defaults:
                """);
        new ServerConfig().defaults().forEach((name, value) ->
                text.append("  ").append(name).append(' ').append(value.isEmpty() ? "\"\"" : value).append('\n'));
        return text.toString();
    }

    /** Ours and the engines' versions; starts the engines to ask them (a second or two). */
    static String version() {
        EngineOptions defaults = new EngineOptions(0, 0);
        return "Inferis v=" + ServerContext.VERSION + " redis-protocol=" + ServerContext.REDIS_COMPATIBLE_VERSION
                + " libtorch=" + new TorchBackend(defaults).engineVersion()
                + " onnxruntime=" + new OnnxBackend(defaults).engineVersion()
                + " djl=" + ai.djl.engine.Engine.getDjlVersion() + " java=" + Runtime.version();
    }

    private static void applyLogLevel(String level) {
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME))
                .setLevel(LOG_LEVELS.getOrDefault(level, Level.INFO));
    }
}
