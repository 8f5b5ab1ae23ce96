package org.inferis.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.inferis.backend.BackendException;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The scheduler with runners gated by latches instead of engines: what runs together, what the watchdog does to a
 * stuck call, when references are released, and what a cancelled run costs. Waits on state, never on time.
 */
class RunSchedulerTest {
    private static final ModelQueue.Policy BATCH_OF_FOUR = new ModelQueue.Policy(4, 0, 0, 0);
    private static final ModelQueue.Policy NO_BATCHING = new ModelQueue.Policy(0, 0, 0, 0);

    /** A runner that blocks each call until released, and tells how many calls are inside it at once. */
    private static final class GatedRunner implements Runner {
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger inside = new AtomicInteger();
        final AtomicInteger mostInside = new AtomicInteger();
        final AtomicInteger calls = new AtomicInteger();
        final List<Long> batchRows = Collections.synchronizedList(new ArrayList<>());

        @Override
        public List<Tensor> run(List<Tensor> inputs) {
            calls.incrementAndGet();
            batchRows.add(inputs.get(0).dim(0));
            mostInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inside.decrementAndGet();
            }
            return List.of(inputs.get(0)); // one output with the batch's rows
        }

        void awaitInside(int count) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (inside.get() < count) {
                assertTrue(System.nanoTime() < deadline, "waited for " + count + " calls inside the runner");
                Thread.sleep(1);
            }
        }
    }

    private final RunScheduler scheduler = new RunScheduler(1, () -> 0, () -> 0);

    @AfterEach
    void close() {
        scheduler.close();
        watched.close();
    }

    private static Tensor rows(long rows) {
        return new Tensor(DType.FLOAT, new long[] {rows, 2},
                ByteBuffer.allocate((int) rows * 8).order(ByteOrder.LITTLE_ENDIAN));
    }

    @Test
    void instancesRunTheirBatchesInParallelWithOneThreadPerQueue() throws Exception {
        GatedRunner a = new GatedRunner();
        GatedRunner b = new GatedRunner();
        ModelQueue queue = new ModelQueue("m", "CPU", NO_BATCHING, List.of(a, b));
        CompletableFuture<List<Tensor>> first = scheduler.submit(queue, List.of(rows(1)), null, 0, () -> { });
        CompletableFuture<List<Tensor>> second = scheduler.submit(queue, List.of(rows(1)), null, 0, () -> { });
        a.awaitInside(1);
        b.awaitInside(1);
        a.release.countDown();
        b.release.countDown();
        first.get(30, TimeUnit.SECONDS);
        second.get(30, TimeUnit.SECONDS);
    }

    @Test
    void runsWhoseInputsDisagreeOnDimZeroAreNeverBatched() throws Exception {
        GatedRunner runner = new GatedRunner();
        runner.release.countDown();
        ModelQueue queue = new ModelQueue("m", "CPU", new ModelQueue.Policy(8, 4, 0, 0), List.of(runner));
        // two clients, two inputs each: stacked together, rows of one would go to the other
        CompletableFuture<List<Tensor>> first = scheduler.submit(queue, List.of(rows(2), rows(1)), null, 0, () -> { });
        CompletableFuture<List<Tensor>> second = scheduler.submit(queue, List.of(rows(1), rows(2)), null, 0, () -> { });
        CompletableFuture<List<Tensor>> third = scheduler.submit(queue, List.of(rows(2), rows(2)), null, 0, () -> { });
        queue.drain(); // release what waits for MINBATCHSIZE
        assertEquals(2, first.get(30, TimeUnit.SECONDS).get(0).dim(0));
        assertEquals(1, second.get(30, TimeUnit.SECONDS).get(0).dim(0));
        assertEquals(2, third.get(30, TimeUnit.SECONDS).get(0).dim(0));
        assertEquals(3, runner.calls.get(), "each ran alone: " + runner.batchRows);
    }

    @Test
    void aCancelledRunIsDroppedBeforeItRunsAndCounted() throws Exception {
        GatedRunner runner = new GatedRunner();
        ModelQueue queue = new ModelQueue("m", "CPU", BATCH_OF_FOUR, List.of(runner));
        AtomicInteger released = new AtomicInteger();
        CompletableFuture<List<Tensor>> blocking = scheduler.submit(queue, List.of(rows(4)), null, 0,
                released::incrementAndGet);
        runner.awaitInside(1);
        CompletableFuture<List<Tensor>> leaving = scheduler.submit(queue, List.of(rows(1)), null, 0,
                released::incrementAndGet);
        CompletableFuture<List<Tensor>> staying = scheduler.submit(queue, List.of(rows(1)), null, 0,
                released::incrementAndGet);
        leaving.cancel(false);
        runner.release.countDown();
        staying.get(30, TimeUnit.SECONDS);
        blocking.get(30, TimeUnit.SECONDS);
        assertEquals(List.of(4L, 1L), runner.batchRows, "the cancelled run was not in the second batch");
        assertEquals(1, queue.stats().dropped());
        assertTrue(scheduler.awaitIdle(TimeUnit.SECONDS.toNanos(30)));
        assertEquals(3, released.get(), "every run released its reference, the dropped one too");
    }

    /** A scheduler whose watchdog reads this clock and checks only when told: 1 s limit. */
    private final AtomicLong nanos = new AtomicLong();
    private final RunScheduler watched = new RunScheduler(1, () -> 1000, nanos::get,
            new WorkerSpin(1, () -> 0, () -> -1));

    /** One second and a bit pass, and the watchdog looks. */
    private void pastTheLimit() {
        nanos.addAndGet(1_100_000_000L);
        watched.checkOverdue();
    }

    @Test
    void theWatchdogAnswersAStuckRunButKeepsItsReferenceUntilTheEngineReturns() throws Exception {
        GatedRunner runner = new GatedRunner();
        ModelQueue queue = new ModelQueue("stuck", "CPU", NO_BATCHING, List.of(runner));
        CountDownLatch released = new CountDownLatch(1);
        CompletableFuture<List<Tensor>> stuck = watched.submit(queue, List.of(rows(1)), null, 0,
                released::countDown);
        runner.awaitInside(1);
        watched.checkOverdue();
        assertFalse(stuck.isDone(), "within the limit, nothing happens");
        pastTheLimit();
        ExecutionException failure = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> stuck.get(30, TimeUnit.SECONDS));
        assertTrue(failure.getCause().getMessage().contains("exceeded model-execution-timeout"));
        assertEquals(1, watched.abandonedThreads());
        assertEquals(1, released.getCount(), "the model is still referenced by the stuck call");
        assertTrue(watched.awaitIdle(0), "a shutdown need not wait for the stuck call: its client was answered");
        // the instance went back once: the next run uses it while the stuck call is still inside
        CompletableFuture<List<Tensor>> next = watched.submit(queue, List.of(rows(1)), null, 0, () -> { });
        runner.awaitInside(2);
        runner.release.countDown();
        next.get(30, TimeUnit.SECONDS);
        assertTrue(released.await(30, TimeUnit.SECONDS), "released once the engine call returned");
        assertTrue(watched.awaitIdle(TimeUnit.SECONDS.toNanos(30)));
        assertEquals(0, watched.abandonedThreads());
        assertEquals(2, runner.mostInside.get(), "never more calls at once than the instance was handed out");
    }

    @Test
    void aModelAbandonedTwiceIsQuarantinedUntilStoredAgain() throws Exception {
        GatedRunner runner = new GatedRunner();
        ModelQueue queue = new ModelQueue("spinning", "CPU", NO_BATCHING, List.of(runner));
        for (int i = 0; i < ModelQueue.QUARANTINE_AFTER; i++) {
            CompletableFuture<List<Tensor>> run = watched.submit(queue, List.of(rows(1)), null, 0, () -> { });
            runner.awaitInside(i + 1);
            pastTheLimit();
            org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> run.get(30, TimeUnit.SECONDS));
        }
        CompletableFuture<List<Tensor>> refused = watched.submit(queue, List.of(rows(1)), null, 0, () -> { });
        ExecutionException failure = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> refused.get(30, TimeUnit.SECONDS));
        assertTrue(failure.getCause().getMessage().contains("'spinning' is quarantined"),
                failure.getCause().getMessage());
        GatedRunner fresh = new GatedRunner();
        fresh.release.countDown();
        ModelQueue storedAgain = new ModelQueue("spinning", "CPU", NO_BATCHING, List.of(fresh));
        watched.submit(storedAgain, List.of(rows(1)), null, 0, () -> { }).get(30, TimeUnit.SECONDS);
        runner.release.countDown();
    }

    @Test
    void aCallTheEngineWasAskedToStopCountsTowardQuarantineOnlyWhenStillInsideALimitLater() throws Exception {
        java.util.concurrent.Semaphore entered = new java.util.concurrent.Semaphore(0);
        java.util.concurrent.Semaphore stops = new java.util.concurrent.Semaphore(0);
        Runner honouring = new Runner() { // comes back once asked to stop
            @Override
            public List<Tensor> run(List<Tensor> inputs) throws BackendException {
                entered.release();
                stops.acquireUninterruptibly();
                throw new BackendException("stopped");
            }

            @Override
            public boolean terminate(Thread runningOn) {
                stops.release();
                return true;
            }
        };
        ModelQueue queue = new ModelQueue("honouring", "CPU", NO_BATCHING, List.of(honouring));
        for (int i = 0; i < ModelQueue.QUARANTINE_AFTER; i++) {
            CompletableFuture<List<Tensor>> run = watched.submit(queue, List.of(rows(1)), null, 0, () -> { });
            assertTrue(entered.tryAcquire(30, TimeUnit.SECONDS));
            pastTheLimit();
            ExecutionException stopped = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> run.get(30, TimeUnit.SECONDS));
            // the call failed as it was stopped, maybe before the watchdog answered: its runs get the timeout
            assertTrue(stopped.getCause().getMessage().startsWith("run exceeded model-execution-timeout"),
                    stopped.getCause().getMessage());
            while (watched.abandonedThreads() > 0) { // the stopped call comes back on its own thread
                Thread.sleep(1);
            }
            pastTheLimit();
        }
        org.junit.jupiter.api.Assertions.assertNull(queue.quarantine(), "stopped when asked: not quarantined");

        GatedRunner ignoring = new GatedRunner();
        ModelQueue deaf = new ModelQueue("deaf", "CPU", NO_BATCHING, List.of(Runner.stoppable(ignoring, t -> true)));
        for (int i = 0; i < ModelQueue.QUARANTINE_AFTER; i++) { // asked, and still inside a limit later
            CompletableFuture<List<Tensor>> run = watched.submit(deaf, List.of(rows(1)), null, 0, () -> { });
            ignoring.awaitInside(i + 1);
            pastTheLimit();
            org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> run.get(30, TimeUnit.SECONDS));
            pastTheLimit();
        }
        CompletableFuture<List<Tensor>> refused = watched.submit(deaf, List.of(rows(1)), null, 0, () -> { });
        ExecutionException failure = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> refused.get(30, TimeUnit.SECONDS));
        assertTrue(failure.getCause().getMessage().contains("'deaf' is quarantined: 2 of its runs exceeded "
                + "model-execution-timeout and could not be stopped"), failure.getCause().getMessage());
        ignoring.release.countDown();
    }

    /** Runs that ended the engine process count toward quarantine; runs that failed otherwise do not. */
    @Test
    void runsThatCrashedTheEngineTwiceQuarantineTheirModel() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        ModelQueue failing = new ModelQueue("failing", "CPU", NO_BATCHING, List.of(inputs -> {
            calls.incrementAndGet();
            throw new BackendException("the engine's error");
        }));
        ModelQueue crashing = new ModelQueue("crashing", "CPU", NO_BATCHING, List.of(inputs -> {
            calls.incrementAndGet();
            throw BackendException.crashedTheEngine("the engine process died during the call");
        }));
        for (ModelQueue queue : List.of(failing, crashing)) {
            for (int i = 0; i <= ModelQueue.QUARANTINE_AFTER; i++) {
                CompletableFuture<List<Tensor>> run = scheduler.submit(queue, List.of(rows(1)), null, 0, () -> { });
                org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                        () -> run.get(30, TimeUnit.SECONDS));
            }
        }
        org.junit.jupiter.api.Assertions.assertNull(failing.quarantine(), "failed runs do not quarantine");
        assertEquals("'crashing' is quarantined: 2 of its runs ended the engine process; store it again to use it",
                crashing.quarantine());
        assertEquals(2 * ModelQueue.QUARANTINE_AFTER + 1, calls.get(), "the third crashing run never reached it");
    }

    @Test
    void anOutOfMemoryErrorFailsItsRunsAndTheWorkerServesOn() throws Exception {
        ModelQueue queue = new ModelQueue("huge-output", "CPU", NO_BATCHING, List.of(inputs -> {
            if (inputs.get(0).dim(0) == 2) {
                throw new OutOfMemoryError("Required array length 2147483639 + 10 is too large");
            }
            return inputs;
        }));
        ExecutionException failure = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> scheduler.submit(queue, List.of(rows(2)), null, 0, () -> { }).get(30, TimeUnit.SECONDS));
        assertTrue(failure.getCause().getMessage().contains("internal error while running the batch: "
                + "java.lang.OutOfMemoryError"), failure.getCause().getMessage());
        assertEquals(1, scheduler.submit(queue, List.of(rows(1)), null, 0, () -> { }).get(30, TimeUnit.SECONDS)
                .get(0).dim(0), "the same (only) worker runs the next one");
    }

    @Test
    void aWorkerSpinsForRunsThatComeOneAtATimeAndNotForOverlappingOnes() throws Exception {
        WorkerSpin spin = new WorkerSpin(2, () -> 100, () -> 0.0); // an idle machine
        spin.tick();
        spin.tick();
        RunScheduler spinning = new RunScheduler(1, () -> 0, System::nanoTime, spin);
        try {
            GatedRunner overlapping = new GatedRunner();
            ModelQueue busy = new ModelQueue("busy", "CPU", NO_BATCHING, List.of(overlapping));
            List<CompletableFuture<List<Tensor>>> runs = new ArrayList<>();
            runs.add(spinning.submit(busy, List.of(rows(1)), null, 0, () -> { }));
            overlapping.awaitInside(1);
            for (int i = 0; i < 2 * DeviceWorkers.LONE_ARRIVALS_TO_SPIN; i++) { // each finds the device busy
                runs.add(spinning.submit(busy, List.of(rows(1)), null, 0, () -> { }));
            }
            overlapping.release.countDown();
            for (CompletableFuture<List<Tensor>> run : runs) {
                run.get(30, TimeUnit.SECONDS);
            }
            GatedRunner lone = new GatedRunner();
            lone.release.countDown();
            ModelQueue oneClient = new ModelQueue("one", "CPU", NO_BATCHING, List.of(lone));
            // the first lone runs: not yet enough in a row; the worker went past its spin check to take each
            for (int i = 0; i < DeviceWorkers.LONE_ARRIVALS_TO_SPIN - 1; i++) {
                spinning.submit(oneClient, List.of(rows(1)), null, 0, () -> { }).get(30, TimeUnit.SECONDS);
            }
            assertEquals(0, spinning.spinMicros(), "no spinning while runs overlapped");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (spinning.spinMicros() == 0) { // a client that sends its next run when answered
                assertTrue(System.nanoTime() < deadline, "the worker spun for lone runs");
                spinning.submit(oneClient, List.of(rows(1)), null, 0, () -> { }).get(30, TimeUnit.SECONDS);
            }
        } finally {
            spinning.close();
        }
    }

    @Test
    void noWorkerSpinsForRunsThatComeLaterThanItsSpinWouldLast() throws Exception {
        WorkerSpin spin = new WorkerSpin(2, () -> 100, () -> 0.0); // an idle machine; 100 µs spins
        spin.tick();
        spin.tick();
        RunScheduler spinning = new RunScheduler(1, () -> 0, System::nanoTime, spin);
        try {
            GatedRunner runner = new GatedRunner();
            runner.release.countDown();
            ModelQueue queue = new ModelQueue("slow-client", "CPU", NO_BATCHING, List.of(runner));
            for (int i = 0; i < 4 * DeviceWorkers.LONE_ARRIVALS_TO_SPIN; i++) {
                spinning.submit(queue, List.of(rows(1)), null, 0, () -> { }).get(30, TimeUnit.SECONDS);
                java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2)); // the client's pause
            }
            assertEquals(0, spinning.spinMicros(), "lone runs, but each came 2 ms after the last: a spin catches none");
        } finally {
            spinning.close();
        }
    }
}
