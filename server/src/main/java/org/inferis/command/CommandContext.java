package org.inferis.command;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.inferis.backend.ModelBackend;
import org.inferis.backend.ScriptCompiler;
import org.inferis.config.ServerConfig;
import org.inferis.keyspace.Keyspace;
import org.inferis.observability.Metrics;
import org.inferis.observability.Monitors;
import org.inferis.observability.SlowLog;
import org.inferis.persistence.Persistence;
import org.inferis.scheduler.RunScheduler;
import org.inferis.server.ClientRegistry;
import org.inferis.server.ServerStats;
import org.inferis.tensor.wire.TensorFactory;

/**
 * What commands may reach of the server: the keyspace and the services commands act on, never its listeners,
 * event loops or start-up. The server implements it.
 */
public interface CommandContext {
    String VERSION = "0.1.0";
    /** The Redis version clients are told (HELLO, INFO), for those that check features by it. */
    String REDIS_COMPATIBLE_VERSION = "7.2.4";

    Keyspace keyspace();

    ServerConfig config();

    Persistence persistence();

    RunScheduler scheduler();

    BlockedPops blockedPops();

    CommandTable commands();

    /** The engine of that name (TORCH, ONNX), or null. */
    ModelBackend backend(String name);

    /** The engine that compiles TorchScript scripts. */
    ScriptCompiler scriptEngine();

    /** Builds AI.TENSORSET's tensors, bounded by {@code proto-max-bulk-len} as it is set now. */
    TensorFactory tensors();

    SlowLog slowLog();

    Monitors monitors();

    /** Prometheus metrics, or null when they are off. */
    Metrics metrics();

    /** The connected clients, for CLIENT and the output limits. */
    ClientRegistry clients();

    /** Counters for INFO's stats section (CONFIG RESETSTAT resets them). */
    ServerStats stats();

    boolean isReady();

    /** True once the server stopped for good; read under the keyspace lock before any change is made. */
    boolean isStopping();

    boolean passwordRequired();

    /** The time, refreshed by the cron every tick: precise enough for idle times, and free to read. */
    long coarseMillis();

    /** INFO's text for the sections asked (all when empty). */
    String info(List<String> sections);

    /**
     * SHUTDOWN: stops taking commands, lets those in flight finish, saves (true: yes, false: no, null: when save
     * points are set) and stops; false when the save failed and the server goes on.
     */
    CompletableFuture<Boolean> shutdown(Boolean save);
}
