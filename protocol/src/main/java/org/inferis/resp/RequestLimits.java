package org.inferis.resp;

import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * Bounds on what one request may declare, checked on the headers before any payload is buffered.
 *
 * @param maxArguments     the most arguments in one command
 * @param maxBulkLength    the largest argument in bytes (Redis's {@code proto-max-bulk-len})
 * @param maxRequestLength the most bytes of arguments in one command (Redis's {@code client-query-buffer-limit})
 *                         <p>Both are read per request, so a CONFIG SET takes effect on open connections.
 */
public record RequestLimits(int maxArguments, IntSupplier maxBulkLength, LongSupplier maxRequestLength) {
    public static final int DEFAULT_MAX_ARGUMENTS = 1 << 20;
}
