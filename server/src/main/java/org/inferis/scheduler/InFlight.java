package org.inferis.scheduler;

/** A count of work in flight that a caller can wait to see at zero (shutdown waits for runs and loads). */
final class InFlight {
    private long count;

    synchronized void increment() {
        count++;
    }

    synchronized void decrement() {
        if (--count == 0) {
            notifyAll();
        }
    }

    /** False when the count was still above zero after the time. */
    synchronized boolean awaitZero(long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        while (count > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }
}
