package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Concurrent runs of one model are merged into batches, and each client gets exactly its own rows back. */
class BatchingIT {
    @RegisterExtension
    static final RunningServer server = new RunningServer("--threads-per-queue", "1");

    private StatefulRedisConnection<String, String> c;

    @BeforeEach
    void setUp() {
        c = server.connect(ProtocolVersion.RESP2);
        c.sync().flushall();
        store("lin", "linear_relu.onnx");
    }

    private void store(String key, String file, Object... options) {
        TestModels.store(c, key, file, options);
    }

    private static RedisFuture<String> runAsync(String model, String input, String output, Object... extra) {
        List<Object> args = new ArrayList<>(List.of(model, "INPUTS", 1, input, "OUTPUTS", 1, output));
        args.addAll(List.of(extra));
        return Ai.statusAsync(server.connect(ProtocolVersion.RESP2), "AI.MODELEXECUTE", args.toArray());
    }

    private String run(String model, String input, String output) {
        return Ai.status(c, "AI.MODELEXECUTE", model, "INPUTS", 1, input, "OUTPUTS", 1, output);
    }

    private double[] values(String key) {
        return Ai.array(c, "AI.TENSORGET", key, "VALUES").stream().mapToDouble(v -> Double.parseDouble((String) v))
                .toArray();
    }

    private long info(String model, String field) {
        List<Object> info = Ai.array(c, "AI.INFO", model, "EXTENDED");
        return (Long) info.get(info.indexOf(field) + 1);
    }

    private void row(String key, int i) {
        Ai.status(c, "AI.TENSORSET", key, "FLOAT", 1, 4, "VALUES", i, -i, i * 0.5, 1);
    }

