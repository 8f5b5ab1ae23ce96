package org.inferis.scheduler;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * How long a worker that just answered a batch spins for the next run before it sleeps. A client that got its reply
 * often sends its next run within some 50 µs; a sleeping worker takes 10-15 µs to wake, and the forward after a sleep
 * is slower (a forward after a 100 µs pause measured 10-15% slower on one VM; on a later one, after 100 µs asleep
 * 25-40% on the TorchScript reference CNN, after 100 µs awake within the spread: docs/profiling.md, "A forward after a
 * gap"). Spinning takes a core, though, and under load it starves the event loops (16 clients of a small model: 2.4x
 * fewer runs a second), so the device spins only when its runs come one at a time ({@link DeviceWorkers}), and only
 * while the machine leaves {@link #SPARE_CORES} idle without any spinning. Measured with spinning on, the load would
 * include the very work the spinning displaced, so the load is read over a quiet tick (100 ms) in which nothing spins:
 * every tick while nothing spins anyway (which costs nothing, and lets spinning resume one tick after a load goes),
 * one tick after {@link #TICKS_BETWEEN_CHECKS} of spinning. A quiet tick answers its runs as {@code run-spin 0} does,
 * and at one client they set the p99: with a quiet tick every second (10% of the runs), the reference CNN in ONNX
 * measured p99 226-236 µs and the TorchScript Linear 189-203; every 5 s, 190-200 and 183-185; never, 192-211 and
 * 167-174 (p50s within 3 µs of each other; three alternating rounds of 15 s). Never on one core.
 */
final class WorkerSpin {
    /**
     * Idle cores, on average, below which no worker spins. Half a core: at one client on 2 cores, with the load
     * generator on the same machine, some 0.8 cores measured idle.
     */
    static final double SPARE_CORES = 0.5;
    /**
     * Ticks of spinning between two quiet ticks: 5 s, so that 2% of the runs of a lone client go unspun. A load that
     * comes meanwhile finds spinners that give it their core: a worker's spin yields between checks ({@link SpinPause}).
     */
    static final int TICKS_BETWEEN_CHECKS = 50;

    private final int cores;
    private final LongSupplier limitMicros;
    /** The machine's CPU use since the previous call, 0 to 1 of all cores; negative when unknown. */
    private final DoubleSupplier machineLoad;
    private final LongAdder spunNanos = new LongAdder();
    private volatile boolean coreToSpare;
    /** The tick now under way is a quiet one, its load measured; read and written by the ticking thread only. */
    private boolean quiet;
    private int ticksSpinning;

    /** @param limitMicros the {@code run-spin} option: the longest spin, 0 for none */
    WorkerSpin(int cores, LongSupplier limitMicros, DoubleSupplier machineLoad) {
        this.cores = cores;
        this.limitMicros = limitMicros;
        this.machineLoad = machineLoad;
    }

    /** The machine's CPU use since the previous call, as the JDK reports it (containers: the container's). */
    static double systemCpuLoad() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean bean ? bean.getCpuLoad() : -1;
    }

    /** How long a worker may spin now, in nanoseconds; 0: sleep at once. */
    long budgetNanos() {
        return coreToSpare ? limitNanos() : 0;
    }

    /** The longest spin the option allows, whatever the machine's load, in nanoseconds. */
    long limitNanos() {
        return limitMicros.getAsLong() * 1000;
    }

    /** A worker spun this long. */
    void spun(long nanos) {
        spunNanos.add(nanos);
    }

    /** Microseconds workers spent spinning, for INFO. */
    long spunMicros() {
        return spunNanos.sum() / 1000;
    }

    /** Called every 100 ms from one thread: ends a quiet tick with a decision, or starts one when it is due. */
    void tick() {
        if (quiet) {
            double load = machineLoad.getAsDouble(); // over the quiet tick; the next reading counts from here
            coreToSpare = cores > 1 && load >= 0 && cores * (1 - load) >= SPARE_CORES;
            quiet = !coreToSpare; // nothing spins during the next tick either: it is measured too
            ticksSpinning = 0;
        } else if (!coreToSpare || ++ticksSpinning >= TICKS_BETWEEN_CHECKS) {
            coreToSpare = false;
            machineLoad.getAsDouble(); // the quiet tick's reading counts from here
            quiet = true;
        }
    }
}
