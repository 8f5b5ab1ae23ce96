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
            assertTrue(!text.contains("stopping") && !text.contains("bye bye"), "the reason comes first: " + text);
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "the process ends instead of hanging on");
            assertEquals(1, process.exitValue());
        }
    }

    /** Runs the launcher with these arguments to its end; its output. */
    private String runToEnd(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(LAUNCHER.toString()));
        command.addAll(List.of(args));
        process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "ended: " + text);
        return text;
    }

    @Test
    void helpVersionAndAMissingConfigFileSayWhatTheyShould(@TempDir Path dir) throws Exception {
        for (String help : List.of("--help", "-h")) {
            String usage = runToEnd(help);
            assertEquals(0, process.exitValue());
            assertTrue(usage.startsWith("Usage: inferis-server [config-file] [--option value ...]"), usage);
            for (String option : List.of("port 6379", "appendfsync everysec", "shutdown-timeout 10",
                    "save 3600 1 300 100 60 10000", "requirepass \"\"")) {
                assertTrue(usage.contains("\n  " + option + "\n"), option + " in " + usage);
            }
        }
        String version = runToEnd("--version");
        assertEquals(0, process.exitValue());
        assertTrue(java.util.regex.Pattern.compile("(?m)^Inferis v=\\S+ redis-protocol=\\S+ libtorch=2\\.7\\.1 "
                + "onnxruntime=1\\.21\\.1 ").matcher(version).find(), version);
        assertTrue(!version.contains("WARN"), "no warnings on a CPU-only host: " + version);
        Path missing = dir.resolve("nowhere.conf");
        String refused = runToEnd(missing.toString());
        assertEquals(1, process.exitValue());
        assertTrue(refused.contains(missing.toAbsolutePath() + ": config file not found"), refused);
    }
}
