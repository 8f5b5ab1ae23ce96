package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A batch that would take every queued run goes as two halves while the device has time to spare (BATCHSIZE alone),
 * and each run still gets its own rows. A server of its own: the device's first batch must be this test's.
 */
class BatchSplitIT {
    @RegisterExtension
    static final RunningServer server = new RunningServer("--threads-per-queue", "1");

    private static byte[] randomImages(Random random, int images) {
        ByteBuffer data = ByteBuffer.allocate(images * 28 * 28 * 4).order(ByteOrder.LITTLE_ENDIAN);
        while (data.hasRemaining()) {
            data.putFloat(random.nextFloat());
        }
        return data.array();
    }

    @Test
    void runsQueuedBehindALongBatchGoAsTwoHalvesAndEachGetsItsOwnRows() throws Exception {
        StatefulRedisConnection<String, String> c = server.connect(ProtocolVersion.RESP2);
        TestModels.store(c, "cnn", "mnist_cnn.pt", "BATCHSIZE", 64);
        TestModels.store(c, "alone", "mnist_cnn.pt");
        // the device's first batch: one run larger than BATCHSIZE, alone, long enough for the runs below to queue;
        // it also gives the model's forward time a sample (a half of 32 samples then runs well over 200 µs)
        Ai.status(c, "AI.TENSORSET", "long-input", "FLOAT", 6000, 1, 28, 28);
        StatefulRedisConnection<String, String> longRun = server.connect(ProtocolVersion.RESP2);
        longRun.sync().clientSetname("long-run");
        RedisFuture<String> first = Ai.statusAsync(longRun, "AI.MODELEXECUTE", "cnn",
                "INPUTS", 1, "long-input", "OUTPUTS", 1, "long-output");
        Random random = new Random(7);
        List<Object[]> runs = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            Ai.status(c, "AI.TENSORSET", "in" + i, "FLOAT", 4, 1, 28, 28, "BLOB", randomImages(random, 4));
            runs.add(new Object[] {"AI.MODELEXECUTE", "cnn", "INPUTS", 1, "in" + i, "OUTPUTS", 1, "out" + i});
        }
        Await.dispatched(c, "long-run", "AI.MODELEXECUTE");
        StatefulRedisConnection<String, String> pipelining = server.connect(ProtocolVersion.RESP2);
        for (RedisFuture<String> reply : Ai.pipelined(pipelining, runs)) {
            assertEquals("OK", reply.get(60, TimeUnit.SECONDS));
        }
        assertEquals("OK", first.get(60, TimeUnit.SECONDS));

        List<Object> info = Ai.array(c, "AI.INFO", "cnn", "EXTENDED");
        assertEquals(17L, info.get(info.indexOf("calls") + 1));
        long batches = (Long) info.get(info.indexOf("batches") + 1);
        // the long run, then the 64 queued samples: 32 and 32 (one batch of 64 without halving); a half left alone in
        // the queue halves again while its halves are 8 samples or more and long enough, so 32, 16, 8, 8 at most
        assertTrue(batches >= 3 && batches <= 5, batches + " batches");
        for (int i = 0; i < 16; i++) {
            Ai.status(c, "AI.MODELEXECUTE", "alone", "INPUTS", 1, "in" + i, "OUTPUTS", 1, "expected" + i);
            List<Object> expected = Ai.array(c, "AI.TENSORGET", "expected" + i, "VALUES");
            List<Object> got = Ai.array(c, "AI.TENSORGET", "out" + i, "VALUES");
            assertEquals(expected.size(), got.size());
            for (int j = 0; j < expected.size(); j++) {
                assertEquals(Double.parseDouble((String) expected.get(j)), Double.parseDouble((String) got.get(j)),
                        1e-4, "run " + i + " got another run's rows");
            }
        }
    }
}
