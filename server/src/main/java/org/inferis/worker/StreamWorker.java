package org.inferis.worker;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.inferis.backend.BackendException;
import org.inferis.scheduler.QueueFullException;
import org.inferis.tensor.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member of a consumer group on an engine this node does not run (Redis Streams, Kafka): its thread takes jobs,
 * runs them through the node's queues and hands each outcome to the engine. What is common: running a job with
 * backpressure, and the figures INFO workers shows.
 */
public abstract class StreamWorker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StreamWorker.class);
    /** Jobs taken and not yet answered, at most: enough to fill several batches of any model. */
    static final int MAX_IN_FLIGHT = 256;

    /** A job's result: the outputs' safetensors file, or the error text. */
    record Outcome(byte[] outputs, String error) {
        static Outcome failed(String error) {
            return new Outcome(null, error);
        }
    }

    protected final WorkerSpec spec;
    protected final String consumerName;
    private final JobRunner runner;
    private final Thread thread;
    protected volatile boolean running = true;
    private volatile String state = "starting";
    private final AtomicLong done = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong inFlight = new AtomicLong();
    private volatile long lag = -1;
    /** Set by {@link #stop}: until when the jobs taken may still be answered. */
    private volatile long drainDeadline;
    private final Object answered = new Object();

    protected StreamWorker(WorkerSpec spec, String consumerName, JobRunner runner) {
        this.spec = spec;
        this.consumerName = consumerName;
        this.runner = runner;
        this.thread = new Thread(this::consumeUntilClosed, "inferis-worker-" + spec.source());
        this.thread.setDaemon(true);
    }

    /** Creates the worker the spec names; {@link #start()} starts it. */
    public static StreamWorker of(WorkerSpec spec, String consumerName, JobRunner runner,
                                  java.util.function.LongSupplier claimIdleMillis) {
        return spec.engine() == WorkerSpec.Engine.REDIS
                ? new RedisStreamWorker(spec, consumerName, runner, claimIdleMillis)
                : new KafkaStreamWorker(spec, consumerName, runner);
    }

    public void start() {
        thread.start();
    }

    private void consumeUntilClosed() {
        while (running) {
            try {
                consume();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                state("disconnected: " + e.getMessage());
                LOG.warn("Stream worker {}: {}; retrying in a second", spec.uri(), e.toString());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    /** Connects and takes jobs while {@link #running}; throws to be called again after a pause. */
    protected abstract void consume() throws InterruptedException;

    /** Stops taking jobs, waits (up to the time given) for those taken to be answered, and disconnects. */
    public void stop(long waitMillis) {
        drainDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        running = false;
        try {
            thread.join(waitMillis + TimeUnit.SECONDS.toMillis(2)); // the engine's blocking read ends meanwhile
            thread.interrupt();
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        state("stopped");
    }

    @Override
    public void close() {
        stop(0);
    }

    /** Once stopped: waits until the jobs taken are answered, or the stop's time is up. */
    protected void awaitAnswered() throws InterruptedException {
        synchronized (answered) {
            while (inFlight.get() > 0 && System.nanoTime() < drainDeadline) {
                answered.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(drainDeadline - System.nanoTime())));
            }
        }
    }

    /**
     * Starts a job: decodes its inputs and queues the run, waiting while the model's queue is full (MAXQUEUE is
     * backpressure: the worker takes nothing more meanwhile). The outcome's future never fails.
     */
    protected CompletableFuture<Outcome> startJob(String model, byte[] inputs) throws InterruptedException {
        awaitRoom();
        inFlight.incrementAndGet();
        if (model == null || inputs == null) {
            return CompletableFuture.completedFuture(Outcome.failed("a job needs a model and its inputs"));
        }
        List<Tensor> tensors;
        try {
            tensors = SafeTensors.decode(inputs);
        } catch (SafeTensors.MalformedException e) {
            return CompletableFuture.completedFuture(Outcome.failed(e.getMessage()));
        }
        boolean paused = false;
        try {
            while (true) {
                try {
                    return runner.run(model, tensors).handle(StreamWorker::outcome);
                } catch (QueueFullException e) {
                    if (!paused) {
                        state("paused: queue of '" + model + "' full");
                        paused = true;
                    }
                    try {
                        synchronized (answered) {
                            answered.wait(5); // a run of this worker or another client ends meanwhile: try again
                        }
                    } catch (InterruptedException interrupted) {
                        inFlight.decrementAndGet(); // not taken after all: the engine gives it again
                        throw interrupted;
                    }
                } catch (JobRunner.JobFailedException e) {
                    return CompletableFuture.completedFuture(Outcome.failed(e.getMessage()));
                }
            }
        } finally {
            if (paused) {
                state("running");
            }
        }
    }

    private static Outcome outcome(List<Tensor> outputs, Throwable error) {
        if (error != null) {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (cause instanceof BackendException) {
                return Outcome.failed(cause.getMessage()); // the engine's words, as a client's run gets them
            }
            LOG.warn("A stream job failed", cause);
            return Outcome.failed("internal error while running (the server log has the details)");
        }
        try {
            return new Outcome(SafeTensors.encode(outputs), null);
        } catch (IllegalArgumentException e) {
            return Outcome.failed(e.getMessage());
        }
    }

    /** The engine has the job's outcome (or will give the job again): counts it and makes room for another. */
    protected void answered(Outcome outcome, boolean delivered) {
        if (delivered) {
            (outcome.error() == null ? done : failed).incrementAndGet();
        }
        inFlight.decrementAndGet();
        synchronized (answered) {
            answered.notifyAll();
        }
    }

    /** How many more jobs may be taken now (waits until at least one). */
    protected int room() throws InterruptedException {
        awaitRoom();
        return (int) (MAX_IN_FLIGHT - inFlight.get());
    }

    private void awaitRoom() throws InterruptedException {
        synchronized (answered) {
            while (inFlight.get() >= MAX_IN_FLIGHT) {
                answered.wait(100);
            }
        }
    }

    protected void state(String state) {
        this.state = state.replaceAll("[,\r\n]", " "); // INFO's line separates fields by commas
    }

    protected void lag(long lag) {
        this.lag = lag;
    }

    public WorkerSpec spec() {
        return spec;
    }

    /** The INFO workers line: {@code uri=...,group=...,results=...,state=...,done=n,failed=n,in_flight=n,lag=n}. */
    public String describe() {
        return "uri=" + spec.uri() + ",group=" + spec.group() + ",results=" + spec.results() + ",consumer="
                + consumerName + ",state=" + state + ",done=" + done.get() + ",failed=" + failed.get()
                + ",in_flight=" + inFlight.get() + ",lag=" + (lag < 0 ? "unknown" : Long.toString(lag));
    }
}
