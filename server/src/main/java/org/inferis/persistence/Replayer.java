package org.inferis.persistence;

import org.inferis.resp.Request;

/** Runs a command read from the append-only file, as the server runs its commands: implemented by the server. */
@FunctionalInterface
public interface Replayer {
    /** @return null when the command ran, else why it failed (an unknown command included) */
    String replay(Request request);
}
