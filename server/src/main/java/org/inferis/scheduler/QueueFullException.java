package org.inferis.scheduler;

/** A model's queue already holds MAXQUEUE waiting runs: refused at once rather than queued. */
public final class QueueFullException extends Exception {
    public QueueFullException() {
        super("model queue is full", null, false, false);
    }
}
