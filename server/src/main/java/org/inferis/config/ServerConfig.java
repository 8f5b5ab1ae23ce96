package org.inferis.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import org.inferis.keyspace.GlobPattern;
import org.inferis.resp.ArgumentSplitter;
import org.inferis.worker.WorkerSpec;

/**
 * The server's options, set redis-server style: an optional config file, then {@code --name value}
 * arguments, then CONFIG SET for the mutable ones. Reads are lock-free from any thread.
 */
public final class ServerConfig {
    private final Map<String, ConfigOption> options = new LinkedHashMap<>();
    private final Map<String, String> values = new ConcurrentHashMap<>();
    /** Numeric options parsed once when set, since some are read on every request. */
    private final Map<String, NumericOption> numbers = new ConcurrentHashMap<>();
    private final List<BiConsumer<String, String>> listeners = new CopyOnWriteArrayList<>();
    private volatile String configFile;

    public ServerConfig() {
        int cores = Runtime.getRuntime().availableProcessors();
        register(ConfigOption.integer("port", 6379, 0, 65535, false));
        register(ConfigOption.string("bind", "127.0.0.1", false));
        register(ConfigOption.string("requirepass", "", true));
        // with no password, refuse clients that are not on a loopback address (Redis's default)
        register(ConfigOption.oneOf("protected-mode", "yes", true, List.of("yes", "no")));
        register(ConfigOption.integer("maxclients", 10000, 1, 1_000_000, true));
        // bytes of stored values (tensors, models, scripts, strings, lists); 0: no limit
        register(ConfigOption.bytes("maxmemory", 0, 0, Long.MAX_VALUE, true));
        register(ConfigOption.integer("tls-port", 0, 0, 65535, false));
        register(ConfigOption.string("tls-cert-file", "", false));
        register(ConfigOption.string("tls-key-file", "", false));
        // when set, TLS clients must present a certificate signed by this CA
        register(ConfigOption.string("tls-ca-cert-file", "", false));
        register(ConfigOption.bytes("proto-max-bulk-len", 512L << 20, 1L << 20, Integer.MAX_VALUE, true));
        register(ConfigOption.bytes("client-query-buffer-limit", 1L << 30, 1L << 20, Long.MAX_VALUE, true));
        // replies queued for a client that does not read them: beyond this many bytes it is disconnected (0: no limit)
        register(ConfigOption.bytes("client-output-buffer-limit", 0, 0, Long.MAX_VALUE, true));
        register(ConfigOption.integer("timeout", 0, 0, Integer.MAX_VALUE, true));
        register(ConfigOption.string("dir", ".", false));
        register(ConfigOption.fileName("dbfilename", "dump.inferis"));
        register(ConfigOption.fileName("appendfilename", "appendonly.aof"));
        // snapshot after <seconds> if at least <changes> writes happened; "" turns the schedule off (Redis's default)
        register(ConfigOption.savePoints("save", "3600 1 300 100 60 10000"));
        register(ConfigOption.oneOf("appendonly", "no", true, List.of("yes", "no")));
        register(ConfigOption.oneOf("appendfsync", "everysec", true, List.of("always", "everysec", "no")));
        // seconds SHUTDOWN and SIGTERM wait for runs in flight to finish before saving (Redis's shutdown-timeout)
        register(ConfigOption.integer("shutdown-timeout", 10, 0, Integer.MAX_VALUE, true));
        register(ConfigOption.oneOf("loglevel", "notice", true, List.of("debug", "verbose", "notice", "warning")));
        // half the cores: the rest serve the clients and the model workers (on 2 cores one I/O thread measured faster)
        register(ConfigOption.integer("io-threads", Math.max(1, cores / 2), 1, 128, false));
        register(ConfigOption.integer("threads-per-queue", 1, 1, 128, false));
        // ms one batch or script call may run before it is answered with an error and its worker replaced
        // (RedisAI's MODEL_EXECUTION_TIMEOUT, here for every engine); 0: no limit
        register(ConfigOption.integer("model-execution-timeout", 5000, 0, Long.MAX_VALUE, true));
        // µs a worker that answered a batch stays awake for the next run while the machine has a core to spare; 0: never
        register(ConfigOption.integer("run-spin", 100, 0, 10_000, true));
        // 0 leaves the engines' own defaults (one thread per core)
        register(ConfigOption.integer("intra-op-parallelism", 0, 0, 1024, false));
        register(ConfigOption.integer("inter-op-parallelism", 0, 0, 1024, false));
        // yes: the engines run in a process of their own, which a crashing model or script ends instead of the
        // server (each run then crosses a local socket; docs/engine-isolation.md)
        register(ConfigOption.oneOf("engine-isolation", "no", false, List.of("yes", "no")));
        // the engine process's data limit (RLIMIT_DATA) with engine-isolation; 0: none
        register(ConfigOption.bytes("engine-memory-limit", 0, 0, Long.MAX_VALUE, false));
        // RedisAI's defaults: AI.CONFIG MODEL_CHUNK_SIZE and BACKENDSPATH change them
        register(ConfigOption.bytes("model-chunk-size", 511L << 20, 1, Integer.MAX_VALUE, true));
        register(ConfigOption.string("backends-path", defaultBackendsPath(), true));
        // where engines that unpack their natives on first use (TF: ~650 MB) put them; "" means <dir>/natives
        register(ConfigOption.string("natives-dir", "", false));
        register(ConfigOption.integer("slowlog-log-slower-than", 10_000, -1, Long.MAX_VALUE, true));
        register(ConfigOption.integer("slowlog-max-len", 128, 0, Integer.MAX_VALUE, true));
        // Prometheus metrics over HTTP on the first bind address; 0 leaves them off
        register(ConfigOption.integer("metrics-port", 0, 0, 65535, false));
        // load-model <key> <TORCH|ONNX|TF> <CPU|GPU[:n]> <file> [model options]; load-script <key> <device> <file> <fn...>
        register(ConfigOption.directive("load-model"));
        register(ConfigOption.directive("load-script"));
        // every *.pt and *.onnx file in this directory loads at start under its name (docs/deployment.md)
        register(ConfigOption.string("model-repository", "", false));
        // "<uri> <group> <results>" per worker: redis://host:port/<stream> or kafka://host:port[,...]/<topic>
        register(ConfigOption.wordGroups("stream-worker", WorkerSpec::parseAll));
        // the consumer name of this node's stream workers; "" means host name + ":" + port
        register(ConfigOption.string("worker-name", "", false));
        // ms a Redis Streams job may stay pending with a consumer before another node takes it over
        register(ConfigOption.integer("worker-claim-idle", 30_000, 1, Long.MAX_VALUE, true));
    }

