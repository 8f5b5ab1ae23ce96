package org.inferis.it;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.ProtocolVersion;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.inferis.config.ServerConfig;
import org.inferis.server.InferisServer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An Inferis server started in this JVM on an ephemeral port for one test class, with Lettuce clients
 * that it closes: {@code @RegisterExtension static final RunningServer server = new RunningServer();}.
 */
public final class RunningServer implements BeforeAllCallback, AfterAllCallback {
    private final String[] options;
    private final List<RedisClient> clients = new ArrayList<>();
    private InferisServer server;
    private int port;
    private java.nio.file.Path dataDirectory;

    /** A server with {@code --name value} options (on a free port unless given). */
    public RunningServer(String... options) {
        this.options = options;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        // snapshots go to a directory of the test's own, whatever the save schedule does meanwhile
        dataDirectory = java.nio.file.Files.createTempDirectory("inferis-it");
        List<String> args = new ArrayList<>(List.of("--port", Integer.toString(FreePorts.next()),
                "--dir", dataDirectory.toString()));
        args.addAll(List.of(options));
        String everyServer = System.getProperty("inferis.it.options", "").trim(); // a second run of some ITs sets it
        if (!everyServer.isEmpty()) {
            args.addAll(List.of(everyServer.split("\\s+")));
        }
        server = new InferisServer(ServerConfig.fromArguments(args.toArray(String[]::new)), Clock.systemUTC());
        port = server.start();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!server.context().isReady() && System.nanoTime() < deadline) {
            Thread.sleep(20); // commands answer -LOADING until the engines are up
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        clients.forEach(RedisClient::shutdown);
        server.stop();
        try (var files = java.nio.file.Files.walk(dataDirectory)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (java.io.IOException e) {
            // a temporary directory left behind is harmless
        }
    }

    public int port() {
        return port;
    }

    public InferisServer server() {
        return server;
    }

    public RedisClient client(ProtocolVersion protocol, String password) {
        RedisURI.Builder uri = RedisURI.builder().withHost("127.0.0.1").withPort(port).withTimeout(Duration.ofSeconds(10));
        if (password != null) {
            uri.withPassword(password.toCharArray());
        }
        RedisClient client = RedisClient.create(uri.build());
        client.setOptions(ClientOptions.builder().protocolVersion(protocol).build());
        clients.add(client);
        return client;
    }

    public StatefulRedisConnection<String, String> connect(ProtocolVersion protocol) {
        return client(protocol, null).connect();
    }

    public StatefulRedisConnection<byte[], byte[]> connectBinary(ProtocolVersion protocol) {
        return client(protocol, null).connect(ByteArrayCodec.INSTANCE);
    }
}
