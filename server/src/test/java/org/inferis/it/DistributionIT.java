package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.inferis.config.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution {@code mvn package} makes: unpacked in an empty directory it has bin/, lib/ and an inferis.conf
 * naming every option with its default, and it starts from there with only a JRE (nothing from this checkout).
 */
class DistributionIT {
    private static final Path TARGET = Path.of(System.getProperty("inferis.home", ".."), "server", "target");

    @Test
    void theTarballUnpacksAndServes(@TempDir Path dir) throws Exception {
        Path tarball;
        try (Stream<Path> files = Files.list(TARGET)) {
            tarball = files.filter(file -> file.getFileName().toString().matches("inferis-.*\\.tar\\.gz")).findFirst()
                    .orElseThrow(() -> new AssertionError("no inferis-<version>.tar.gz in " + TARGET));
        }
        Process unpack = new ProcessBuilder("tar", "xzf", tarball.toString(), "-C", dir.toString()).start();
        assertTrue(unpack.waitFor(120, TimeUnit.SECONDS) && unpack.exitValue() == 0, "unpacked");
        Path home;
        try (Stream<Path> unpacked = Files.list(dir)) {
            home = unpacked.findFirst().orElseThrow();
        }
        assertTrue(home.getFileName().toString().startsWith("inferis-"), home.toString());
        assertTrue(Files.isExecutable(home.resolve("bin/inferis-server")));
        assertTrue(Files.exists(home.resolve("lib/inferis-server.jar")));

        String conf = Files.readString(home.resolve("inferis.conf"));
        for (Map.Entry<String, String> option : new ServerConfig().defaults().entrySet()) {
            String value = option.getValue().isEmpty() ? "\"\"" : option.getValue();
            String line = "\n# " + option.getKey() + " " + switch (option.getKey()) {
                case "io-threads" -> "<half the cores>";
                case "backends-path" -> "<the directory of lib/inferis-server.jar>/backends";
                default -> value;
            } + "\n";
            assertTrue(conf.contains(line), "inferis.conf lists " + line.trim());
        }

        int port = FreePorts.next();
        Path data = Files.createDirectories(dir.resolve("data"));
        Process server = new ProcessBuilder(home.resolve("bin/inferis-server").toString(),
                home.resolve("inferis.conf").toString(), "--port", Integer.toString(port), "--dir", data.toString())
                .directory(dir.toFile()).redirectErrorStream(true).start();
        try (BufferedReader output = new BufferedReader(
                new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
            StringBuilder seen = new StringBuilder();
            for (String line; (line = output.readLine()) != null && !line.contains("Ready to serve"); ) {
                seen.append(line).append('\n');
            }
            assertTrue(server.isAlive(), "serving:\n" + seen);
            assertEquals("PONG\n", RedisCli.run(port, "PING"));
            assertEquals("OK\n", RedisCli.run(port, "AI.TENSORSET", "t", "FLOAT", "2", "VALUES", "1", "2"));
            new ProcessBuilder("kill", "-TERM", Long.toString(server.pid())).start().waitFor();
            assertTrue(server.waitFor(30, TimeUnit.SECONDS), "stopped on SIGTERM");
            assertEquals(0, server.exitValue());
        } finally {
            server.destroyForcibly();
        }
        assertTrue(Files.exists(data.resolve("dump.inferis")), "the default save points saved into --dir");
    }
}
