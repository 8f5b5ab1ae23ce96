package org.inferis.command;

import java.util.Locale;

/** Redis's command flags, as COMMAND reports them. */
public enum CommandFlag {
    WRITE, READONLY, DENYOOM, ADMIN, FAST, BLOCKING, LOADING, STALE,
    /** Runs before authentication (AUTH, HELLO, QUIT). */
    NO_AUTH;

    /** The flag's name in COMMAND replies: {@code write}, {@code no_auth}, ... */
    public String replyName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
