package org.inferis.backend.onnx;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import org.inferis.tensor.Tensor;

/**
 * One thread's {@link OnnxBinding}s of one session, most recently used first, the least recently used closed when they
 * would take more than {@link #MAX_BYTES}. Inputs' shapes get a binding once {@link #BIND_AFTER} unbound runs among
 * the recent ones had them, so shapes that come now and then (a batching model's rarer batch sizes) do not churn
 * direct buffers, which the JVM frees only when the GC notices them. Only its own thread uses it.
 */
final class ThreadBindings implements AutoCloseable {
    /** Direct memory a thread's bindings of one session may take: one batch of 32 of the reference CNN is 100 KiB. */
    static final long MAX_BYTES = 512 * 1024;
    static final int BIND_AFTER = 8;
    /** Shapes counted toward a binding: the most recently new ones. */
    private static final int MAX_CANDIDATES = 32;

    private static final class Candidate {
        final OnnxBinding.Signature signature;
        int runs = 1;

        Candidate(OnnxBinding.Signature signature) {
            this.signature = signature;
        }
    }

    private final ArrayDeque<OnnxBinding> bindings = new ArrayDeque<>();
    private final ArrayDeque<Candidate> candidates = new ArrayDeque<>();
    private long bytes;

    /** The binding the inputs fit, now the most recently used; null when none does. */
    OnnxBinding find(List<Tensor> inputs) {
        for (Iterator<OnnxBinding> it = bindings.iterator(); it.hasNext(); ) {
            OnnxBinding binding = it.next();
            if (binding.fits(inputs)) {
                it.remove();
                bindings.addFirst(binding);
                return binding;
            }
        }
        return null;
    }

    /** Counts an unbound run; true when its inputs' shapes have now come often enough to bind. */
    boolean countUnbound(List<Tensor> inputs) {
        for (Iterator<Candidate> it = candidates.iterator(); it.hasNext(); ) {
            Candidate candidate = it.next();
            if (candidate.signature.fits(inputs)) {
                if (++candidate.runs < BIND_AFTER) {
                    return false;
                }
                it.remove();
                return true;
            }
        }
        candidates.addFirst(new Candidate(new OnnxBinding.Signature(inputs)));
        if (candidates.size() > MAX_CANDIDATES) {
            candidates.removeLast();
        }
        return false;
    }

    /** Keeps a new binding, closing the least recently used ones that no longer fit in {@link #MAX_BYTES}. */
    void add(OnnxBinding binding) {
        bindings.addFirst(binding);
        bytes += binding.bytes();
        while (bytes > MAX_BYTES && bindings.size() > 1) {
            OnnxBinding oldest = bindings.removeLast();
            bytes -= oldest.bytes();
            oldest.close();
        }
    }

    @Override
    public void close() {
        bindings.forEach(OnnxBinding::close);
        bindings.clear();
        bytes = 0;
    }
}