    @Test
    void thirtyTwoClientsEachGetTheirOwnRows() throws Exception {
        store("batched", "linear_relu.onnx", "BATCHSIZE", 32, "MINBATCHSIZE", 32, "MINBATCHTIMEOUT", 5000);
        List<double[]> expected = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            row("in:" + i, i);
            run("lin", "in:" + i, "ref:" + i);
            expected.add(values("ref:" + i));
        }
        List<RedisFuture<String>> runs = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            runs.add(runAsync("batched", "in:" + i, "out:" + i));
        }
        for (RedisFuture<String> run : runs) {
            assertEquals("OK", run.get(30, TimeUnit.SECONDS));
        }
        for (int i = 0; i < 32; i++) {
            double[] mine = values("out:" + i);
            for (int j = 0; j < mine.length; j++) {
                assertEquals(expected.get(i)[j], mine[j], 1e-5, "client " + i + " got another client's row");
            }
        }
        assertEquals(32L, info("batched", "calls"));
        assertEquals(32L, info("batched", "samples"));
        assertTrue(info("batched", "batches") < 32, "runs were merged");
    }

    @Test
    void minBatchSizeWaitsForEnoughSamples() throws Exception {
        store("b", "linear_relu.onnx", "BATCHSIZE", 8, "MINBATCHSIZE", 4);
        row("x", 1);
        List<RedisFuture<String>> runs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            runs.add(runAsync("b", "x", "y" + i));
        }
        Await.queued(c, 3);
        assertTrue(runs.stream().noneMatch(RedisFuture::isDone), "three samples are not enough");
        runs.add(runAsync("b", "x", "y3"));
        for (RedisFuture<String> run : runs) {
            assertEquals("OK", run.get(30, TimeUnit.SECONDS));
        }
        assertEquals(1L, info("b", "batches"));
        assertEquals(4L, info("b", "calls"));
    }

    @Test
    void minBatchTimeoutReleasesAPartialBatch() {
        store("b", "linear_relu.onnx", "BATCHSIZE", 8, "MINBATCHSIZE", 4, "MINBATCHTIMEOUT", 150);
        row("x", 1);
        long start = System.nanoTime();
        assertEquals("OK", run("b", "x", "y"));
        assertTrue(System.nanoTime() - start >= 140_000_000L, "waited for MINBATCHTIMEOUT");
        assertEquals(1L, info("b", "batches"));
    }

    @Test
    void aRunLargerThanTheBatchRunsAloneWithoutWaiting() {
        store("b", "linear_relu.onnx", "BATCHSIZE", 4, "MINBATCHSIZE", 4);
        Ai.status(c, "AI.TENSORSET", "six", "FLOAT", 6, 4);
        assertEquals("OK", run("b", "six", "y"));
        assertEquals(List.of(6L, 3L), Ai.array(c, "AI.TENSORGET", "y", "META").get(3));
        assertEquals(1L, info("b", "batches"));
        assertEquals(6L, info("b", "samples"));
    }

    @Test
    void runsOfDifferentShapesAreNotMerged() throws Exception {
        store("m", "multi_output.pt", "BATCHSIZE", 8, "MINBATCHSIZE", 2, "MINBATCHTIMEOUT", 300);
        Ai.status(c, "AI.TENSORSET", "narrow", "FLOAT", 1, 3, "VALUES", 1, 2, 3);
        Ai.status(c, "AI.TENSORSET", "wide", "FLOAT", 1, 5, "VALUES", 1, 2, 3, 4, 5);
        RedisFuture<String> narrow = Ai.statusAsync(server.connect(ProtocolVersion.RESP2), "AI.MODELEXECUTE", "m",
                "INPUTS", 1, "narrow", "OUTPUTS", 3, "n1", "n2", "n3");
        RedisFuture<String> wide = Ai.statusAsync(server.connect(ProtocolVersion.RESP2), "AI.MODELEXECUTE", "m",
                "INPUTS", 1, "wide", "OUTPUTS", 3, "w1", "w2", "w3");
        assertEquals("OK", narrow.get(30, TimeUnit.SECONDS));
        assertEquals("OK", wide.get(30, TimeUnit.SECONDS));
        assertEquals(2L, info("m", "batches"), "a 1x3 and a 1x5 run are two batches");
        assertEquals(List.of(1L, 5L), Ai.array(c, "AI.TENSORGET", "w1", "META").get(3));
        assertEquals(List.of("2", "4", "6"), Ai.array(c, "AI.TENSORGET", "n1", "VALUES"));
        assertEquals(List.of("15"), Ai.array(c, "AI.TENSORGET", "w2", "VALUES"));
    }

    @Test
    void aWrongOutputBatchSizeFailsEveryMemberAndTheServerGoesOn() throws Exception {
        store("wrong", "wrong_batch.onnx", "BATCHSIZE", 4, "MINBATCHSIZE", 2, "MINBATCHTIMEOUT", 2000);
        row("x", 1);
        RedisFuture<String> first = runAsync("wrong", "x", "y1");
        RedisFuture<String> second = runAsync("wrong", "x", "y2");
        for (RedisFuture<String> run : List.of(first, second)) {
            ExecutionException failure = assertThrows(ExecutionException.class, () -> run.get(30, TimeUnit.SECONDS));
            assertEquals("ERR Model did not generate the expected batch size", failure.getCause().getMessage());
        }
        assertEquals(2L, info("wrong", "errors"));
        assertEquals("OK", run("lin", "x", "y3"));
        assertEquals("PONG", c.sync().ping());
    }

    @Test
    void aFullQueueAnswersBusyAtOnce() throws Exception {
        store("limited", "linear_relu.onnx", "MAXQUEUE", 2);
        row("x", 1);
        RedisFuture<String> slow = TestModels.occupyTheWorker(server, c);
        List<RedisFuture<String>> queued = List.of(runAsync("limited", "x", "y1"), runAsync("limited", "x", "y2"));
        Await.queued(c, 2);
        RedisCommandExecutionException busy = assertThrows(RedisCommandExecutionException.class,
                () -> run("limited", "x", "y3"));
        assertEquals("BUSY model queue is full", busy.getMessage());
        for (RedisFuture<String> run : queued) {
            assertEquals("OK", run.get(30, TimeUnit.SECONDS));
        }
        assertEquals("OK", slow.get(30, TimeUnit.SECONDS));
        List<Object> meta = Ai.array(c, "AI.MODELGET", "limited", "META");
        assertEquals(2L, meta.get(meta.indexOf("maxqueue") + 1));
    }

    @Test
    void aLatencyTargetIsAModelOptionWithItsEstimatesInInfo() throws Exception {
        for (Object[] bad : new Object[][] {{"LATENCY", 10}, {"BATCHSIZE", 8, "MINBATCHSIZE", 2, "LATENCY", 10},
                {"BATCHSIZE", 8, "LATENCY", 0}, {"BATCHSIZE", 8, "LATENCY", "soon"}}) {
            RedisCommandExecutionException refused = assertThrows(RedisCommandExecutionException.class,
                    () -> store("bad", "linear_relu.onnx", bad));
            assertTrue(refused.getMessage().matches("ERR (LATENCY specified without BATCHSIZE|LATENCY and MINBATCHSIZE "
                    + "cannot be combined.*|Invalid argument for LATENCY)"), refused.getMessage());
        }
        assertEquals(0L, c.sync().exists("bad"));
        store("timed", "linear_relu.onnx", "BATCHSIZE", 8, "LATENCY", 50);
        List<Object> meta = Ai.array(c, "AI.MODELGET", "timed", "META");
        assertEquals(50L, meta.get(meta.indexOf("latency") + 1));
        row("x", 1);
        List<RedisFuture<String>> runs = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            runs.add(runAsync("timed", "x", "y" + i));
        }
        for (RedisFuture<String> run : runs) {
            assertEquals("OK", run.get(30, TimeUnit.SECONDS));
        }
        List<Object> info = Ai.array(c, "AI.INFO", "timed", "EXTENDED");
        assertEquals(50L, info.get(info.indexOf("latency_target_ms") + 1));
        assertTrue((Long) info.get(info.indexOf("full_batch_forward_us") + 1) > 0, info.toString());
        assertTrue(info.contains("arrivals_per_second"), info.toString());
        store("plain", "linear_relu.onnx", "BATCHSIZE", 8);
        List<Object> plain = Ai.array(c, "AI.MODELGET", "plain", "META");
        assertTrue(!plain.contains("latency"), "absent for a model stored without it");
    }

    @Test
    void aRunWaitingForMinBatchSizeTimesOut() {
        store("b", "linear_relu.onnx", "BATCHSIZE", 8, "MINBATCHSIZE", 4);
        row("x", 1);
        assertEquals("TIMEDOUT", Ai.status(c, "AI.MODELEXECUTE", "b", "INPUTS", 1, "x", "OUTPUTS", 1, "y",
                "TIMEOUT", 100));
        assertEquals(0L, c.sync().exists("y"));
    }

    @Test
    void deletingABatchedModelAnswersItsQueuedRuns() throws Exception {
        store("b", "linear_relu.onnx", "BATCHSIZE", 8, "MINBATCHSIZE", 4);
        row("x", 1);
        List<RedisFuture<String>> runs = List.of(runAsync("b", "x", "y1"), runAsync("b", "x", "y2"));
        Await.queued(c, 2);
        assertFalse(runs.get(0).isDone());
        assertEquals("OK", Ai.status(c, "AI.MODELDEL", "b"));
        for (RedisFuture<String> run : runs) {
            assertEquals("OK", run.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void twoInstancesRunBatchesInParallel() throws Exception {
        store("two", "mnist_cnn.pt", "INSTANCES", 2);
        List<Object> meta = Ai.array(c, "AI.MODELGET", "two", "META");
        assertEquals(2L, meta.get(meta.indexOf("instances") + 1));
        Ai.status(c, "AI.TENSORSET", "img", "FLOAT", 4, 1, 28, 28);
        assertEquals("OK", run("two", "img", "out"));
        assertEquals(List.of(4L, 10L), Ai.array(c, "AI.TENSORGET", "out", "META").get(3));
        assertEquals("ERR Invalid argument for INSTANCES", assertThrows(RedisCommandExecutionException.class,
                () -> store("bad", "mnist_cnn.pt", "INSTANCES", 0)).getMessage());
    }

    @Test
    void aFloodOnOneModelDoesNotStarveAnother() throws Exception {
        store("flood", "mnist_cnn.pt");
        Ai.status(c, "AI.TENSORSET", "batch", "FLOAT", 1000, 1, 28, 28);
        List<StatefulRedisConnection<String, String>> clients = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            clients.add(server.connect(ProtocolVersion.RESP2));
        }
        List<RedisFuture<String>> flood = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            flood.add(Ai.statusAsync(clients.get(i), "AI.MODELEXECUTE", "flood", "INPUTS", 1, "batch", "OUTPUTS", 1, "f" + i));
        }
        Await.queued(c, 10); // the flood is in: lin arrives behind most of it
        row("x", 1);
        assertEquals("OK", run("lin", "x", "y"));
        long floodDone = flood.stream().filter(RedisFuture::isDone).count();
        assertTrue(floodDone < 15, "lin waited for " + floodDone + " of 30 flood runs");
        for (RedisFuture<String> run : flood) {
            assertEquals("OK", run.get(60, TimeUnit.SECONDS));
        }
    }
}
