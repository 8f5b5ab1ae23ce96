package org.inferis.resp;

import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * Bounds on what one request may declare, checked on the headers before any payload is buffered.
 *
 * @param maxArguments     the most arguments in one command
 * @param maxBulkLength    the largest argument in bytes (Redis's {@code proto-max-bulk-len})
 * @param maxRequestLength the most bytes of arguments in one command (Redis's {@code client-query-buffer-limit})
 * @param unauthenticated  true while the connection has not authenticated: then, as Redis 7, a command may have
 *                         at most {@value #UNAUTHENTICATED_ARGUMENTS} arguments of at most
 *                         {@value #UNAUTHENTICATED_BULK_LENGTH} bytes, so nobody can fill memory before AUTH
 *                         <p>All are read per request, so a CONFIG SET or an AUTH takes effect on open connections.
 */
public record RequestLimits(int maxArguments, IntSupplier maxBulkLength, LongSupplier maxRequestLength,
                            BooleanSupplier unauthenticated) {
    public static final int DEFAULT_MAX_ARGUMENTS = 1 << 20;
    static final int UNAUTHENTICATED_ARGUMENTS = 10;
    static final int UNAUTHENTICATED_BULK_LENGTH = 16 * 1024;

    public RequestLimits(int maxArguments, IntSupplier maxBulkLength, LongSupplier maxRequestLength) {
        this(maxArguments, maxBulkLength, maxRequestLength, () -> false);
    }

    /** These limits for one connection, tighter while it has not authenticated. */
    public RequestLimits whileUnauthenticated(BooleanSupplier unauthenticated) {
        return new RequestLimits(maxArguments, maxBulkLength, maxRequestLength, unauthenticated);
    }

    int argumentLimit() {
        return unauthenticated.getAsBoolean() ? UNAUTHENTICATED_ARGUMENTS : maxArguments;
    }

    int bulkLimit() {
        return unauthenticated.getAsBoolean() ? UNAUTHENTICATED_BULK_LENGTH : maxBulkLength.getAsInt();
    }

    /** Redis's words for a count or length over the limit. */
    String tooMany() {
        return unauthenticated.getAsBoolean() ? "unauthenticated multibulk length" : "invalid multibulk length";
    }

    String tooLong() {
        return unauthenticated.getAsBoolean() ? "unauthenticated bulk length" : "invalid bulk length";
    }
}
