package org.inferis.keyspace;

import org.inferis.resp.RespException;

/** A command met a key holding another kind of value. */
public final class WrongTypeException extends RespException {
    public static final String MESSAGE = "WRONGTYPE Operation against a key holding the wrong kind of value";

    public WrongTypeException() {
        super(MESSAGE);
    }
}
