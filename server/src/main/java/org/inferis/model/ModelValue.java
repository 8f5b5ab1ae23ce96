package org.inferis.model;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.inferis.backend.Device;
import org.inferis.backend.LoadedModel;
import org.inferis.keyspace.Value;
import org.inferis.keyspace.ValueType;
import org.inferis.scheduler.ModelQueue;
import org.inferis.scheduler.RunStats;

/**
 * A model stored under a key: its options, the blob it was loaded from (for AI.MODELGET BLOB), the
 * engine's instances and the queue its runs wait in. The keyspace holds one reference and every queued
 * or running run holds one; the engines' native memory is freed when the last is released, so replacing
 * or deleting a model never pulls it from under a run.
 */
public final class ModelValue implements Value {
    private final ModelOptions options;
    private final Device device;
    private final byte[] blob;
    private final List<LoadedModel> instances;
    private final ModelQueue queue;
    private final AtomicInteger references = new AtomicInteger(1);

    public ModelValue(ModelOptions options, Device device, byte[] blob, List<LoadedModel> instances) {
        this.options = options;
        this.device = device;
        this.blob = blob;
        this.instances = List.copyOf(instances);
        this.queue = new ModelQueue(device.queueName(), new ModelQueue.Policy(options.batchSize(),
                options.minBatchSize(), options.minBatchTimeout(), options.maxQueue()), this.instances);
    }

    public ModelOptions options() {
        return options;
    }

    public Device device() {
        return device;
    }

    /** The stored bytes; callers must not modify them. */
    public byte[] blob() {
        return blob;
    }

    /** The first instance, for what all instances share: the signature. */
    public LoadedModel model() {
        return instances.get(0);
    }

    public ModelQueue queue() {
        return queue;
    }

    public RunStats stats() {
        return queue.stats();
    }

    /** Takes a reference for a run; false once the model has been freed. */
    public boolean acquire() {
        for (int count = references.get(); count > 0; count = references.get()) {
            if (references.compareAndSet(count, count + 1)) {
                return true;
            }
        }
        return false;
    }

    public void release() {
        if (references.decrementAndGet() == 0) {
            instances.forEach(LoadedModel::close);
        }
    }

    @Override
    public void discarded() {
        queue.drain();
        release();
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
