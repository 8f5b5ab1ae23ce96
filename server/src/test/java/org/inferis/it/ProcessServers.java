package org.inferis.it;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Server processes that keep their files in one directory, and the Lettuce clients made for them; as a test
 * class's {@code @RegisterExtension} field it closes them after each test.
 */
final class ProcessServers implements AutoCloseable, AfterEachCallback {
    private final List<RedisClient> clients = new ArrayList<>();
    private final List<ServerProcess> tracked = new ArrayList<>();

    /** Stops the server (SIGTERM) when this closes. */
    ServerProcess track(ServerProcess server) {
        tracked.add(server);
        return server;
    }

    static ServerProcess start(Path dir, String... options) throws Exception {
        List<String> all = new ArrayList<>(List.of("--dir", dir.toString()));
        all.addAll(List.of(options));
        return ServerProcess.start(all.toArray(String[]::new));
    }

    StatefulRedisConnection<String, String> connect(ServerProcess server) {
        RedisClient client = RedisClient.create(RedisURI.builder().withHost("127.0.0.1").withPort(server.port())
                .withTimeout(Duration.ofSeconds(30)).build());
        clients.add(client);
        return client.connect();
    }

    /** The append-only file ({@code appendfsync always}) of a server that made these writes and stopped. */
    Path appendOnlyFileAfter(Path dir, java.util.function.Consumer<StatefulRedisConnection<String, String>> writes)
            throws Exception {
        try (ServerProcess server = start(dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always")) {
            writes.accept(connect(server));
        }
        return dir.resolve("appendonly.aof");
    }

    @Override
    public void afterEach(ExtensionContext context) {
        close();
    }

    @Override
    public void close() {
        clients.forEach(RedisClient::shutdown);
        try {
            for (ServerProcess server : tracked) {
                server.close();
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted stopping servers", e);
        }
    }
}
