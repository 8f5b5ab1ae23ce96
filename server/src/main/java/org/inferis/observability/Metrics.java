package org.inferis.observability;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.util.function.BiConsumer;
import org.inferis.keyspace.Key;
import org.inferis.keyspace.Keyspace;
import org.inferis.model.ExecutableValue;
import org.inferis.scheduler.RunObserver;
import org.inferis.scheduler.RunStats;
import org.inferis.server.ServerContext;

/**
 * Prometheus metrics on {@code metrics-port}, with the Prometheus Java client: command counts and
 * latencies, clients, memory, keys, and per model or script runs, samples, errors, batch sizes, queue
 * waits and execution times. Created only when the port is set, so the request path pays nothing otherwise.
 */
public final class Metrics implements RunObserver, AutoCloseable {
    private static final double[] SECONDS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
        0.25, 0.5, 1, 2.5, 5, 10};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter commands;
    private final Histogram commandSeconds;
    private final Histogram batchSize;
    private final Histogram queueWaitSeconds;
    private final Histogram runSeconds;
    private final HTTPServer http;

    public Metrics(ServerContext server, String bind, int port) throws IOException {
        commands = Counter.builder().name("inferis_commands_total").help("Commands processed")
                .labelNames("command").register(registry);
        commandSeconds = Histogram.builder().name("inferis_command_duration_seconds")
                .help("Time from a command's start to its reply").labelNames("command")
                .classicOnly().classicUpperBounds(SECONDS).register(registry);
        batchSize = Histogram.builder().name("inferis_model_batch_size").help("Samples per batch run by the engine")
                .labelNames("model").classicOnly().classicExponentialUpperBounds(1, 2, 11).register(registry);
        queueWaitSeconds = Histogram.builder().name("inferis_model_queue_wait_seconds")
                .help("Time runs waited in their model's queue").labelNames("model")
                .classicOnly().classicUpperBounds(SECONDS).register(registry);
        runSeconds = Histogram.builder().name("inferis_model_execution_seconds")
                .help("Engine time per batch").labelNames("model").classicOnly().classicUpperBounds(SECONDS)
                .register(registry);
        GaugeWithCallback.builder().name("inferis_connected_clients").help("Connected clients")
                .callback(cb -> cb.call(server.clients().size())).register(registry);
        GaugeWithCallback.builder().name("inferis_memory_used_bytes").help("Heap in use plus direct buffers")
                .callback(cb -> cb.call(usedMemory())).register(registry);
        GaugeWithCallback.builder().name("inferis_keys").help("Keys in the keyspace")
                .callback(cb -> cb.call(server.keyspace().size())).register(registry);
        perModel(server, "inferis_model_runs", "Runs of a model or script (each request once)", RunStats::calls);
        perModel(server, "inferis_model_samples", "Samples run by a model (sum of dim 0)", RunStats::samples);
        perModel(server, "inferis_model_errors", "Failed runs of a model or script", RunStats::errors);
        http = HTTPServer.builder().inetAddress(InetAddress.getByName(bind)).port(port).registry(registry)
                .buildAndStart();
    }

    private void perModel(ServerContext server, String name, String help, java.util.function.ToLongFunction<RunStats> value) {
        CounterWithCallback.builder().name(name).help(help).labelNames("model")
                .callback(cb -> forEachExecutable(server.keyspace(),
                        (key, executable) -> cb.call(value.applyAsLong(executable.stats()), key.toString())))
                .register(registry);
    }

    private static void forEachExecutable(Keyspace keyspace, BiConsumer<Key, ExecutableValue> action) {
        synchronized (keyspace) {
            for (Key key : keyspace.keys(key -> keyspace.get(key) instanceof ExecutableValue)) {
                action.accept(key, (ExecutableValue) keyspace.get(key));
            }
        }
    }

    private static double usedMemory() {
        return MemoryUse.heapUsed() + MemoryUse.direct();
    }

    /** The port the endpoint listens on. */
    public int port() {
        return http.getPort();
    }

    public void commandDone(String command, long nanos) {
        commands.labelValues(command).inc();
        commandSeconds.labelValues(command).observe(nanos / 1e9);
    }

    @Override
    public void waited(String queue, long nanos) {
        queueWaitSeconds.labelValues(queue).observe(nanos / 1e9);
    }

    @Override
    public void ran(String queue, int requests, long samples, long nanos) {
        batchSize.labelValues(queue).observe(samples);
        runSeconds.labelValues(queue).observe(nanos / 1e9);
    }

    @Override
    public void close() {
        http.close();
    }
}
