package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import java.util.ArrayList;
import java.util.List;
import org.inferis.backend.Fixtures;

/** Storing fixture models and keeping a device's worker busy, for the scheduling tests. */
final class TestModels {
    private TestModels() {
    }

    /** AI.MODELSTORE of a fixture file ({@code .pt} for TORCH, {@code .onnx} for ONNX) with extra options. */
    static void store(StatefulRedisConnection<String, String> c, String key, String file, Object... options) {
        List<Object> args = new ArrayList<>(List.of(key, file.endsWith(".pt") ? "TORCH" : "ONNX", "CPU"));
        args.addAll(List.of(options));
        args.add("BLOB");
        args.add(Fixtures.model(file));
        assertEquals("OK", Ai.status(c, "AI.MODELSTORE", args.toArray()));
    }

    /** Starts a large CNN batch that keeps a single CPU worker busy for a while; returns once it was sent. */
    static RedisFuture<String> occupyTheWorker(RunningServer server, StatefulRedisConnection<String, String> c) {
        store(c, "busy-cnn", "mnist_cnn.pt");
        Ai.status(c, "AI.TENSORSET", "busy-input", "FLOAT", 6000, 1, 28, 28);
        StatefulRedisConnection<String, String> busy = server.connect(ProtocolVersion.RESP2);
        busy.sync().clientSetname("busy-worker");
        RedisFuture<String> run = Ai.statusAsync(busy, "AI.MODELEXECUTE", "busy-cnn",
                "INPUTS", 1, "busy-input", "OUTPUTS", 1, "busy-output");
        Await.dispatched(c, "busy-worker", "AI.MODELEXECUTE");
        return run;
    }
}
