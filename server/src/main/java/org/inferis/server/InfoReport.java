package org.inferis.server;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import org.inferis.keyspace.Keyspace;
import org.inferis.keyspace.ValueType;
import org.inferis.model.ExecutableValue;
import org.inferis.observability.MemoryUse;

/** The INFO text: {@code # Section} headers and {@code field:value} lines with Redis's field names. */
public final class InfoReport {
    private static final Map<String, BiConsumer<ServerContext, StringBuilder>> SECTIONS = new LinkedHashMap<>();

    static {
        SECTIONS.put("server", InfoReport::server);
        SECTIONS.put("clients", InfoReport::clients);
        SECTIONS.put("memory", InfoReport::memory);
        SECTIONS.put("persistence", InfoReport::persistence);
        SECTIONS.put("stats", InfoReport::stats);
        SECTIONS.put("keyspace", InfoReport::keyspace);
        SECTIONS.put("ai", InfoReport::ai);
        SECTIONS.put("workers", InfoReport::workers);
    }

    private InfoReport() {
    }

    /** The named sections (all of them for none, {@code all}, {@code default} or {@code everything}). */
    public static String render(ServerContext server, List<String> requested) {
        StringBuilder text = new StringBuilder();
        boolean everything = requested.isEmpty() || requested.stream().anyMatch(
                s -> List.of("all", "default", "everything").contains(s.toLowerCase(Locale.ROOT)));
        for (Map.Entry<String, BiConsumer<ServerContext, StringBuilder>> section : SECTIONS.entrySet()) {
            if (everything || requested.stream().anyMatch(s -> s.equalsIgnoreCase(section.getKey()))) {
                if (text.length() > 0) {
                    text.append("\r\n");
                }
                String name = section.getKey();
                text.append("# ").append(name.equals("ai") ? "AI" : Character.toUpperCase(name.charAt(0)) + name.substring(1))
                        .append("\r\n");
                section.getValue().accept(server, text);
            }
        }
        return text.toString();
    }

    /** {@code workerN:uri=...,group=...,state=...,done=...,failed=...,in_flight=...,lag=...} per stream worker. */
    private static void workers(ServerContext server, StringBuilder text) {
        List<String> workers = server.workers() == null ? List.of() : server.workers().describe();
        field(text, "stream_workers", workers.size());
        for (int i = 0; i < workers.size(); i++) {
            field(text, "worker" + i, workers.get(i));
        }
    }

    private static void field(StringBuilder text, String name, Object value) {
        text.append(name).append(':').append(value).append("\r\n");
    }

