package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;

/**
 * A server in a process of its own holding a sentinel string, for tests that feed it what once killed it: a crash
 * shows as a server that no longer answers or lost its sentinel, and fails the test with the end of its log.
 */
final class SentinelServer implements AutoCloseable {
    private final ServerProcess server;
    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;

    private SentinelServer(ServerProcess server) {
        this.server = server;
        this.client = RedisClient.create(RedisURI.builder().withHost("127.0.0.1").withPort(server.port())
                .withTimeout(Duration.ofSeconds(60)).build());
        this.connection = client.connect();
        connection.sync().set("sentinel", "still here");
    }

    static SentinelServer start(String... options) throws Exception {
        return new SentinelServer(ServerProcess.start(options));
    }

    ServerProcess process() {
        return server;
    }

    StatefulRedisConnection<String, String> connection() {
        return connection;
    }

    void assertAlive(String after) {
        try {
            assertEquals("PONG", connection.sync().ping(), after);
            assertEquals("still here", connection.sync().get("sentinel"), after);
        } catch (RedisException e) {
            String output = server.output();
            throw new AssertionError("the server died after " + after + ":\n"
                    + output.substring(Math.max(0, output.length() - 3000)), e);
        }
    }

    @Override
    public void close() throws Exception {
        client.shutdown();
        server.close();
    }
}
