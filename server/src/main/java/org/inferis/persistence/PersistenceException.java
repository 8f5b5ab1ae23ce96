package org.inferis.persistence;

/** A snapshot or append-only file that cannot be loaded or written; the message says which file, where and why. */
public final class PersistenceException extends Exception {
    public PersistenceException(String message) {
        super(message);
    }

    public PersistenceException(String message, Throwable cause) {
        super(message, cause);
    }
}
