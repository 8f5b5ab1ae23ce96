package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.api.StatefulRedisConnection;
import java.util.function.BooleanSupplier;

/** Waits on what the server shows (INFO, CLIENT LIST) instead of sleeping and hoping. */
final class Await {
    private Await() {
    }

    static void until(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting: " + what);
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting: " + what, e);
            }
        }
    }

    /** A numeric field of INFO. */
    static long info(StatefulRedisConnection<String, String> c, String field) {
        for (String line : c.sync().info().split("\r\n")) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).trim());
            }
        }
        throw new AssertionError("no " + field + " in INFO");
    }

    /** Until at least this many runs wait in model queues (not yet running). */
    static void queued(StatefulRedisConnection<String, String> c, long runs) {
        until(() -> info(c, "ai_queue_depth") >= runs, runs + " runs queued");
    }

    /** Until the named client's last command is this one (it was dispatched: queued, blocked or running). */
    static void dispatched(StatefulRedisConnection<String, String> c, String name, String command) {
        String cmd = " cmd=" + command.toLowerCase(java.util.Locale.ROOT) + " ";
        until(() -> c.sync().clientList().lines().anyMatch(line -> line.contains(" name=" + name + " ")
                && line.toLowerCase(java.util.Locale.ROOT).contains(cmd)), name + " sent " + command);
    }

    /** Until this many clients are blocked (BRPOP waiting). */
    static void blocked(StatefulRedisConnection<String, String> c, int clients) {
        until(() -> c.sync().clientList().lines().filter(line -> line.contains(" flags=b ")).count() >= clients,
                clients + " clients blocked");
    }
}
