package org.inferis.it;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A real redis-server (Debian's package) on a free loopback port, without persistence, stopped by its pid. */
final class RedisServerProcess implements AutoCloseable {
    private final Process process;
    private final int port;
    private final RedisClient client;

    RedisServerProcess(Path dir) throws IOException, InterruptedException {
        this(dir, FreePorts.next());
    }

    /** On a given port: a restart of one that was stopped. */
    RedisServerProcess(Path dir, int port) throws IOException, InterruptedException {
        this.port = port;
        process = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString())
                .redirectOutput(dir.resolve("redis.log").toFile()).redirectErrorStream(true).start();
        client = RedisClient.create(RedisURI.create("127.0.0.1", port));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try (StatefulRedisConnection<String, String> probe = client.connect()) {
                probe.sync().ping();
                return;
            } catch (io.lettuce.core.RedisConnectionException e) {
                if (System.nanoTime() > deadline || !process.isAlive()) {
                    throw new IllegalStateException("redis-server did not start (is it installed?)", e);
                }
                Thread.sleep(50);
            }
        }
    }

    int port() {
        return port;
    }

    /** A connection with string keys and binary values (stream fields such as safetensors files). */
    StatefulRedisConnection<String, byte[]> connect() {
        return client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
    }

    @Override
    public void close() throws InterruptedException {
        client.shutdown();
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
