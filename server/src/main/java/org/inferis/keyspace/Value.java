package org.inferis.keyspace;

/** A value stored under a key. */
public interface Value {
    ValueType type();

    /** Bytes of payload this value holds, for INFO and memory accounting. */
    long byteSize();

    /** Called once when the keyspace lets go of the value (deleted, replaced, flushed or expired). */
    default void discarded() {
    }
}
