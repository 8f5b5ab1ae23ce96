package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What start-up does with damaged files: only a cut in the last group of the append-only file is a torn tail
 * (truncated, the cut bytes kept aside); damage anywhere else, a byte changed inside a logged value included, stops
 * start-up naming the file and offset and leaves the file as it was. Leftovers of killed saves are removed, and file
 * names cannot point outside {@code dir}.
 */
class FileDamageIT {
    private static final String[] APPEND_ALWAYS = {"--save", "", "--appendonly", "yes", "--appendfsync", "always"};

    @TempDir
    Path dir;
    @RegisterExtension
    final ProcessServers servers = new ProcessServers();

    /** Many keys, then one tensor in the middle, then many more: each write its own checksummed group. */
    private Path appendOnlyFile() throws Exception {
        return servers.appendOnlyFileAfter(dir, c -> {
            for (int i = 0; i < 150; i++) {
                c.sync().set("before:" + i, "v" + i);
            }
            Ai.status(c, "AI.TENSORSET", "t", "FLOAT", 4, "VALUES", 1, 2, 3, 4);
            for (int i = 0; i < 150; i++) {
                c.sync().set("after:" + i, "v" + i);
            }
        });
    }

    @Test
    void aByteChangedInsideALoggedValueStopsStartUp() throws Exception {
        Path aof = appendOnlyFile();
        byte[] content = Files.readAllBytes(aof);
        byte[] values = "VALUES\r\n$1\r\n1\r\n$1\r\n".getBytes(StandardCharsets.US_ASCII);
        int two = Bytes.indexOf(content, values) + values.length;
        assertEquals('2', content[two]);
        content[two] = '7'; // the tensor would load as [1, 7, 3, 4]: well-formed, and not what was acknowledged
        Files.write(aof, content);
        assertRefused(aof, content, "do not match their checksum");
    }

    @Test
    void aCorruptedLengthInTheMiddleStopsStartUpInsteadOfTruncating() throws Exception {
        Path aof = appendOnlyFile();
        byte[] content = Files.readAllBytes(aof);
        int length = Bytes.indexOf(content, "$3\r\nv75\r\n".getBytes(StandardCharsets.US_ASCII)) + 1;
        content[length] = '9'; // "$9": the value now seems to run past its end
        Files.write(aof, content);
        assertRefused(aof, content, "at offset");
    }

    private void assertRefused(Path aof, byte[] content, String reason) throws Exception {
        ServerProcess refused = start(APPEND_ALWAYS);
        assertEquals(1, refused.exitCode(), refused.output());
        assertTrue(refused.output().contains("Bad append-only file " + aof + " at offset"), refused.output());
        assertTrue(refused.output().contains(reason), refused.output());
        assertFalse(refused.output().contains("Ready to serve"));
        assertArrayEquals(content, Files.readAllBytes(aof), "the file is left as it was");
    }

    @Test
    void aWriteCutShortInTheLastGroupIsTruncatedAndKeptAside() throws Exception {
        Path aof = appendOnlyFile();
        long whole = Files.size(aof);
        byte[] torn = "*3\r\n$3\r\nSET\r\n$4\r\ntorn\r\n$5\r\nhal".getBytes(StandardCharsets.US_ASCII);
        Files.write(aof, torn, StandardOpenOption.APPEND);
        try (ServerProcess server = start(APPEND_ALWAYS)) {
            assertTrue(server.output().contains("truncating it at offset " + whole), server.output());
            StatefulRedisConnection<String, String> c = connect(server);
            assertEquals(301L, c.sync().dbsize());
            assertEquals("v149", c.sync().get("after:149"));
            assertEquals(0L, c.sync().exists("torn"));
        }
        List<Path> aside;
        try (Stream<Path> files = Files.list(dir)) {
            aside = files.filter(file -> file.getFileName().toString().startsWith("appendonly.aof.torn-")).toList();
        }
        assertEquals(1, aside.size(), "the cut bytes are kept in a side file");
        assertArrayEquals(torn, Files.readAllBytes(aside.get(0)));
    }

    @Test
    void leftoversOfKilledSavesAreRemovedAndFileNamesStayInsideDir() throws Exception {
        Path leftover = dir.resolve("temp-4242-1-dump.inferis");
        Files.write(leftover, new byte[1 << 20]);
        try (ServerProcess server = start("--save", "")) {
            assertTrue(server.output().contains("Ready to serve"), server.output());
            assertFalse(Files.exists(leftover), "the unfinished save's file is gone");
        }
        for (String option : List.of("--dbfilename", "--appendfilename")) {
            ServerProcess refused = start(option, "../escaped");
            assertEquals(1, refused.exitCode(), refused.output());
            assertTrue(refused.output().contains("can't be a path, just a filename"), refused.output());
        }
        assertFalse(Files.exists(dir.resolveSibling("escaped")));
    }

    private ServerProcess start(String... options) throws Exception {
        return ProcessServers.start(dir, options);
    }

    private StatefulRedisConnection<String, String> connect(ServerProcess server) {
        return servers.connect(server);
    }

}
