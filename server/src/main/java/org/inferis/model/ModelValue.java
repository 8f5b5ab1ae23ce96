package org.inferis.model;

import java.util.List;
import org.inferis.backend.Device;
import org.inferis.backend.LoadedModel;
import org.inferis.keyspace.ValueType;
import org.inferis.scheduler.ModelQueue;
import org.inferis.scheduler.Runner;

/** A model stored under a key: its options, the blob it was loaded from (for AI.MODELGET BLOB) and its instances. */
public final class ModelValue extends ExecutableValue {
    private final ModelOptions options;
    private final byte[] blob;
    private final List<LoadedModel> instances;
    private final ModelQueue queue;

    /** @param name the key it is stored under, for metrics */
    public ModelValue(String name, ModelOptions options, Device device, byte[] blob, List<LoadedModel> instances) {
        this.options = options;
        this.blob = blob;
        this.instances = List.copyOf(instances);
        this.queue = new ModelQueue(name, device.queueName(), new ModelQueue.Policy(options.batchSize(),
                options.minBatchSize(), options.minBatchTimeout(), options.maxQueue(), options.latency()),
                this.instances.stream().map(ModelValue::runner).toList());
    }

    private static Runner runner(LoadedModel model) {
        return Runner.stoppable(model::run, model::terminate);
    }

    public ModelOptions options() {
        return options;
    }

    /** The stored bytes; callers must not modify them. */
    public byte[] blob() {
        return blob;
    }

    /** The first instance, for what all instances share: the signature. */
    public LoadedModel model() {
        return instances.get(0);
    }

    @Override
    public String tag() {
        return options.tag();
    }

    @Override
    public String deviceText() {
        return options.device();
    }

    @Override
    public ModelQueue queue() {
        return queue;
    }

    @Override
    protected void free() {
        instances.forEach(LoadedModel::close);
    }

    @Override
    public ValueType type() {
        return ValueType.MODEL;
    }

    @Override
    public long byteSize() {
        return blob.length;
    }
}
