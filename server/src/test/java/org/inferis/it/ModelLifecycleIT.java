package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.inferis.backend.Fixtures;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Runs off the I/O threads: queued runs outlive a deleted model, TIMEOUT, large blobs, native memory. */
class ModelLifecycleIT {
    @RegisterExtension
    static final RunningServer server = new RunningServer("--threads-per-queue", "1");

    private StatefulRedisConnection<String, String> c;

    @BeforeEach
    void setUp() {
        c = server.connect(ProtocolVersion.RESP2);
        c.sync().flushall();
        TestModels.store(c, "add", "add_mul.onnx");
        Ai.status(c, "AI.TENSORSET", "a", "FLOAT", 2, 2, "VALUES", 1, 2, 3, 4);
    }

    @Test
    void queuedRunsOutliveADeletedModel() throws Exception {
        RedisFuture<String> slow = TestModels.occupyTheWorker(server, c);
        List<RedisFuture<String>> queued = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            queued.add(Ai.statusAsync(server.connect(ProtocolVersion.RESP2),
                    "AI.MODELEXECUTE", "add", "INPUTS", 2, "a", "a", "OUTPUTS", 2, "s" + i, "p" + i));
        }
        Await.queued(c, 5);
        assertEquals("OK", Ai.status(c, "AI.MODELDEL", "add"));
        for (RedisFuture<String> run : queued) {
            assertEquals("OK", run.get(30, TimeUnit.SECONDS), "a queued run finishes on the old model");
        }
        assertEquals("OK", slow.get(30, TimeUnit.SECONDS));
        assertEquals("ERR model key is empty", assertThrows(RedisCommandExecutionException.class,
                () -> Ai.status(c, "AI.MODELEXECUTE", "add", "INPUTS", "2", "a", "a", "OUTPUTS", "2", "s", "p"))
                .getMessage());
        // the same with FLUSHALL and with a replacing MODELSTORE
        TestModels.store(c, "add", "add_mul.onnx");
        slow = TestModels.occupyTheWorker(server, c);
        RedisFuture<String> behindFlush = Ai.statusAsync(server.connect(ProtocolVersion.RESP2),
                "AI.MODELEXECUTE", "add", "INPUTS", 2, "a", "a", "OUTPUTS", 2, "s", "p");
        Await.queued(c, 1);
        Ai.status(c, "AI.MODELSTORE", "add", "TORCH", "CPU", "BLOB", Fixtures.model("add_mul.pt"));
        c.sync().flushall();
        assertEquals("OK", behindFlush.get(30, TimeUnit.SECONDS));
        assertEquals("OK", slow.get(30, TimeUnit.SECONDS));
        assertEquals("PONG", c.sync().ping());
    }

    @Test
    void timeoutExpiringInTheQueueAnswersTimedout() throws Exception {
        RedisFuture<String> slow = TestModels.occupyTheWorker(server, c);
        long start = System.nanoTime();
        assertEquals("TIMEDOUT", Ai.status(c, "AI.MODELEXECUTE", "add", "INPUTS", 2, "a", "a", "OUTPUTS", 2, "s", "p",
                "TIMEOUT", 1));
        assertTrue(System.nanoTime() - start < 5_000_000_000L);
        assertEquals(0L, c.sync().exists("s"), "a timed-out run never ran");
        assertEquals("OK", slow.get(30, TimeUnit.SECONDS));
        assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", "add", "INPUTS", 2, "a", "a", "OUTPUTS", 2, "s", "p",
                "TIMEOUT", 10000));
    }

    /** linear_relu.pt with 100 MB of padding in an extra record, which libtorch loads and ignores. */
    private static byte[] hundredMegabyteModel() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(110 << 20);
        try (ZipFile original = new ZipFile(Fixtures.MODELS.resolve("linear_relu.pt").toFile());
             ZipOutputStream out = new ZipOutputStream(bytes)) {
            String root = null;
            for (ZipEntry entry : Collections.list(original.entries())) {
                root = entry.getName().substring(0, entry.getName().indexOf('/'));
                Bytes.storeEntry(out, entry.getName(), original.getInputStream(entry).readAllBytes());
            }
            Bytes.storeEntry(out, root + "/extra/padding.bin", new byte[100 << 20]);
        }
        return bytes.toByteArray();
    }


    @Test
    void aHundredMegabyteModelStoresAndRunsWithoutStallingOthers() throws Exception {
        byte[] blob = hundredMegabyteModel();
        assertTrue(blob.length > 100 << 20);
        StatefulRedisConnection<String, String> storer = server.connect(ProtocolVersion.RESP2);
        RedisFuture<String> store = Ai.statusAsync(storer, "AI.MODELSTORE", "huge", "TORCH", "CPU", "BLOB", blob);
        long slowestPing = 0;
        while (!store.isDone()) {
            long start = System.nanoTime();
            c.sync().ping();
            slowestPing = Math.max(slowestPing, System.nanoTime() - start);
        }
        assertEquals("OK", store.get());
        assertTrue(slowestPing < 500_000_000L, "other clients were served while it loaded: " + slowestPing / 1e6 + " ms");
        Ai.status(c, "AI.TENSORSET", "x", "FLOAT", 2, 4, "VALUES", 1, 2, 3, 4, 5, 6, 7, 8);
        assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", "huge", "INPUTS", 1, "x", "OUTPUTS", 1, "y"));
        assertEquals(List.of(2L, 3L), Ai.array(c, "AI.TENSORGET", "y", "META").get(3));
        assertEquals("OK", Ai.status(c, "AI.MODELDEL", "huge"));
    }

    /** This JVM, and its engine process when the test server runs one (engine-isolation). */
    private static List<Long> serverProcesses() {
        List<Long> pids = new ArrayList<>(List.of(ProcessHandle.current().pid()));
        for (ProcessHandle child : ProcessHandle.current().children().toList()) {
            if (commandLine(child.pid()).contains("org.inferis.backend.isolated.EngineHost")) {
                pids.add(child.pid());
            }
        }
        return pids;
    }

    /** Read whole: ProcessHandle's is cut short for a command line as long as a test class path. */
    private static String commandLine(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")),
                    java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return ""; // it ended
        }
    }

    private static long rssKilobytes(List<Long> pids) throws Exception {
        long kilobytes = 0;
        for (long pid : pids) {
            kilobytes += rssKilobytes(pid);
        }
        return kilobytes;
    }

    private static long rssKilobytes(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS");
    }

    private void runMany(int runs) throws Exception {
        StatefulRedisConnection<String, String> pipelined = server.connect(ProtocolVersion.RESP2);
        List<RedisFuture<String>> window = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            window.add(Ai.statusAsync(pipelined, "AI.MODELEXECUTE", i % 2 == 0 ? "add" : "add-torch",
                    "INPUTS", 2, "a", "a", "OUTPUTS", 2, "s", "p"));
            if (window.size() == 64) {
                for (RedisFuture<String> run : window) {
                    assertEquals("OK", run.get(30, TimeUnit.SECONDS));
                }
                window.clear();
            }
        }
        for (RedisFuture<String> run : window) {
            assertEquals("OK", run.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void aHundredThousandRunsLeaveTheResidentSetFlat() throws Exception {
        TestModels.store(c, "add-torch", "add_mul.pt");
        List<Long> pids = serverProcesses();
        boolean isolated = System.getProperty("inferis.it.options", "").contains("--engine-isolation yes");
        assertEquals(isolated ? 2 : 1, pids.size(), "the processes measured: " + pids);
        // warm up: JIT, allocator pools, engine caches; and an engine process's heap, which unlike this JVM's is not
        // touched in advance: it grows for some 100,000 runs, then stays flat (by hand: over 500,000 more)
        runMany(isolated ? 100_000 : 10_000);
        long before = rssKilobytes(pids);
        runMany(100_000);
        long growth = rssKilobytes(pids) - before;
        assertTrue(growth < 64 * 1024, "RSS of " + pids + " grew by " + growth + " kB over 100,000 runs");
    }
}
