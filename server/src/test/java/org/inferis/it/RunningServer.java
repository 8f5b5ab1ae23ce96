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

/** An Inferis server started in this JVM on an ephemeral port, with Lettuce clients that it closes. */
public final class RunningServer implements AutoCloseable {
    private final InferisServer server;
    private final int port;
    private final List<RedisClient> clients = new ArrayList<>();

    private RunningServer(InferisServer server, int port) {
        this.server = server;
        this.port = port;
    }

    /** Starts a server with {@code --name value} options (port 0 unless given). */
    public static RunningServer start(String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("--port", "0"));
        args.addAll(List.of(options));
        ServerConfig config = ServerConfig.fromArguments(args.toArray(String[]::new));
        InferisServer server = new InferisServer(config, Clock.systemUTC());
        return new RunningServer(server, server.start());
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

    @Override
    public void close() {
        clients.forEach(RedisClient::shutdown);
        server.stop();
    }
}
