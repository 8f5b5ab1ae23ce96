package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bin/inferis-server: options, a config file, the ready line, SHUTDOWN and SIGTERM. */
class LauncherIT {
    private static final Path LAUNCHER = Path.of(System.getProperty("inferis.home", ".."), "bin", "inferis-server");
    private Process process;

    @AfterEach
    void stopProcess() throws Exception {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }


    /** Starts the launcher and reads its output up to the ready line, which it returns. */
    private BufferedReader launch(List<String> args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(LAUNCHER.toString()));
        command.addAll(args);
        // SHUTDOWN and SIGTERM save a snapshot: into a directory of the test's own
        command.addAll(List.of("--dir", java.nio.file.Files.createTempDirectory("inferis-launcher").toString()));
        process = new ProcessBuilder(command).redirectErrorStream(true).start();
        return new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    private static String readUntil(BufferedReader output, String marker) throws Exception {
        StringBuilder seen = new StringBuilder();
        String line;
        while ((line = output.readLine()) != null) {
            seen.append(line).append('\n');
            if (line.contains(marker)) {
                return seen.toString();
            }
        }
        throw new AssertionError("no '" + marker + "' in output:\n" + seen);
    }

    @Test
    void startsWithOptionsAndStopsOnShutdown() throws Exception {
        int port = FreePorts.next();
        BufferedReader output = launch(List.of("--port", Integer.toString(port), "--loglevel", "notice"));
        String ready = readUntil(output, "ready to accept connections");
        assertTrue(ready.contains("port " + port), ready);
        readUntil(output, "Ready to serve");
        assertEquals("PONG\n", RedisCli.run(port, "PING"));
        assertEquals("notice\n", RedisCli.run(port, "CONFIG", "GET", "loglevel").split("\n", 2)[1]);
        RedisCli.run(port, "SHUTDOWN");
        assertTrue(process.waitFor(20, TimeUnit.SECONDS), "exited after SHUTDOWN");
        assertEquals(0, process.exitValue());
    }

    @Test
    void readsAConfigFileAndStopsCleanlyOnSigterm(@TempDir Path dir) throws Exception {
        int port = FreePorts.next();
        Path config = dir.resolve("inferis.conf");
        Files.writeString(config, "# test config\nport " + port + "\nmaxclients 77\nproto-max-bulk-len 64mb\n");
        BufferedReader output = launch(List.of(config.toString(), "--timeout", "120"));
        readUntil(output, "Ready to serve");
        String values = RedisCli.run(port, "CONFIG", "GET", "*");
        assertTrue(values.contains("maxclients\n77\n"), values);
        assertTrue(values.contains("proto-max-bulk-len\n67108864\n"), values);
        assertTrue(values.contains("timeout\n120\n"), values);
        // Process.destroy() would also close our end of its output, which we still read: signal it ourselves.
        new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).start().waitFor();
        assertTrue(process.waitFor(20, TimeUnit.SECONDS), "exited after SIGTERM");
        assertEquals(0, process.exitValue());
        readUntil(output, "ready to exit");
    }

    @Test
    void refusesABadOption() throws Exception {
        BufferedReader output = launch(List.of("--no-such-option", "1"));
        String text = readUntil(output, "Bad directive");
        assertTrue(text.contains("no-such-option"), text);
        assertTrue(process.waitFor(20, TimeUnit.SECONDS));
        assertEquals(1, process.exitValue());
    }

    @Test
    void exitsWhenItsPortIsTaken() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            BufferedReader output = launch(List.of("--port", Integer.toString(taken.getLocalPort())));
            String text = readUntil(output, "Could not start");
            assertTrue(text.contains("Address already in use"), text);
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "the process ends instead of hanging on");
            assertEquals(1, process.exitValue());
        }
    }
}
