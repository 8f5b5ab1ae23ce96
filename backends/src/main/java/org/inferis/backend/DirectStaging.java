package org.inferis.backend;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.inferis.tensor.Tensor;

/**
 * Per-thread direct memory that engines read inputs from in place. Tensors live on the heap, engines need
 * native addresses: this is the one copy on the way in, into memory reused run after run rather than a
 * fresh direct buffer each time (which the JVM frees only when the GC notices it).
 * A run must be finished with its staged inputs before the same thread stages the next run's.
 */
public final class DirectStaging {
    private static final int ALIGNMENT = 64;
    /** Inputs larger than this get a buffer of their own, so one huge run does not pin its size per thread. */
    private static final long MAX_KEPT_BYTES = 64L << 20;
    private static final ThreadLocal<ByteBuffer> SCRATCH = new ThreadLocal<>();

    private DirectStaging() {
    }

    /** Copies each tensor's data into this thread's scratch memory; returns one view per tensor. */
    public static List<ByteBuffer> stage(List<Tensor> tensors) {
        long total = 0;
        for (Tensor tensor : tensors) {
            total += align(tensor.byteSize());
        }
        ByteBuffer scratch = SCRATCH.get();
        if (total > MAX_KEPT_BYTES) {
            scratch = ByteBuffer.allocateDirect((int) total);
        } else if (scratch == null || scratch.capacity() < total) {
            scratch = ByteBuffer.allocateDirect((int) Math.max(total, 4096));
            SCRATCH.set(scratch);
        }
        List<ByteBuffer> views = new ArrayList<>(tensors.size());
        int offset = 0;
        for (Tensor tensor : tensors) {
            int size = (int) tensor.byteSize();
            ByteBuffer view = scratch.duplicate();
            view.position(offset).limit(offset + size);
            view = view.slice().order(ByteOrder.LITTLE_ENDIAN);
            view.put(tensor.data());
            view.flip();
            views.add(view);
            offset += align(size);
        }
        return views;
    }

    private static long align(long size) {
        return (size + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }
}
