package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The Prometheus endpoint, parsed as Prometheus's text format, after known work. */
class MetricsIT {
    private static final int METRICS_PORT = FreePorts.next();

    @RegisterExtension
    static final RunningServer server = new RunningServer("--metrics-port", Integer.toString(METRICS_PORT));


    /** Text format 0.0.4: {@code # TYPE name kind} lines and {@code name{label="v",...} value} samples. */
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+(\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

    /** Sample name with its labels rendered canonically (sorted) to value. */
    private static Map<String, Double> scrape() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + METRICS_PORT + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        Map<String, String> types = new HashMap<>();
        Map<String, Double> samples = new LinkedHashMap<>();
        for (String line : response.body().split("\n")) {
            if (line.isBlank() || line.startsWith("# HELP")) {
                continue;
            }
            if (line.startsWith("# TYPE ")) {
                String[] parts = line.split(" ");
                types.put(parts[2], parts[3]);
                continue;
            }
            Matcher sample = SAMPLE.matcher(line);
            assertTrue(sample.matches(), "not a sample line: " + line);
            Map<String, String> labels = new java.util.TreeMap<>();
            if (sample.group(2) != null) {
                Matcher label = LABEL.matcher(sample.group(2));
                int end = 0;
                while (label.find()) {
                    labels.put(label.group(1), label.group(2));
                    end = label.end();
                }
                assertEquals(sample.group(2).length(), end, "labels of " + line);
            }
            String family = sample.group(1).replaceAll("_(total|count|sum|bucket|created)$", "");
            assertTrue(types.containsKey(family) || types.containsKey(sample.group(1)), "no TYPE for " + line);
            samples.put(sample.group(1) + (labels.isEmpty() ? "" : labels.toString()), Double.parseDouble(sample.group(3)));
        }
        return samples;
    }

    @Test
    void countersReflectKnownWork() throws Exception {
        StatefulRedisConnection<String, String> c = server.connect(ProtocolVersion.RESP2);
        TestModels.store(c, "m", "linear_relu.onnx", "BATCHSIZE", 8);
        Ai.status(c, "AI.TENSORSET", "x", "FLOAT", 2, 4);
        Ai.status(c, "AI.TENSORSET", "bad", "FLOAT", 2, 5);
        for (int i = 0; i < 3; i++) {
            Ai.status(c, "AI.MODELEXECUTE", "m", "INPUTS", 1, "x", "OUTPUTS", 1, "y");
        }
        assertThrows(RedisCommandExecutionException.class,
                () -> Ai.status(c, "AI.MODELEXECUTE", "m", "INPUTS", 1, "bad", "OUTPUTS", 1, "y"));
        Map<String, Double> metrics = scrape();
        assertEquals(4.0, metrics.get("inferis_model_runs_total{model=m}"));
        assertEquals(6.0, metrics.get("inferis_model_samples_total{model=m}"));
        assertEquals(1.0, metrics.get("inferis_model_errors_total{model=m}"));
        assertEquals(3.0, metrics.get("inferis_model_batch_size_count{model=m}"));
        assertEquals(6.0, metrics.get("inferis_model_batch_size_sum{model=m}"));
        assertEquals(3.0, metrics.get("inferis_model_batch_size_bucket{le=2.0, model=m}"));
        assertEquals(4.0, metrics.get("inferis_model_queue_wait_seconds_count{model=m}"));
        assertEquals(3.0, metrics.get("inferis_model_execution_seconds_count{model=m}"));
        assertEquals(4.0, metrics.get("inferis_commands_total{command=AI.MODELEXECUTE}"));
        assertEquals(4.0, metrics.get("inferis_command_duration_seconds_count{command=AI.MODELEXECUTE}"));
        assertTrue(metrics.get("inferis_connected_clients") >= 1);
        assertTrue(metrics.get("inferis_memory_used_bytes") > 0);
        assertEquals(4.0, metrics.get("inferis_keys"), "m, x, bad and the output y");
    }
}
