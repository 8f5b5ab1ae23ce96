package org.inferis.server;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Periodic housekeeping, as Redis's serverCron: active expiry, idle-client timeout, ops/sec sampling. */
final class ServerCron implements AutoCloseable {
    private static final int EXPIRY_BUDGET_PER_TICK = 1000;
    private static final long TICK_MILLIS = 100;

    private final ServerContext server;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "inferis-cron");
        thread.setDaemon(true);
        return thread;
    });
    private long lastSecond;

    ServerCron(ServerContext server) {
        this.server = server;
    }

    void start() {
        timer.scheduleAtFixedRate(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void tick() {
        try {
            synchronized (server.keyspace()) {
                server.keyspace().expireSome(EXPIRY_BUDGET_PER_TICK);
            }
            long now = server.keyspace().now();
            server.tick(now);
            if (now - lastSecond >= 1000) {
                lastSecond = now;
                server.stats().sample(now);
                server.persistence().cronTick();
                long timeoutSeconds = server.config().getLong("timeout");
                if (timeoutSeconds > 0) {
                    server.clients().closeIdle(now, timeoutSeconds * 1000);
                }
            }
        } catch (RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(ServerCron.class).warn("cron tick failed", e);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
