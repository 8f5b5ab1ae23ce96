package org.inferis.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A server started through {@code bin/inferis-server} in a process of its own: for what needs a restart, a
 * signal or a stuck native thread. Its output is collected for the test to read.
 */
final class ServerProcess implements AutoCloseable {
    private static final Path LAUNCHER = Path.of(System.getProperty("inferis.home", ".."), "bin", "inferis-server");

    private final Process process;
    private final int port;
    private final StringBuffer output = new StringBuffer();

    private ServerProcess(int port, List<String> prefix, List<String> options) throws IOException {
        this.port = port;
        List<String> command = new ArrayList<>(prefix);
        command.add(LAUNCHER.toString());
        boolean configFile = !options.isEmpty() && !options.get(0).startsWith("--");
        command.addAll(options.subList(0, configFile ? 1 : 0)); // a config file comes first, as redis-server's
        command.addAll(List.of("--port", Integer.toString(port)));
        command.addAll(options.subList(configFile ? 1 : 0, options.size()));
        String everyServer = System.getProperty("inferis.it.options", "").trim(); // as RunningServer
        if (!everyServer.isEmpty()) {
            command.addAll(List.of(everyServer.split("\\s+")));
        }
        process = new ProcessBuilder(command).redirectErrorStream(true).start();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    output.append(line).append('\n');
                }
            } catch (IOException e) {
                // the process ended
            }
        });
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts a server and waits until it serves (or fails: see {@link #exitCode}). */
    static ServerProcess start(String... options) throws IOException, InterruptedException {
        return start(List.of(), options);
    }

    /** As {@link #start(String...)}, the launcher run by a command that ends in it ({@code unshare ... exec "$@"}). */
    static ServerProcess start(List<String> prefix, String... options) throws IOException, InterruptedException {
        ServerProcess server = new ServerProcess(FreePorts.next(), prefix, List.of(options));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!server.output().contains("Ready to serve") && server.process.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return server;
    }

    int port() {
        return port;
    }

    /** The server's process (the launcher execs java). */
    ProcessHandle handle() {
        return process.toHandle();
    }

    String output() {
        return output.toString();
    }

    /** Waits for the process to end and returns its exit code. */
    int exitCode() throws InterruptedException {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the server did not exit:\n" + output());
        }
        return process.exitValue();
    }

    /** Sends a signal (TERM, KILL) by the process's pid. */
    void signal(String name) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start().waitFor();
    }

    /** Stops it with SIGTERM (which saves when save points are set), killing it if it does not exit. */
    @Override
    public void close() throws IOException, InterruptedException {
        if (!process.isAlive()) {
            return;
        }
        signal("TERM");
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
