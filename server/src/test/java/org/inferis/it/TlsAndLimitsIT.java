package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.inferis.config.ServerConfig;
import org.inferis.server.InferisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS beside the plain port (self-signed certificate made for the test), client certificates, maxmemory. */
class TlsAndLimitsIT {

    /** A self-signed certificate and its PKCS#8 key, made by openssl. */
    private static void makeCertificate(Path dir) throws Exception {
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString(),
                "-days", "1", "-subj", "/CN=localhost").redirectErrorStream(true).start();
        openssl.getInputStream().readAllBytes();
        assertTrue(openssl.waitFor(60, TimeUnit.SECONDS) && openssl.exitValue() == 0, "openssl made the certificate");
    }

    private static InferisServer start(String... args) throws Exception {
        InferisServer server = new InferisServer(ServerConfig.fromArguments(args), Clock.systemUTC());
        server.start();
        while (!server.context().isReady()) {
            Thread.sleep(20);
        }
        return server;
    }

    @Test
    void tlsBesideThePlainPortWithLettuceAndRedisCli(@TempDir Path dir) throws Exception {
        makeCertificate(dir);
        int plain = FreePorts.next();
        int tls = FreePorts.next();
        InferisServer server = start("--port", Integer.toString(plain), "--tls-port", Integer.toString(tls),
                "--tls-cert-file", dir.resolve("cert.pem").toString(), "--tls-key-file", dir.resolve("key.pem").toString());
        RedisClient client = RedisClient.create(RedisURI.builder().withHost("127.0.0.1").withPort(tls).withSsl(true)
                .withVerifyPeer(false).build());
        try {
            for (ProtocolVersion protocol : ProtocolVersion.values()) {
                client.setOptions(ClientOptions.builder().protocolVersion(protocol).build());
                try (StatefulRedisConnection<String, String> c = client.connect()) {
                    assertEquals("PONG", c.sync().ping());
                    assertEquals("OK", Ai.status(c, "AI.TENSORSET", "t", "FLOAT", 2, "VALUES", 1, 2));
                    assertEquals(java.util.List.of("1", "2"), Ai.array(c, "AI.TENSORGET", "t", "VALUES").stream()
                            .map(String::valueOf).map(v -> v.replace(".0", "")).toList());
                }
            }
            assertEquals("PONG", RedisCli.run(tls, "--tls", "--cacert", dir.resolve("cert.pem").toString(),
                    "--sni", "localhost", "PING").trim().replaceAll("(?s).*\\n", ""));
            assertEquals("PONG", RedisCli.run(plain, "PING").trim(), "the plain port serves too");
        } finally {
            client.shutdown();
            server.stop();
        }
    }

    @Test
    void clientCertificatesAreRequiredWithACaAndPlainCanBeOff(@TempDir Path dir) throws Exception {
        makeCertificate(dir);
        int tls = FreePorts.next();
        String cert = dir.resolve("cert.pem").toString();
        String key = dir.resolve("key.pem").toString();
        InferisServer server = start("--port", "0", "--tls-port", Integer.toString(tls), "--tls-cert-file", cert,
                "--tls-key-file", key, "--tls-ca-cert-file", cert);
        try {
            String refused = RedisCli.run(tls, "--tls", "--cacert", cert, "--sni", "localhost", "PING");
            assertTrue(!refused.trim().endsWith("PONG"), "no client certificate, no service: " + refused);
            assertEquals("PONG", RedisCli.run(tls, "--tls", "--cacert", cert, "--cert", cert, "--key", key,
                    "--sni", "localhost", "PING").trim().replaceAll("(?s).*\\n", ""));
        } finally {
            server.stop();
        }
    }

    @Test
    void maxmemoryRefusesWritesButNotReadsOrDeletes() throws Exception {
        int port = FreePorts.next();
        InferisServer server = start("--port", Integer.toString(port), "--maxmemory", "1mb");
        RedisClient client = RedisClient.create(RedisURI.create("127.0.0.1", port));
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            byte[] blob = new byte[600 * 1024];
            assertEquals("OK", Ai.status(c, "AI.TENSORSET", "a", "UINT8", blob.length, "BLOB", blob));
            assertEquals("OK", Ai.status(c, "AI.TENSORSET", "b", "UINT8", blob.length, "BLOB", blob));
            String oom = "OOM command not allowed when used memory > 'maxmemory'.";
            assertEquals(oom, assertThrows(RedisCommandExecutionException.class,
                    () -> Ai.status(c, "AI.TENSORSET", "c", "UINT8", 1)).getMessage());
            assertEquals(oom, assertThrows(RedisCommandExecutionException.class, () -> c.sync().set("s", "v")).getMessage());
            assertEquals(java.util.List.of("dtype", "UINT8", "shape", java.util.List.of((long) blob.length)),
                    Ai.array(c, "AI.TENSORGET", "a", "META"), "reads still work");
            assertTrue(c.sync().info("memory").contains("maxmemory:1048576"));
            assertEquals(1L, c.sync().del("b"), "deletes still work");
            assertEquals("OK", c.sync().set("s", "v"), "and free room for writes");
            assertEquals("OK", c.sync().configSet("maxmemory", "0"));
            assertEquals("OK", Ai.status(c, "AI.TENSORSET", "c", "UINT8", blob.length, "BLOB", blob));
        } finally {
            client.shutdown();
            server.stop();
        }
    }
}
