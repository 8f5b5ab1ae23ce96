package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Protected mode, seen from a non-loopback address. Each test runs a server and redis-cli inside a network
 * namespace of its own ({@code unshare -n}) whose loopback interface also carries 10.254.0.1: a connection to
 * that address comes from it, so the server sees a client that is not on a loopback address, and nothing
 * outside the namespace can reach the server.
 */
class ProtectedModeIT {
    private static final Path LAUNCHER = Path.of(System.getProperty("inferis.home", ".."), "bin", "inferis-server");
    private static final String OUTSIDE = "10.254.0.1";
    private static final String DENIAL = "DENIED Inferis is running in protected mode because protected mode is enabled"
            + " and no password is set for the default user.";

    @BeforeAll
    static void namespacesAvailable() throws Exception {
        Process probe = new ProcessBuilder("unshare", "-n", "true").redirectErrorStream(true).start();
        Assumptions.assumeTrue(probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 0,
                "needs network namespaces (unshare -n, i.e. root): " + new String(probe.getInputStream().readAllBytes()));
    }

    @Test
    void withoutAPasswordOnlyLoopbackClientsAreServedUntilProtectedModeIsTurnedOff() throws Exception {
        List<String> replies = inNamespace(List.of(),
                "redis-cli -h " + OUTSIDE + " PING",
                "redis-cli -h 127.0.0.1 PING",
                "redis-cli -h 127.0.0.1 INFO stats | grep rejected_connections",
                "redis-cli -h 127.0.0.1 CONFIG SET protected-mode no",
                "redis-cli -h " + OUTSIDE + " PING");
        assertTrue(replies.get(0).startsWith(DENIAL), replies.get(0));
        assertTrue(replies.get(0).contains("'CONFIG SET protected-mode no'"), "the denial says how to open up");
        assertEquals("PONG", replies.get(1));
        assertEquals("rejected_connections:1", replies.get(2).strip());
        assertEquals("OK", replies.get(3));
        assertEquals("PONG", replies.get(4), "served once protected mode is off");
    }

    @Test
    void aPasswordOrProtectedModeNoLetsOutsideClientsIn() throws Exception {
        List<String> withPassword = inNamespace(List.of("--requirepass", "s3cret"),
                "redis-cli --no-auth-warning -h " + OUTSIDE + " -a s3cret PING",
                "redis-cli -h " + OUTSIDE + " GET x");
        assertEquals(List.of("PONG", "NOAUTH Authentication required."), withPassword);
        List<String> optedOut = inNamespace(List.of("--protected-mode", "no"), "redis-cli -h " + OUTSIDE + " PING");
        assertEquals(List.of("PONG"), optedOut);
    }

    /**
     * Starts a server bound to loopback and {@link #OUTSIDE} in a new network namespace, runs each client command
     * there once it answers, stops it, and returns what each command printed (one line per command, joined).
     */
    private static List<String> inNamespace(List<String> serverOptions, String... clientCommands)
            throws IOException, InterruptedException {
        StringBuilder script = new StringBuilder("""
                set -u
                ip link set lo up && ip addr add %s/32 dev lo || exit 3
                log=$(mktemp)
                "%s" --bind "127.0.0.1 %s" --port 6379 --save "" %s >"$log" 2>&1 &
                server=$!
                for i in $(seq 1 600); do
                  grep -q 'Ready to serve' "$log" && break
                  sleep 0.1
                done
                """.formatted(OUTSIDE, LAUNCHER, OUTSIDE, String.join(" ", serverOptions)));
        for (String command : clientCommands) {
            script.append("echo \"$(").append(command).append(" 2>&1 | tr '\\n' ' ' | sed 's/ *$//')\"\n");
        }
        script.append("kill -TERM $server; wait $server; rm -f \"$log\"\n");
        Process process = new ProcessBuilder("unshare", "-n", "bash", "-c", script.toString())
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "namespace script finished");
        List<String> lines = output.lines().toList();
        assertEquals(clientCommands.length, lines.size(), output);
        return lines;
    }
}