    private void register(ConfigOption option) {
        options.put(option.name(), option);
        store(option.name(), option.defaultValue());
    }

    /** Applies a config file (when the first argument is not an option) and the command-line options. */
    public static ServerConfig fromArguments(String[] args) throws IOException {
        ServerConfig config = new ServerConfig();
        int i = 0;
        if (args.length > 0 && !args[0].startsWith("--")) {
            config.loadFile(Path.of(args[0]));
            i = 1;
        }
        while (i < args.length) {
            if (!args[i].startsWith("--") || args[i].length() == 2) {
                throw new IllegalArgumentException("expected --option, got '" + args[i] + "'");
            }
            String name = args[i++].substring(2);
            List<String> words = new ArrayList<>();
            while (i < args.length && !args[i].startsWith("--")) {
                words.add(args[i++]);
            }
            config.setAtStartup(name, String.join(" ", words));
        }
        return config;
    }

    /** Every option with its default, in the order they were registered (for --help). */
    public Map<String, String> defaults() {
        Map<String, String> defaults = new LinkedHashMap<>();
        options.forEach((name, option) -> defaults.put(name, option.defaultValue()));
        return defaults;
    }

    private void loadFile(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new java.nio.file.NoSuchFileException(file.toAbsolutePath().toString(), null,
                    "config file not found");
        }
        configFile = file.toAbsolutePath().toString();
        int lineNumber = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNumber++;
            String trimmed = line.trim();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            List<byte[]> words = ArgumentSplitter.split(trimmed.getBytes(StandardCharsets.UTF_8));
            if (words == null || words.isEmpty()) {
                throw new IllegalArgumentException(file + ":" + lineNumber + ": unbalanced quotes");
            }
            List<String> texts = words.stream().map(w -> new String(w, StandardCharsets.UTF_8)).toList();
            try {
                setAtStartup(texts.get(0), String.join(" ", texts.subList(1, texts.size())));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ":" + lineNumber + ": " + e.getMessage(), e);
            }
        }
    }

    private void setAtStartup(String name, String value) {
        ConfigOption option = options.get(name.toLowerCase(Locale.ROOT));
        if (option == null) {
            throw new IllegalArgumentException("Bad directive or wrong number of arguments: '" + name + "'");
        }
        try {
            String normalised = option.normaliser().apply(value);
            String earlier = values.get(option.name());
            if (option.repeatSeparator() != null && !earlier.isEmpty() && !normalised.isEmpty()) {
                normalised = earlier + option.repeatSeparator() + normalised;
            }
            store(option.name(), normalised);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("option '" + name + "': " + e.getMessage(), e);
        }
    }

    /**
     * Checks a CONFIG SET of one option without applying it.
     *
     * @throws IllegalArgumentException with Redis's reason when the option is unknown, immutable or the value bad
     */
    public void check(String name, String value) {
        normaliseForSet(name, value);
    }

    /** CONFIG SET of one option; throws as {@link #check}. */
    public void set(String name, String value) {
        String normalised = normaliseForSet(name, value);
        String canonicalName = name.toLowerCase(Locale.ROOT);
        store(canonicalName, normalised);
        listeners.forEach(listener -> listener.accept(canonicalName, normalised));
    }

    private String normaliseForSet(String name, String value) {
        ConfigOption option = options.get(name.toLowerCase(Locale.ROOT));
        if (option == null) {
            throw new IllegalArgumentException("Unknown option or number of arguments for CONFIG SET - '" + name + "'");
        }
        if (!option.mutable()) {
            throw new IllegalArgumentException("CONFIG SET failed (possibly related to argument '" + name
                    + "') - can't set immutable config");
        }
        try {
            return option.normaliser().apply(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("CONFIG SET failed (possibly related to argument '" + name + "') - "
                    + e.getMessage());
        }
    }

    private void store(String name, String value) {
        values.put(name, value);
        long number;
        try {
            number = Long.parseLong(value);
        } catch (NumberFormatException e) {
            numbers.remove(name);
            return;
        }
        NumericOption option = numbers.putIfAbsent(name, new NumericOption(number));
        if (option != null) {
            option.set(number);
        }
    }

    /** Called after each successful CONFIG SET with the option's name and new value. */
    public void onChange(BiConsumer<String, String> listener) {
        listeners.add(listener);
    }

    /** Name/value pairs of the options whose names match the pattern, in registration order. */
    public List<String[]> matching(String pattern) {
        GlobPattern glob = GlobPattern.of(pattern);
        List<String[]> result = new ArrayList<>();
        for (String name : options.keySet()) {
            if (glob.matchesIgnoreCase(name)) {
                result.add(new String[] {name, values.get(name)});
            }
        }
        return result;
    }

    public String getString(String name) {
        String value = values.get(name);
        if (value == null) {
            throw new IllegalArgumentException("no option " + name);
        }
        return value;
    }

    public long getLong(String name) {
        return numeric(name).getAsLong();
    }

    /** A numeric option whose value follows CONFIG SET, for reading on every request. */
    public NumericOption numeric(String name) {
        NumericOption option = numbers.get(name);
        if (option == null) {
            throw new IllegalArgumentException("no numeric option " + name);
        }
        return option;
    }

    public int getInt(String name) {
        return Math.toIntExact(getLong(name));
    }

    /** A directive's settings (see {@link ConfigOption#directive}), in the order given. */
    public List<String> directives(String name) {
        String value = getString(name);
        return value.isEmpty() ? List.of() : List.of(value.split("\n"));
    }

    /** The config file given at start-up, or null. */
    public String configFile() {
        return configFile;
    }

    /**
     * RedisAI answers its module's directory + {@code /backends}; ours is the server jar's directory's, so a client
     * that reads BACKENDSPATH and sets it back gets a real path.
     */
    private static String defaultBackendsPath() {
        try {
            java.nio.file.Path code = java.nio.file.Path.of(
                    ServerConfig.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return code.getParent().resolve("backends").toString();
        } catch (java.net.URISyntaxException | RuntimeException e) {
            return "backends";
        }
    }
}
