package org.inferis.server;

import java.time.Clock;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.inferis.backend.BackendException;
import org.inferis.backend.EngineOptions;
import org.inferis.backend.ModelBackend;
import org.inferis.backend.NativeExit;
import org.inferis.backend.ScriptCompiler;
import org.inferis.backend.isolated.EngineProcess;
import org.inferis.backend.isolated.IsolatedBackend;
import org.inferis.backend.onnx.OnnxBackend;
import org.inferis.backend.tf.TfBackend;
import org.inferis.backend.torch.TorchBackend;
import org.inferis.command.BlockedPops;
import org.inferis.command.CommandContext;
import org.inferis.command.CommandTable;
import org.inferis.command.StoredExecutables;
import org.inferis.config.ServerConfig;
import org.inferis.keyspace.Keyspace;
import org.inferis.observability.Metrics;
import org.inferis.observability.Monitors;
import org.inferis.observability.SlowLog;
import org.inferis.persistence.Persistence;
import org.inferis.scheduler.RunScheduler;
import org.inferis.tensor.wire.TensorFactory;
import org.inferis.worker.StreamWorkers;
import org.inferis.worker.WorkerSpec;
import org.slf4j.LoggerFactory;

/** What every command can reach: configuration, the keyspace, the clients and the server's controls. */
public final class ServerContext implements CommandContext {

    private final ServerConfig config;
    private final Keyspace keyspace;
    private final ClientRegistry clients = new ClientRegistry();
    private final ServerStats stats = new ServerStats();
    private final CommandTable commands = CommandTable.standard();
    private final BlockedPops blockedPops = new BlockedPops();
    private final SlowLog slowLog = new SlowLog();
    private final Monitors monitors = new Monitors();
    private final TensorFactory tensors;
    private volatile boolean ready;
    /** The time, refreshed by the cron every tick: precise enough for idle times, and free to read. */
    private volatile long coarseMillis;
    private volatile Metrics metrics;
    private final RunScheduler scheduler;
    private final Map<String, ModelBackend> backends;
    /** libtorch in this process; with engine-isolation never started here (its engine process has its own). */
    private final TorchBackend torch;
    private final ScriptCompiler scripts;
    /** The engines' process with engine-isolation, else null. */
    private final EngineProcess engineProcess;
    private final long startedAt;
    private final String runId = HexFormat.of().formatHex(randomBytes());
    private final Function<Boolean, CompletableFuture<Boolean>> shutdown;
    /** Shutting down: connections start no new command (see {@link #isDraining}). */
    private volatile boolean draining;
    /** Stopped for good: set under the keyspace lock, after which no command or run changes the keyspace. */
    private volatile boolean stopping;
    private volatile int port;
    private final Persistence persistence;
    private volatile StreamWorkers workers;

    ServerContext(ServerConfig config, Clock clock,
                  Function<Boolean, CompletableFuture<Boolean>> shutdown) {
        this.config = config;
        this.keyspace = new Keyspace(clock);
        this.startedAt = clock.millis();
        this.coarseMillis = startedAt;
        this.tensors = new TensorFactory(config.numeric("proto-max-bulk-len"));
        this.scheduler = new RunScheduler(config.getInt("threads-per-queue"),
                config.numeric("model-execution-timeout"), config.numeric("run-spin"));
        EngineOptions engineOptions = engineThreads(config, Runtime.getRuntime().availableProcessors());
        LoggerFactory.getLogger(ServerContext.class).info("Engine threads: {} per forward (intra-op), {} inter-op", engineOptions.intraOpThreads(),
                engineOptions.interOpThreads());
        this.torch = new TorchBackend(engineOptions);
        Map<String, ModelBackend> engines = Map.of("TORCH", torch, "ONNX", new OnnxBackend(engineOptions), "TF",
                new TfBackend(engineOptions, config.numeric("model-execution-timeout"), this::nativesDir));
        if (config.getString("engine-isolation").equals("yes")) {
            this.engineProcess = new EngineProcess(new EngineProcess.Settings(engineOptions,
                    config.numeric("model-execution-timeout"), nativesDir(), config.getLong("engine-memory-limit")));
            this.backends = Map.copyOf(engines.entrySet().stream().collect(java.util.stream.Collectors.toMap(
                    Map.Entry::getKey, engine -> new IsolatedBackend(engineProcess, engine.getValue()))));
            this.scripts = (IsolatedBackend) backends.get("TORCH");
        } else {
            this.engineProcess = null;
            this.backends = engines;
            this.scripts = torch;
        }
        this.shutdown = shutdown;
        this.persistence = new Persistence(config, keyspace, StoredExecutables.loader(this), this::isReady, this::fatal);
    }

    /**
     * The engines' thread counts: the options when set, else chosen from the machine. A forward gets the cores the
     * event loops leave, shared by the device's workers that may run at once, so forwards, event loops and clients do
     * not fight over cores (2 cores: one thread a forward); inter-op pools, unused by these graphs, get one thread.
     */
    static EngineOptions engineThreads(ServerConfig config, int cores) {
        int intra = config.getInt("intra-op-parallelism");
        int inter = config.getInt("inter-op-parallelism");
        if (intra == 0) {
            intra = Math.max(1, (cores - config.getInt("io-threads")) / config.getInt("threads-per-queue"));
        }
        return new EngineOptions(intra, inter == 0 ? 1 : inter);
    }

