package org.inferis.worker;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** This node's stream workers: started from the {@code stream-worker} settings, changed as they change. */
public final class StreamWorkers implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StreamWorkers.class);

    private final String consumerName;
    private final JobRunner runner;
    private final LongSupplier claimIdleMillis;
    private final List<StreamWorker> workers = new ArrayList<>();
    private boolean closed;

    public StreamWorkers(String consumerName, JobRunner runner, LongSupplier claimIdleMillis) {
        this.consumerName = consumerName;
        this.runner = runner;
        this.claimIdleMillis = claimIdleMillis;
    }

    /** Runs exactly these workers: those already running for a spec go on, others stop (waiting up to the time). */
    public synchronized void apply(List<WorkerSpec> specs, long stopWaitMillis) {
        if (closed) {
            return;
        }
        List<StreamWorker> kept = new ArrayList<>();
        for (StreamWorker worker : workers) {
            if (specs.contains(worker.spec())) {
                kept.add(worker);
            } else {
                worker.stop(stopWaitMillis);
                LOG.info("Stream worker {} (group {}) stopped", worker.spec().uri(), worker.spec().group());
            }
        }
        for (WorkerSpec spec : specs) {
            if (kept.stream().noneMatch(worker -> worker.spec().equals(spec))) {
                StreamWorker worker = StreamWorker.of(spec, consumerName, runner, claimIdleMillis);
                worker.start();
                kept.add(worker);
                LOG.info("Stream worker {} (group {}, results to {}) started as consumer {}", spec.uri(), spec.group(),
                        spec.results(), consumerName);
            }
        }
        workers.clear();
        workers.addAll(kept);
    }

    /** One line per worker for INFO workers. */
    public synchronized List<String> describe() {
        return workers.stream().map(StreamWorker::describe).toList();
    }

    /** Stops taking jobs everywhere and waits up to the time given for those taken to be answered. */
    public synchronized void stop(long waitMillis) {
        apply(List.of(), waitMillis);
        closed = true;
    }

    @Override
    public void close() {
        stop(0);
    }
}
