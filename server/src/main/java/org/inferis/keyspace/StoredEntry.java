package org.inferis.keyspace;

/** A key, its value and its absolute expiry in ms ({@link Keyspace#NO_EXPIRY} for none): one snapshot record. */
public record StoredEntry(Key key, Value value, long expireAt) {
}