    /** {@code natives-dir}, or {@code natives} under {@code dir}: never a home directory a service may lack. */
    private java.nio.file.Path nativesDir() {
        String configured = config.getString("natives-dir");
        return configured.isEmpty() ? java.nio.file.Path.of(config.getString("dir"), "natives")
                : java.nio.file.Path.of(configured);
    }

    /** The backends, by name, in a stable order. */
    public java.util.SortedMap<String, ModelBackend> backends() {
        return new java.util.TreeMap<>(backends);
    }

    public Persistence persistence() {
        return persistence;
    }

    public ServerConfig config() {
        return config;
    }

    public Keyspace keyspace() {
        return keyspace;
    }

    public ClientRegistry clients() {
        return clients;
    }

    public ServerStats stats() {
        return stats;
    }

    public CommandTable commands() {
        return commands;
    }

    public RunScheduler scheduler() {
        return scheduler;
    }

    /** The backend named (any case), or null when this server has none of that name. */
    public ModelBackend backend(String name) {
        return backends.get(name.toUpperCase(Locale.ROOT));
    }

    /** The engine that compiles TorchScript scripts. */
    public ScriptCompiler scriptEngine() {
        return scripts;
    }

    public TensorFactory tensors() {
        return tensors;
    }

    public SlowLog slowLog() {
        return slowLog;
    }

    public Monitors monitors() {
        return monitors;
    }

    /** The metrics, or null when {@code metrics-port} is 0. */
    public Metrics metrics() {
        return metrics;
    }

    void metrics(Metrics metrics) {
        this.metrics = metrics;
        scheduler.observer(metrics);
    }

    /** False until the engines are up: meanwhile commands without the LOADING flag answer -LOADING. */
    public boolean isReady() {
        return ready;
    }

    void markReady() {
        ready = true;
    }

    /** Starts both engines (in the engine process with engine-isolation), so the first store does not pay for it. */
    void startEngines() {
        if (engineProcess == null) {
            torch.start();
            ai.onnxruntime.OrtEnvironment.getEnvironment();
            return;
        }
        try {
            engineProcess.start();
        } catch (BackendException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** Ends the engine process, if there is one. */
    void stopEngines() {
        if (engineProcess != null) {
            engineProcess.close();
        }
    }

    /** The stream workers, or null before the server is ready. */
    public StreamWorkers workers() {
        return workers;
    }

    /**
     * Starts the {@code stream-worker} settings' workers, named {@code worker-name} or host name + port, and follows
     * CONFIG SET of them (off the event loop: a worker that stops first answers the jobs it took).
     */
    void startWorkers() {
        String name = config.getString("worker-name");
        if (name.isEmpty()) {
            try {
                name = java.net.InetAddress.getLocalHost().getHostName() + ":" + port;
            } catch (java.net.UnknownHostException e) {
                name = "inferis:" + port;
            }
        }
        StreamWorkers started = new StreamWorkers(name, new ServerJobs(this),
                () -> config.getLong("worker-claim-idle"));
        workers = started;
        config.onChange((option, value) -> {
            if (option.equals("stream-worker")) {
                Thread applier = new Thread(() -> started.apply(WorkerSpec.parseAll(value),
                        config.getLong("shutdown-timeout") * 1000), "inferis-workers-config");
                applier.setDaemon(true);
                applier.start();
            }
        });
        started.apply(WorkerSpec.parseAll(config.getString("stream-worker")), 0);
    }

    public BlockedPops blockedPops() {
        return blockedPops;
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[20];
        new java.security.SecureRandom().nextBytes(bytes);
        return bytes;
    }

    /** A random id per start, as Redis's run_id: clients tell restarts apart by it. */
    public String runId() {
        return runId;
    }

    public long coarseMillis() {
        return coarseMillis;
    }

    void tick(long now) {
        coarseMillis = now;
    }

    public long startedAt() {
        return startedAt;
    }

    /** The port actually bound (differs from the option when it was 0). */
    public int port() {
        return port;
    }

    void port(int port) {
        this.port = port;
    }

    public boolean passwordRequired() {
        return !config.getString("requirepass").isEmpty();
    }

    /**
     * SHUTDOWN and SIGTERM: stops taking commands, lets those in flight finish and reach the log, saves (true: yes,
     * false: no, null: when save points are set) and stops. The future is false when the save failed and the server
     * goes on serving, as Redis's does.
     */
    public java.util.concurrent.CompletableFuture<Boolean> shutdown(Boolean save) {
        return shutdown.apply(save);
    }

    /**
     * Something happened that the server cannot go on from without lying to its clients: log it and exit now (with
     * forwards perhaps under way: {@link NativeExit}).
     */
    public void fatal(String reason) {
        LoggerFactory.getLogger(ServerContext.class).error("{}", reason);
        NativeExit.now(1);
    }

    @Override
    public String info(java.util.List<String> sections) {
        return InfoReport.render(this, sections);
    }

    /** Connections leave new commands unread: the server is shutting down. */
    public boolean isDraining() {
        return draining;
    }

    void draining(boolean draining) {
        this.draining = draining;
    }

    /** True once the server stopped for good; read under the keyspace lock before any change is made. */
    public boolean isStopping() {
        return stopping;
    }

    void stopping(boolean stopping) {
        this.stopping = stopping;
    }
}
