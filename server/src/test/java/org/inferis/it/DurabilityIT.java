package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Nothing acknowledged is lost: 8 writers (SET, AI.TENSORSET, RPUSH) run until the server is stopped at a random
 * moment, by SIGKILL, SIGTERM or SHUTDOWN, under each {@code appendfsync} and with the append-only file off; after a
 * restart every write that was answered is there. Figures go to the test output.
 */
class DurabilityIT {
    private static final int WRITERS = 8;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} with {1}")
    @CsvSource({
        "KILL, always", "KILL, everysec", "KILL, no",
        "TERM, always", "TERM, everysec", "TERM, no", "TERM, off",
        "SHUTDOWN, everysec", "SHUTDOWN, off"})
    void everyAcknowledgedWriteIsThereAfterRestart(String stop, String fsync) throws Exception {
        List<String> options = new ArrayList<>(List.of("--dir", dir.toString()));
        options.addAll(fsync.equals("off") ? List.of("--save", "3600 1")
                : List.of("--save", "", "--appendonly", "yes", "--appendfsync", fsync));
        Map<String, String> acknowledged = new ConcurrentHashMap<>();
        AtomicLong pushes = new AtomicLong();
        long delay = 300 + new Random((stop + fsync).hashCode()).nextInt(1200);
        try (ServerProcess server = ServerProcess.start(options.toArray(String[]::new))) {
            List<RedisClient> clients = new ArrayList<>();
            List<Thread> writers = new ArrayList<>();
            CountDownLatch writing = new CountDownLatch(WRITERS);
            for (int t = 0; t < WRITERS; t++) {
                RedisClient client = client(server.port());
                clients.add(client);
                StatefulRedisConnection<String, String> c = client.connect();
                String name = "w" + t;
                writers.add(new Thread(() -> write(c, name, acknowledged, pushes, writing)));
            }
            writers.forEach(Thread::start);
            assertTrue(writing.await(30, TimeUnit.SECONDS), "writers started");
            // enough acknowledged writes to check whatever the machine's speed, then the seeded moment
            Await.until(() -> acknowledged.size() > 100, "100 writes acknowledged");
            Thread.sleep(delay);
            if (stop.equals("SHUTDOWN")) {
                RedisCli.run(server.port(), "SHUTDOWN");
            } else {
                server.signal(stop);
            }
            int exit = server.exitCode();
            for (Thread writer : writers) {
                writer.join(60_000);
            }
            clients.forEach(RedisClient::shutdown);
            assertEquals(stop.equals("KILL") ? 137 : 0, exit, server.output());
        }
        assertTrue(acknowledged.size() > 100, "load ran: " + acknowledged.size());
        try (ServerProcess restarted = ServerProcess.start(options.toArray(String[]::new))) {
            RedisClient client = client(restarted.port());
            StatefulRedisConnection<String, String> c = client.connect();
            long lost = 0;
            for (Map.Entry<String, String> write : acknowledged.entrySet()) {
                String key = write.getKey();
                if (key.endsWith(":tensor")) {
                    List<Object> values = c.sync().exists(key) == 1 ? Ai.array(c, "AI.TENSORGET", key, "VALUES") : null;
                    if (values == null || ((Number) values.get(0)).longValue() < Long.parseLong(write.getValue())) {
                        lost++;
                    }
                } else if (!write.getValue().equals(c.sync().get(key))) {
                    lost++;
                }
            }
            long listed = c.sync().llen("jobs");
            client.shutdown();
            System.out.printf("DurabilityIT %s/%s: stopped after %d ms, %d keys acknowledged, %d lost; %d pushes "
                    + "acknowledged, %d in the list%n", stop, fsync, delay, acknowledged.size(), lost, pushes.get(),
                    listed);
            assertEquals(0, lost, "acknowledged writes lost");
            assertTrue(listed >= pushes.get(), "every acknowledged push is in the list");
        }
    }

    private static void write(StatefulRedisConnection<String, String> c, String name, Map<String, String> acknowledged,
                              AtomicLong pushes, CountDownLatch writing) {
        writing.countDown();
        try {
            for (int i = 0; ; i++) {
                c.sync().set(name + ":" + i, "v" + i);
                acknowledged.put(name + ":" + i, "v" + i);
                Ai.status(c, "AI.TENSORSET", name + ":tensor", "INT64", 1, "VALUES", i);
                acknowledged.put(name + ":tensor", Integer.toString(i));
                c.sync().rpush("jobs", name + ":" + i);
                pushes.incrementAndGet();
            }
        } catch (RuntimeException e) {
            // the server stopped
        }
    }

    private static RedisClient client(int port) {
        RedisClient client = RedisClient.create(RedisURI.builder().withHost("127.0.0.1").withPort(port)
                .withTimeout(Duration.ofSeconds(30)).build());
        client.setOptions(io.lettuce.core.ClientOptions.builder().autoReconnect(false).build());
        return client;
    }
}
