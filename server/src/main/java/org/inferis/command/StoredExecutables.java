package org.inferis.command;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.inferis.backend.BackendException;
import org.inferis.backend.Device;
import org.inferis.backend.LoadedModel;
import org.inferis.backend.LoadedScript;
import org.inferis.backend.ModelBackend;
import org.inferis.keyspace.Key;
import org.inferis.keyspace.Keyspace;
import org.inferis.keyspace.Value;
import org.inferis.keyspace.WrongTypeException;
import org.inferis.model.ExecutableValue;
import org.inferis.model.ModelOptions;
import org.inferis.model.ModelValue;
import org.inferis.model.ScriptValue;
import org.inferis.persistence.ExecutableLoader;
import org.inferis.persistence.RecreateCommands;
import org.inferis.resp.ArrayReply;
import org.inferis.resp.BulkReply;
import org.inferis.resp.ErrorReply;
import org.inferis.resp.Reply;
import org.inferis.resp.SimpleStringReply;
import org.inferis.server.ClientSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What storing and listing models and scripts have in common: loading them on their engines (for the store
 * commands and for start-up from disk) and installing them under their key.
 */
public final class StoredExecutables {
    private static final Logger LOG = LoggerFactory.getLogger(StoredExecutables.class);

    private StoredExecutables() {
    }

    /** Models from this size on get a line when their load starts, since it may take a while. */
    private static final int LARGE_MODEL_BYTES = 16 << 20;

    /** Loads a model's instances on the scheduler's loader threads; if one fails, those already loaded are freed. */
    public static CompletableFuture<ModelValue> loadModel(CommandContext server, Key key, ModelOptions options, byte[] blob) {
        ModelBackend backend = server.backend(options.backend());
        Device device = Device.parse(options.device());
        if (backend == null || device == null) {
            return CompletableFuture.failedFuture(new BackendException("unsupported backend or device: "
                    + options.backend() + " on " + options.device()));
        }
        return server.scheduler().load(() -> {
            long start = System.nanoTime();
            List<LoadedModel> loaded = new ArrayList<>(options.instances());
            if (blob.length >= LARGE_MODEL_BYTES) {
                // the engine reports nothing while it loads: say that a long wait has begun
                LOG.info("Loading {} model '{}' on {}: {} MB, {} instance(s)...", backend.name(), key, device.text(),
                        blob.length >> 20, options.instances());
            }
            try {
                for (int i = 0; i < options.instances(); i++) {
                    loaded.add(backend.load(blob, device, options.io()));
                }
                long millis = Math.max(1, (System.nanoTime() - start) / 1_000_000);
                LOG.info("Loaded {} model '{}' on {}: {} bytes, {} instance(s) in {} ms ({} MB/s)", backend.name(), key,
                        device.text(), blob.length, options.instances(), millis,
                        String.format(java.util.Locale.ROOT, "%.1f", blob.length * (double) options.instances()
                                / 1e3 / millis));
                return new ModelValue(key.toString(), options, device, blob, loaded);
            } catch (BackendException e) {
                loaded.forEach(LoadedModel::close);
                LOG.warn("Could not load {} model '{}' on {} ({} bytes): {}", backend.name(), key, device.text(),
                        blob.length, e.getMessage());
                throw new CompletionException(e);
            }
        });
    }

    /** Compiles a script on the scheduler's loader threads. */
    public static CompletableFuture<ScriptValue> loadScript(CommandContext server, Key key, String deviceText, String tag,
                                                            List<String> entryPoints, String source) {
        Device device = Device.parse(deviceText);
        if (device == null) {
            return CompletableFuture.failedFuture(new BackendException("Invalid DEVICE " + deviceText));
        }
        int concurrency = server.config().getInt("threads-per-queue");
        return server.scheduler().load(() -> {
            long start = System.nanoTime();
            try {
                LoadedScript script = server.scriptEngine().compile(source, entryPoints, device);
                LOG.info("Compiled script '{}' on {}: {} characters, entry points {} in {} ms", key, device.text(),
                        source.length(), entryPoints, (System.nanoTime() - start) / 1_000_000);
                return new ScriptValue(key.toString(), device, tag, entryPoints, source, script, concurrency);
            } catch (BackendException e) {
                LOG.warn("Could not compile script '{}' on {}: {}", key, device.text(), e.getMessage());
                throw new CompletionException(e);
            }
        });
    }

    /** How persistence re-creates models and scripts from a file: loaded here, waited for, failures as exceptions. */
    public static ExecutableLoader loader(CommandContext server) {
        return new ExecutableLoader() {
            @Override
            public Value model(Key key, ModelOptions options, byte[] blob) {
                return loaded(loadModel(server, key, options, blob));
            }

            @Override
            public Value script(Key key, String device, String tag, List<String> entryPoints, String source) {
                return loaded(loadScript(server, key, device, tag, entryPoints, source));
            }
        };
    }

    private static Value loaded(CompletableFuture<? extends Value> load) {
        return load.handle((value, error) -> {
            if (error != null) {
                throw new IllegalStateException(reason(error));
            }
            return value;
        }).join();
    }

    /** Why a load failed: the engine's message, as the store commands reply it. */
    public static String reason(Throwable error) {
        Throwable cause = PendingReply.causeOf(error);
        return cause instanceof BackendException ? cause.getMessage() : "could not load: " + cause;
    }

    /**
     * The store command's reply once the load ends: the value installed on the client's event loop, or the
     * engine's reason.
     */
    static Reply pending(ClientSession client, Key key, CompletableFuture<? extends ExecutableValue> load) {
        return new PendingReply(load.handleAsync((value, error) -> error != null
                ? failure(error)
                : install(client, key, value), client.executor()));
    }

    /** The engine's own words as they are (RedisAI's reply), our reasons as ERR errors. */
    private static Reply failure(Throwable error) {
        return PendingReply.causeOf(error) instanceof BackendException engine && engine.isEnginesWords()
                ? new ErrorReply(engine.getMessage()) : ErrorReply.err(reason(error));
    }

    /** Stores a loaded model or script, unless its key came to hold another kind of value while it loaded. */
    private static Reply install(ClientSession client, Key key, ExecutableValue value) {
        Keyspace keyspace = client.server().keyspace();
        synchronized (keyspace) {
            if (client.server().isStopping()) {
                value.release();
                return null; // the server stopped taking changes: neither stored nor acknowledged
            }
            Value existing = keyspace.get(key);
            if (existing != null && existing.getClass() != value.getClass()) {
                value.release();
                return new ErrorReply(WrongTypeException.MESSAGE);
            }
            keyspace.put(key, value);
            client.server().persistence().changes().propagate(RecreateCommands.of(key, value));
        }
        return SimpleStringReply.OK;
    }

    /** {@code [[key, tag], ...]} of every value of the kind, as AI._MODELSCAN and AI._SCRIPTSCAN reply. */
    static Reply scanTags(Keyspace keyspace, Class<? extends ExecutableValue> kind) {
        List<Reply> found = new ArrayList<>();
        for (Key key : keyspace.keys(key -> kind.isInstance(keyspace.get(key)))) {
            ExecutableValue value = kind.cast(keyspace.get(key));
            found.add(ArrayReply.of(BulkReply.of(key.bytes()), BulkReply.of(value.tag())));
        }
        return new ArrayReply(found);
    }
}
