package org.inferis.resp;

import java.util.function.IntSupplier;

/**
 * Bounds on what one request may declare, checked on the headers before any payload is buffered.
 *
 * @param maxArguments  the most arguments in one command
 * @param maxBulkLength the largest argument in bytes (Redis's {@code proto-max-bulk-len}), read per request
 *                      so a CONFIG SET takes effect on open connections
 */
public record RequestLimits(int maxArguments, IntSupplier maxBulkLength) {
    public static final int DEFAULT_MAX_ARGUMENTS = 1 << 20;
}
