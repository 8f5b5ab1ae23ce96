package org.inferis.persistence;

import java.util.ArrayList;
import java.util.List;
import org.inferis.keyspace.Key;
import org.inferis.keyspace.TensorValue;
import org.inferis.keyspace.Value;
import org.inferis.model.ModelOptions;
import org.inferis.model.ModelValue;
import org.inferis.model.ScriptValue;
import org.inferis.tensor.Tensor;

/**
 * The command that stores a value as it is now, for the append-only file: what a model or script load or a run's
 * outputs did, logged as its effect (as RedisAI replicates a run as AI.TENSORSET of its outputs), so replay does
 * not depend on re-running anything. Arguments are byte[], String, Number or ByteBuffer.
 */
public final class RecreateCommands {
    private RecreateCommands() {
    }

    /** AI.TENSORSET, AI.MODELSTORE or AI.SCRIPTSTORE of the value under the key. */
    public static Object[] of(Key key, Value value) {
        List<Object> args = new ArrayList<>();
        if (value instanceof TensorValue tensorValue) {
            Tensor tensor = tensorValue.tensor();
            args.addAll(List.of("AI.TENSORSET", key.bytes(), tensor.dtype().name()));
            for (long dim : tensor.shape()) {
                args.add(dim);
            }
            args.add("BLOB");
            args.add(tensor.data().duplicate().clear());
        } else if (value instanceof ModelValue model) {
            ModelOptions options = model.options();
            args.addAll(List.of("AI.MODELSTORE", key.bytes(), options.backend(), options.device(), "TAG", options.tag()));
            if (options.batchSize() > 0) {
                args.addAll(List.of("BATCHSIZE", options.batchSize()));
                if (options.minBatchSize() > 0) {
                    args.addAll(List.of("MINBATCHSIZE", options.minBatchSize()));
                    if (options.minBatchTimeout() > 0) {
                        args.addAll(List.of("MINBATCHTIMEOUT", options.minBatchTimeout()));
                    }
                }
            }
            args.addAll(List.of("MAXQUEUE", options.maxQueue(), "INSTANCES", options.instances()));
            if (options.latency() > 0) {
                args.addAll(List.of("LATENCY", options.latency()));
            }
            if (!options.io().isEmpty()) {
                args.addAll(List.of("INPUTS", options.io().inputs().size()));
                args.addAll(options.io().inputs());
                args.addAll(List.of("OUTPUTS", options.io().outputs().size()));
                args.addAll(options.io().outputs());
            }
            args.addAll(List.of("BLOB", model.blob()));
        } else if (value instanceof ScriptValue script) {
            args.addAll(List.of("AI.SCRIPTSTORE", key.bytes(), script.deviceText(), "TAG", script.tag(),
                    "ENTRY_POINTS", script.entryPoints().size()));
            args.addAll(script.entryPoints());
            args.addAll(List.of("SOURCE", script.source()));
        } else {
            throw new IllegalArgumentException("no store command for " + value.type());
        }
        return args.toArray();
    }
}
