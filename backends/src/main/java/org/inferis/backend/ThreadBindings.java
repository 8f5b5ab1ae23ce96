package org.inferis.backend;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import org.inferis.tensor.Tensor;

/**
 * One thread's bindings of one model (engine tensors kept from run to run for inputs of one signature), most recently
 * used first, the least recently used closed when they would take more than {@link #MAX_BYTES}. Inputs' shapes get a
 * binding once {@link #BIND_AFTER} unbound runs among the recent ones had them, so shapes that come now and then (a
 * batching model's rarer batch sizes) do not churn native memory. Only its own thread uses it.
 */
public final class ThreadBindings<B extends ThreadBindings.Binding> implements AutoCloseable {
    /** Tensors an engine keeps for runs whose inputs fit a signature, and the memory they take. */
    public interface Binding extends AutoCloseable {
        boolean fits(List<Tensor> inputs);

        long bytes();

        @Override
        void close();
    }

    /** Memory a thread's bindings of one model may take: one batch of 32 of the reference CNN is 100 KiB. */
    public static final long MAX_BYTES = 512 * 1024;
    public static final int BIND_AFTER = 8;
    /** Shapes counted toward a binding: the most recently new ones. */
    private static final int MAX_CANDIDATES = 32;

    private static final class Candidate {
        final InputSignature signature;
        int runs = 1;

        Candidate(InputSignature signature) {
            this.signature = signature;
        }
    }

    private final ArrayDeque<B> bindings = new ArrayDeque<>();
    private final ArrayDeque<Candidate> candidates = new ArrayDeque<>();
    private long bytes;

    /** The binding the inputs fit, now the most recently used; null when none does. */
    public B find(List<Tensor> inputs) {
        for (Iterator<B> it = bindings.iterator(); it.hasNext(); ) {
            B binding = it.next();
            if (binding.fits(inputs)) {
                it.remove();
                bindings.addFirst(binding);
                return binding;
            }
        }
        return null;
    }

    /** Counts an unbound run; true when its inputs' shapes have now come often enough to bind. */
    public boolean countUnbound(List<Tensor> inputs) {
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
        candidates.addFirst(new Candidate(new InputSignature(inputs)));
        if (candidates.size() > MAX_CANDIDATES) {
            candidates.removeLast();
        }
        return false;
    }

    /** Keeps a new binding, closing the least recently used ones that no longer fit in {@link #MAX_BYTES}. */
    public void add(B binding) {
        bindings.addFirst(binding);
        bytes += binding.bytes();
        while (bytes > MAX_BYTES && bindings.size() > 1) {
            B oldest = bindings.removeLast();
            bytes -= oldest.bytes();
            oldest.close();
        }
    }

    @Override
    public void close() {
        bindings.forEach(Binding::close);
        bindings.clear();
        bytes = 0;
    }
}
