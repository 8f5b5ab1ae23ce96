package org.inferis.model;

import java.util.concurrent.atomic.AtomicInteger;
import org.inferis.backend.Device;
import org.inferis.backend.LoadedModel;
import org.inferis.keyspace.Value;
import org.inferis.keyspace.ValueType;

/**
 * A model stored under a key: its options, the blob it was loaded from (for AI.MODELGET BLOB) and the
 * engine's model. The keyspace holds one reference and every queued or running run holds one; the
 * engine's native memory is freed when the last is released, so replacing or deleting a model never
 * pulls it from under a run.
 */
public final class ModelValue implements Value {
    private final ModelOptions options;
    private final Device device;
    private final byte[] blob;
    private final LoadedModel model;
    private final RunStats stats = new RunStats();
    private final AtomicInteger references = new AtomicInteger(1);

    public ModelValue(ModelOptions options, Device device, byte[] blob, LoadedModel model) {
        this.options = options;
        this.device = device;
        this.blob = blob;
        this.model = model;
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

    public LoadedModel model() {
        return model;
    }

    public RunStats stats() {
        return stats;
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
            model.close();
        }
    }

    @Override
    public void discarded() {
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