    private static void server(ServerContext server, StringBuilder text) {
        long uptimeSeconds = (server.keyspace().now() - server.startedAt()) / 1000;
        field(text, "redis_version", ServerContext.REDIS_COMPATIBLE_VERSION);
        field(text, "inferis_version", ServerContext.VERSION);
        field(text, "redis_mode", "standalone");
        field(text, "os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        field(text, "arch_bits", System.getProperty("sun.arch.data.model", "64"));
        field(text, "java_version", System.getProperty("java.version"));
        field(text, "process_id", ProcessHandle.current().pid());
        field(text, "run_id", server.runId());
        field(text, "multiplexing_api", io.netty.channel.epoll.Epoll.isAvailable() ? "epoll" : "nio");
        field(text, "tcp_port", server.port());
        field(text, "uptime_in_seconds", uptimeSeconds);
        field(text, "uptime_in_days", uptimeSeconds / 86400);
        field(text, "executable", "inferis-server");
        field(text, "config_file", server.config().configFile() == null ? "" : server.config().configFile());
        field(text, "io_threads_active", server.config().getInt("io-threads"));
    }

    private static void clients(ServerContext server, StringBuilder text) {
        field(text, "connected_clients", server.clients().size());
        field(text, "maxclients", server.config().getInt("maxclients"));
        field(text, "blocked_clients", server.clients().blockedCount());
    }

    private static void memory(ServerContext server, StringBuilder text) {
        long heapUsed = MemoryUse.heapUsed();
        long direct = MemoryUse.direct();
        long used = heapUsed + direct;
        field(text, "used_memory", used);
        field(text, "used_memory_human", human(used));
        field(text, "used_memory_rss", residentSetBytes());
        field(text, "used_memory_peak", server.stats().memoryPeak(used));
        field(text, "used_memory_heap", heapUsed);
        field(text, "used_memory_direct", direct);
        field(text, "total_system_memory", ((com.sun.management.OperatingSystemMXBean)
                ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize());
        field(text, "used_memory_dataset", server.keyspace().usedBytes());
        long maxmemory = server.config().getLong("maxmemory");
        field(text, "maxmemory", maxmemory);
        field(text, "maxmemory_human", human(maxmemory));
        field(text, "maxmemory_policy", "noeviction");
    }

    private static void persistence(ServerContext server, StringBuilder text) {
        field(text, "loading", server.isReady() ? 0 : 1);
        for (String[] pair : server.persistence().info()) {
            field(text, pair[0], pair[1]);
        }
    }

    private static void stats(ServerContext server, StringBuilder text) {
        ServerStats stats = server.stats();
        field(text, "total_connections_received", stats.connectionsReceived());
        field(text, "total_commands_processed", stats.commandsProcessed());
        field(text, "instantaneous_ops_per_sec", stats.opsPerSecond());
        field(text, "rejected_connections", stats.connectionsRejected());
        field(text, "expired_keys", server.keyspace().expiredKeys());
    }

    private static void keyspace(ServerContext server, StringBuilder text) {
        Keyspace keyspace = server.keyspace();
        if (keyspace.size() > 0) {
            field(text, "db0", "keys=" + keyspace.size() + ",expires=" + keyspace.keysWithExpiry() + ",avg_ttl=0");
        }
    }

    private static void ai(ServerContext server, StringBuilder text) {
        Map<ValueType, long[]> byType = server.keyspace().statsByType();
        for (ValueType type : List.of(ValueType.TENSOR, ValueType.MODEL, ValueType.SCRIPT)) {
            long[] countAndBytes = byType.getOrDefault(type, new long[2]);
            String name = type.name().toLowerCase(Locale.ROOT) + "s";
            field(text, "ai_" + name, countAndBytes[0]);
            field(text, "ai_" + name + "_bytes", countAndBytes[1]);
        }
        long calls = 0;
        long batches = 0;
        long errors = 0;
        long dropped = 0;
        long queued = 0;
        Map<String, Long> queuedByDevice = new java.util.TreeMap<>();
        Keyspace keyspace = server.keyspace();
        for (var key : keyspace.keys(key -> keyspace.get(key) instanceof ExecutableValue)) {
            ExecutableValue value = (ExecutableValue) keyspace.get(key);
            calls += value.stats().calls();
            batches += value.stats().batches();
            errors += value.stats().errors();
            dropped += value.stats().dropped();
            queued += value.queue().depth();
            queuedByDevice.merge(value.queue().device(), (long) value.queue().depth(), Long::sum);
        }
        field(text, "ai_runs", calls);
        field(text, "ai_batches", batches);
        field(text, "ai_run_errors", errors);
        // runs whose client left before they started: dropped, never run
        field(text, "ai_runs_dropped", dropped);
        // threads still inside engine calls that model-execution-timeout gave up on
        field(text, "ai_abandoned_threads", server.scheduler().abandonedThreads());
        // CPU time workers spent awake waiting for the next run (run-spin), microseconds
        field(text, "ai_worker_spin_us", server.scheduler().spinMicros());
        // CPU time event loops spent polling for a pending run's reply, or the next request after one, instead of
        // sleeping (run-spin), microseconds
        field(text, "ai_loop_spin_us", server.stats().loopSpinNanos().sum() / 1000);
        // runs whose replies connections await: queued, running, or their outputs being stored
        field(text, "ai_awaited_runs", server.stats().awaitedRuns());
        field(text, "ai_queue_depth", queued);
        queuedByDevice.forEach((device, depth) ->
                field(text, "ai_queue_depth_" + device.toLowerCase(Locale.ROOT).replace(':', '_'), depth));
        // the engines running in this process: TF appears once its first model or LOADBACKEND loaded it
        server.backends().forEach((name, backend) -> {
            if (backend.isStarted()) {
                field(text, "ai_" + name.toLowerCase(Locale.ROOT) + "_version", backend.engineVersion());
            }
        });
    }

    private static long residentSetBytes() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            // not Linux: report 0 as Redis does where it cannot tell
        }
        return 0;
    }

    private static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + "B";
        }
        String[] units = {"K", "M", "G", "T"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.2f%s", value, units[unit]);
    }
}
