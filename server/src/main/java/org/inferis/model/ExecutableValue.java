package org.inferis.model;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.inferis.keyspace.Value;
import org.inferis.scheduler.ModelQueue;
import org.inferis.scheduler.QueueFullException;
import org.inferis.scheduler.RunScheduler;
import org.inferis.scheduler.Runner;
import org.inferis.scheduler.RunStats;
import org.inferis.tensor.Tensor;

/**
 * A stored model or script: the queue its runs wait in, and reference counting of its native memory.
 * The keyspace holds one reference and every queued or running run holds one; the engine's memory is
 * freed when the last is released, so replacing or deleting it never pulls it from under a run.
 */
public abstract class ExecutableValue implements Value {
    private final AtomicInteger references = new AtomicInteger(1);

    /** The queue this value's runs wait in. */
    public abstract ModelQueue queue();

    /** The TAG given at store time ("" when none). */
    public abstract String tag();

    /** The device as the client wrote it. */
    public abstract String deviceText();

    /** Frees the engine's memory; called once, when the last reference goes. */
    protected abstract void free();

    public RunStats stats() {
        return queue().stats();
    }

    /** Takes a reference for a run; false once the value has been freed. */
    private boolean acquire() {
        for (int count = references.get(); count > 0; count = references.get()) {
            if (references.compareAndSet(count, count + 1)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Queues a run holding a reference until it ends: on the queue's instances when {@code call} is null,
     * else the given call. Null once the value has been freed.
     */
    public CompletableFuture<List<Tensor>> start(RunScheduler scheduler, List<Tensor> inputs, Runner call,
                                                 long timeoutMillis) throws QueueFullException {
        if (!acquire()) {
            return null;
        }
        try {
            return scheduler.submit(queue(), inputs, call, timeoutMillis, this::release);
        } catch (QueueFullException e) {
            release();
            throw e;
        }
    }

    public void release() {
        if (references.decrementAndGet() == 0) {
            free();
        }
    }

    /** Queued runs are answered at once (no waiting for a batch), then the keyspace's reference goes. */
    @Override
    public void discarded() {
        queue().drain();
        release();
    }
}
