package org.inferis.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoop;
import io.netty.channel.SelectStrategy;
import io.netty.util.IntSupplier;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * When an event loop polls for a pending run's reply, or for the next request after one, instead of sleeping, and what
 * ends the poll. The loop's task queue is a real Netty loop's, held busy so that the tasks handed to it stay queued;
 * the poll for sockets is a counted stand-in for epoll's.
 */
class LoopSpinTest {
    /** Long enough that only the event awaited ends a poll, even on a loaded machine. */
    private static final long LIMIT_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final long SHORT_LIMIT_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    /** A loop that tells when its next timer is due, as the server's loops do ({@link ConnectionLoops}). */
    private static final class TimedLoop extends DefaultEventLoop implements LoopSpin.Timers {
        /** -1: no timer. */
        volatile long nanosToNextTimer = -1;

        @Override
        public long nanosToNextTimer() {
            return nanosToNextTimer;
        }
    }

    private final TimedLoop loop = new TimedLoop();
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicBoolean allowed = new AtomicBoolean(true);
    private final LongAdder spun = new LongAdder();
    private final LoopSpin spin = new LoopSpin(allowed::get, LIMIT_NANOS, LIMIT_NANOS, spun);
    private final AtomicInteger polls = new AtomicInteger();
    /** Sockets ready from this poll on; 0: none ever. */
    private volatile int readyFromPoll;

    private final IntSupplier selectNow = () -> {
        int poll = polls.incrementAndGet();
        return readyFromPoll > 0 && poll >= readyFromPoll ? 1 : 0;
    };

    LoopSpinTest() throws InterruptedException {
        CountDownLatch busy = new CountDownLatch(1);
        loop.execute(() -> { // holds the loop's thread: tasks handed to it after this stay queued
            busy.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(busy.await(10, TimeUnit.SECONDS));
    }

    @AfterEach
    void stopLoop() {
        release.countDown();
        loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }

    @Test
    void sleepsBeforeAnyRunAndWhenMoreThanOneIsPending() throws Exception {
        assertEquals(SelectStrategy.SELECT, spin.calculateStrategy(selectNow, false));
        spin.runStarted(loop);
        spin.runStarted(loop);
        assertEquals(SelectStrategy.SELECT, spin.calculateStrategy(selectNow, false), "two pending: other work comes");
        assertEquals(0, polls.get());
        assertEquals(0, spun.sum());
    }

    @Test
    void sleepsWhenSpinningIsNotAllowed() throws Exception {
        allowed.set(false); // run-spin 0, or no core to spare
        spin.runStarted(loop);
        assertEquals(SelectStrategy.SELECT, spin.calculateStrategy(selectNow, false));
        spin.runAnswered();
        assertEquals(SelectStrategy.SELECT, spin.calculateStrategy(selectNow, false), "nor for the next request");
        assertEquals(0, polls.get());
    }

    @Test
    void afterARunIsAnsweredPollsForTheNextRequest() throws Exception {
        spin.runStarted(loop);
        spin.runStarted(loop);
        spin.runAnswered();
        spin.runAnswered();
        readyFromPoll = 30; // the client's next run arrives
        assertEquals(1, spin.calculateStrategy(selectNow, false), "the request is read at once");
        assertEquals(30, polls.get());
        assertTrue(spun.sum() > 0);
    }

    @Test
    void sleepsOnceTheWaitForTheNextRequestRunsOut() throws Exception {
        LoopSpin shortWait = new LoopSpin(allowed::get, LIMIT_NANOS, SHORT_LIMIT_NANOS, spun);
        shortWait.runStarted(loop);
        shortWait.runAnswered();
        long start = System.nanoTime();
        assertEquals(SelectStrategy.SELECT, shortWait.calculateStrategy(selectNow, false));
        assertTrue(System.nanoTime() - start < LIMIT_NANOS, "ended by the wait's own limit");
        int polled = polls.get();
        assertTrue(polled > 0);
        assertEquals(SelectStrategy.SELECT, shortWait.calculateStrategy(selectNow, false), "later: sleeps at once");
        assertEquals(polled, polls.get());
    }

    @Test
    void tasksAlreadyQueuedAreRunWithoutWaiting() throws Exception {
        spin.runStarted(loop);
        assertEquals(0, spin.calculateStrategy(selectNow, true), "a poll's count: none ready, then the tasks run");
        assertEquals(1, polls.get());
        assertEquals(0, spun.sum());
    }

    @Test
    void pollsUntilASocketIsReady() throws Exception {
        spin.runStarted(loop);
        readyFromPoll = 50;
        assertEquals(1, spin.calculateStrategy(selectNow, false), "the ready events are handled");
        assertEquals(50, polls.get());
        assertTrue(spun.sum() > 0);
    }

    @Test
    void pollsUntilAnotherThreadHandsTheLoopATask() throws Exception {
        spin.runStarted(loop);
        Thread worker = new Thread(() -> {
            while (polls.get() < 20) {
                Thread.onSpinWait();
            }
            loop.execute(() -> { }); // the run's reply, as a worker hands it over
        });
        worker.start();
        long start = System.nanoTime();
        assertEquals(0, spin.calculateStrategy(selectNow, false), "no socket ready: the task runs next");
        assertTrue(System.nanoTime() - start < LIMIT_NANOS, "ended by the task, not the limit");
        assertTrue(polls.get() >= 20);
        worker.join();
        assertTrue(loop.pendingTasks() > 0, "the task waits for the loop");
    }

    @Test
    void sleepsOnceThePollRunsOut() throws Exception {
        LoopSpin shortSpin = new LoopSpin(allowed::get, SHORT_LIMIT_NANOS, LIMIT_NANOS, spun);
        shortSpin.runStarted(loop);
        long start = System.nanoTime();
        assertEquals(SelectStrategy.SELECT, shortSpin.calculateStrategy(selectNow, false));
        assertTrue(System.nanoTime() - start >= SHORT_LIMIT_NANOS);
        assertTrue(spun.sum() >= SHORT_LIMIT_NANOS, "the time polled is counted");
    }

    @Test
    void endsThePollWhenTheLoopsNextTimerIsDue() throws Exception {
        spin.runStarted(loop);
        loop.nanosToNextTimer = SHORT_LIMIT_NANOS; // a blocked pop's timeout, due while the run is pending
        long start = System.nanoTime();
        assertEquals(SelectStrategy.SELECT, spin.calculateStrategy(selectNow, false), "the loop's wait runs the timer");
        long polled = System.nanoTime() - start;
        assertTrue(polled >= SHORT_LIMIT_NANOS && polled < LIMIT_NANOS, "ended by the timer, not the limit: " + polled);
        assertTrue(polls.get() > 0);
    }

    @Test
    void doesNotPollWhenATimerIsDueAlready() throws Exception {
        spin.runStarted(loop);
        loop.nanosToNextTimer = 0;
        assertEquals(SelectStrategy.SELECT, spin.calculateStrategy(selectNow, false));
        assertEquals(0, polls.get());
    }
}
