package org.inferis.server;

import java.util.concurrent.atomic.LongAdder;

/** Server-wide counters for INFO stats. */
public final class ServerStats {
    private final LongAdder commandsProcessed = new LongAdder();
    private final LongAdder connectionsReceived = new LongAdder();
    private final LongAdder connectionsRejected = new LongAdder();
    private final LongAdder loopSpinNanos = new LongAdder();
    /** The connections' event loops' waits, one each ({@link LoopSpin}). */
    private final java.util.List<LoopSpin> loopSpins = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile long lastSampleCommands;
    private volatile long lastSampleAt;
    private volatile long opsPerSecond;
    private final java.util.concurrent.atomic.AtomicLong memoryPeak = new java.util.concurrent.atomic.AtomicLong();

    public void commandProcessed() {
        commandsProcessed.increment();
    }

    void connectionReceived() {
        connectionsReceived.increment();
    }

    void connectionRejected() {
        connectionsRejected.increment();
    }

    public long commandsProcessed() {
        return commandsProcessed.sum();
    }

    public long connectionsReceived() {
        return connectionsReceived.sum();
    }

    public long connectionsRejected() {
        return connectionsRejected.sum();
    }

    /** An event loop's wait, counted from now on. */
    void loopStarted(LoopSpin spin) {
        loopSpins.add(spin);
    }

    /** Time event loops spent polling for a pending run's reply ({@link LoopSpin}), added to by them. */
    LongAdder loopSpinNanos() {
        return loopSpinNanos;
    }

    /** Runs whose replies the event loops' connections await. */
    int awaitedRuns() {
        return loopSpins.stream().mapToInt(LoopSpin::awaitedRuns).sum();
    }

    /** The largest memory use seen so far, updated with the current one. */
    public long memoryPeak(long current) {
        return memoryPeak.accumulateAndGet(current, Math::max);
    }

    public long opsPerSecond() {
        return opsPerSecond;
    }

    /** Called about once a second by the server's cron to refresh instantaneous_ops_per_sec. */
    void sample(long now) {
        long commands = commandsProcessed();
        if (lastSampleAt > 0 && now > lastSampleAt) {
            opsPerSecond = (commands - lastSampleCommands) * 1000 / (now - lastSampleAt);
        }
        lastSampleCommands = commands;
        lastSampleAt = now;
    }

    public void reset() {
        commandsProcessed.reset();
        connectionsReceived.reset();
        connectionsRejected.reset();
    }
}
