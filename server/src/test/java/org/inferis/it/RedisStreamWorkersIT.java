package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.inferis.backend.Fixtures;
import org.inferis.tensor.DType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Inferis nodes as a consumer group of a real Redis stream: jobs in, one result per job out, failover. */
class RedisStreamWorkersIT {
    private static final int JOBS = 10_000;
    @TempDir
    static Path dir;
    private static RedisServerProcess redis;
    private static StatefulRedisConnection<String, byte[]> connection;
    @RegisterExtension
    final ProcessServers servers = new ProcessServers();

    @BeforeAll
    static void startRedis() throws Exception {
        redis = new RedisServerProcess(dir);
        connection = redis.connect();
    }

    @AfterAll
    static void stopRedis() throws Exception {
        connection.close();
        redis.close();
    }

    private ServerProcess node(String name, String stream) throws Exception {
        ServerProcess node = StreamJobs.node(dir, name,
                "redis://127.0.0.1:" + redis.port() + "/" + stream + " inferis " + stream + "-results",
                "--worker-claim-idle", "2000");
        return servers.track(node);
    }

    @Test
    void twoNodesAnswerEveryJobOnceWithItsValues() throws Exception {
        ServerProcess first = node("node-1", "jobs");
        ServerProcess second = node("node-2", "jobs");
        addJobs("jobs", JOBS);
        Map<Integer, List<byte[]>> results = awaitResults("jobs-results", JOBS);
        for (int job = 0; job < JOBS; job++) {
            assertEquals(1, results.get(job).size(), "job " + job + " has exactly one result");
            assertTrue(StreamJobs.isAnswerTo(job, results.get(job).get(0)), "job " + job + "'s values");
        }
        long done1 = done(servers.connect(first));
        long done2 = done(servers.connect(second));
        assertEquals(JOBS, done1 + done2);
        assertEquals(0L, connection.sync().xpending("jobs", "inferis").getCount(), "every job acknowledged");
    }

    @Test
    void theSurvivorTakesOverAKilledNodesJobs() throws Exception {
        ServerProcess doomed = node("doomed", "jobs-kill");
        node("survivor", "jobs-kill");
        addJobs("jobs-kill", JOBS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (connection.sync().xlen("jobs-kill-results") < JOBS / 3 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        doomed.signal("KILL");
        assertEquals(137, doomed.exitCode());
        long answeredBefore = connection.sync().xlen("jobs-kill-results");
        assertTrue(answeredBefore < JOBS, "killed midway: " + answeredBefore + " jobs answered before");
        Map<Integer, List<byte[]>> results = awaitResults("jobs-kill-results", JOBS);
        for (int job = 0; job < JOBS; job++) {
            assertNotNull(results.get(job), "job " + job + " has a result");
            for (byte[] outputs : results.get(job)) {
                assertTrue(StreamJobs.isAnswerTo(job, outputs), "every result of job " + job + " has its values");
            }
        }
        assertEquals(0L, connection.sync().xpending("jobs-kill", "inferis").getCount(),
                "the dead node's pending jobs were taken over and acknowledged");
    }

    @Test
    void aFullQueuePausesTheWorkerInsteadOfFailingJobs() throws Exception {
        // the same key again: the later directive wins, here with a queue of 4 runs for the 256 jobs a worker holds
        ServerProcess node = StreamJobs.node(dir, "node-small-queue",
                "redis://127.0.0.1:" + redis.port() + "/jobs-full inferis jobs-full-results",
                "--load-model", "affine TORCH CPU " + Fixtures.MODELS.resolve(StreamJobs.MODEL_FILE)
                        + " BATCHSIZE 2 MAXQUEUE 4");
        servers.track(node);
        StatefulRedisConnection<String, String> c = servers.connect(node);
        assertTrue(Ai.array(c, "AI.MODELGET", "affine", "META").contains("maxqueue"));
        addJobs("jobs-full", 2000);
        Map<Integer, List<byte[]>> results = awaitResults("jobs-full-results", 2000);
        for (int job = 0; job < 2000; job++) {
            assertTrue(StreamJobs.isAnswerTo(job, results.get(job).get(0)), "job " + job + " ran: no queue-full error");
        }
        assertTrue(Ai.string(c, "INFO", "workers").contains("done=2000,failed=0"));
    }

    @Test
    void sigtermAnswersEveryJobTakenBeforeExiting() throws Exception {
        ServerProcess node = node("stopping", "jobs-term");
        addJobs("jobs-term", JOBS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (connection.sync().xlen("jobs-term-results") < 500 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        node.signal("TERM");
        assertEquals(0, node.exitCode());
        assertTrue(node.output().contains("Stream worker redis://127.0.0.1:" + redis.port() + "/jobs-term (group inferis)"
                + " stopped"), node.output());
        assertEquals(0L, connection.sync().xpending("jobs-term", "inferis").getCount(),
                "every job taken was answered and acknowledged before the process ended");
        long taken = ((Number) groupField("jobs-term", "entries-read")).longValue();
        assertEquals(taken, connection.sync().xlen("jobs-term-results"), "one result per job taken");
        assertTrue(taken < JOBS, "stopped midway: " + taken + " jobs taken");
    }

    /** A field of XINFO GROUPS for the group {@code inferis}. */
    private static Object groupField(String stream, String name) {
        for (Object group : connection.sync().xinfoGroups(stream)) {
            List<?> fields = (List<?>) group;
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                if (text(fields.get(i)).equals(name)) {
                    return fields.get(i + 1);
                }
            }
        }
        throw new AssertionError("no " + name + " in XINFO GROUPS " + stream);
    }

    private static String text(Object value) {
        return value instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(value);
    }

    @Test
    void aWorkerWhoseRedisGoesAwayReconnectsAndGoesOn() throws Exception {
        Path own = Files.createDirectories(dir.resolve("restarted-redis"));
        RedisServerProcess first = new RedisServerProcess(own);
        ServerProcess node = servers.track(StreamJobs.node(dir, "node-reconnect",
                "redis://127.0.0.1:" + first.port() + "/jobs-again inferis jobs-again-results"));
        StatefulRedisConnection<String, String> c = servers.connect(node);
        assertTrue(answered(first, 1), "answered before the restart");
        first.close();
        Await.until(() -> Ai.string(c, "INFO", "workers").contains("state=disconnected"), "the worker sees it go");
        try (RedisServerProcess second = new RedisServerProcess(own, first.port())) {
            assertTrue(answered(second, 2), "answered after the restart: the group was made again");
            Await.until(() -> Ai.string(c, "INFO", "workers").contains("state=running,done=2,failed=0"),
                    "INFO workers after the reconnect");
        }
    }

    /** Adds job {@code job} to jobs-again on that server and waits for its result there. */
    private static boolean answered(RedisServerProcess server, int job) throws Exception {
        try (StatefulRedisConnection<String, byte[]> redis = server.connect()) {
            redis.sync().xadd("jobs-again", fields("model", "affine", "inputs", StreamJobs.inputs(job), "id", job));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                for (StreamMessage<String, byte[]> result : redis.sync().xrange("jobs-again-results",
                        Range.create("-", "+"))) {
                    if (new String(result.getBody().get("id"), StandardCharsets.UTF_8).equals(Integer.toString(job))) {
                        return StreamJobs.isAnswerTo(job, result.getBody().get("outputs"));
                    }
                }
                Thread.sleep(20);
            }
            return false;
        }
    }

    @Test
    void badJobsGetErrorResultsAndTheWorkerGoesOn() throws Exception {
        ServerProcess node = node("node-bad", "jobs-bad");
        RedisAsyncCommands<String, byte[]> redis = connection.async();
        redis.xadd("jobs-bad", fields("model", "no-such-model", "inputs", StreamJobs.inputs(1), "id", "unknown-model"));
        redis.xadd("jobs-bad", fields("model", "affine", "inputs", "not safetensors".getBytes(), "id", "malformed"));
        // linear_relu takes FLOAT [n, 4]
        redis.xadd("jobs-bad", fields("model", "linear", "inputs", StreamJobs.file(DType.INT64, 1, 4), "id", "dtype"));
        redis.xadd("jobs-bad", fields("model", "linear", "inputs", StreamJobs.file(DType.FLOAT, 2, 3), "id", "shape"));
        redis.xadd("jobs-bad", fields("inputs", StreamJobs.inputs(1), "id", "no-model"));
        redis.xadd("jobs-bad", fields("model", "affine", "inputs", StreamJobs.inputs(7), "id", "good"));
        Map<String, Map<String, byte[]>> byId = new HashMap<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (byId.size() < 6 && System.nanoTime() < deadline) {
            for (StreamMessage<String, byte[]> result : connection.sync().xrange("jobs-bad-results", Range.create("-", "+"))) {
                byId.put(new String(result.getBody().get("id"), StandardCharsets.UTF_8), result.getBody());
            }
            Thread.sleep(20);
        }
        assertEquals("no model under key 'no-such-model'", error(byId.get("unknown-model")));
        assertTrue(error(byId.get("malformed")).startsWith("not a safetensors file"), error(byId.get("malformed")));
        assertTrue(error(byId.get("dtype")).contains("Long"), error(byId.get("dtype")));
        assertTrue(error(byId.get("shape")).contains("shapes cannot be multiplied"), error(byId.get("shape")));
        assertEquals("a job needs a model and its inputs", error(byId.get("no-model")));
        assertTrue(StreamJobs.isAnswerTo(7, byId.get("good").get("outputs")));
        String info = Ai.string(servers.connect(node), "INFO", "workers");
        assertTrue(info.contains("state=running") && info.contains("done=1,failed=5,in_flight=0"), info);
    }

    @Test
    void workersAreSetAtRunTimeAndListedInInfo() throws Exception {
        ServerProcess node = ServerProcess.start("--dir", dir.toString(), "--save", "", "--worker-name", "late",
                "--load-model", "affine TORCH CPU " + Fixtures.MODELS.resolve(StreamJobs.MODEL_FILE));
        servers.track(node);
        StatefulRedisConnection<String, String> c = servers.connect(node);
        assertTrue(Ai.string(c, "INFO", "workers").contains("stream_workers:0"));
        String spec = "redis://127.0.0.1:" + redis.port() + "/jobs-late inferis jobs-late-results";
        assertEquals("OK", c.sync().configSet("stream-worker", spec));
        assertEquals(spec, c.sync().configGet("stream-worker").get("stream-worker"));
        connection.sync().xadd("jobs-late", fields("model", "affine", "inputs", StreamJobs.inputs(3), "id", 3));
        Map<Integer, List<byte[]>> results = awaitResults("jobs-late-results", 1);
        assertTrue(StreamJobs.isAnswerTo(3, results.get(3).get(0)));
        String line = "worker0:uri=redis://127.0.0.1:" + redis.port() + "/jobs-late,group=inferis,results=jobs-late-results"
                + ",consumer=late,state=running,done=1,failed=0,in_flight=0,lag=0"; // the lag is read once a second
        Await.until(() -> Ai.string(c, "INFO", "workers").contains("stream_workers:1\r\n" + line), line);

        String refusal = assertRefused(c, "kafka-ish://x/y g r");
        assertTrue(refusal.contains("the scheme must be redis or kafka"), refusal);
        assertTrue(assertRefused(c, "redis://127.0.0.1:1/s g").contains("<uri> <group> <results>"));
        assertEquals("OK", c.sync().configSet("stream-worker", ""));
        Await.until(() -> Ai.string(c, "INFO", "workers").contains("stream_workers:0"), "the worker stops");
    }

    private static String assertRefused(StatefulRedisConnection<String, String> c, String value) {
        try {
            c.sync().configSet("stream-worker", value);
        } catch (io.lettuce.core.RedisCommandExecutionException e) {
            return e.getMessage();
        }
        throw new AssertionError("CONFIG SET stream-worker '" + value + "' was accepted");
    }

    /** Results so far by job number (the job's {@code id}), waiting until there are at least {@code count} jobs. */
    private static Map<Integer, List<byte[]>> awaitResults(String stream, int count) throws InterruptedException {
        Map<Integer, List<byte[]>> byJob = new HashMap<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        String from = "-";
        while (byJob.size() < count && System.nanoTime() < deadline) {
            List<StreamMessage<String, byte[]>> page = connection.sync().xrange(stream, Range.create(from, "+"),
                    Limit.from(1000));
            for (StreamMessage<String, byte[]> result : page) {
                Map<String, byte[]> body = result.getBody();
                int job = Integer.parseInt(new String(body.get("id"), StandardCharsets.UTF_8));
                byJob.computeIfAbsent(job, k -> new ArrayList<>()).add(body.get("outputs"));
            }
            if (page.isEmpty()) {
                Thread.sleep(20);
            } else {
                from = "(" + page.get(page.size() - 1).getId();
            }
        }
        assertEquals(count, byJob.size(), "jobs with results in " + stream);
        return byJob;
    }

    private static void addJobs(String stream, int count) {
        RedisAsyncCommands<String, byte[]> async = connection.async();
        List<RedisFuture<String>> added = new ArrayList<>();
        for (int job = 0; job < count; job++) {
            added.add(async.xadd(stream, fields("model", "affine", "inputs", StreamJobs.inputs(job),
                    "id", Integer.toString(job))));
        }
        added.forEach(future -> future.toCompletableFuture().join());
    }

    private static Map<String, byte[]> fields(Object... pairs) {
        Map<String, byte[]> fields = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            fields.put((String) pairs[i], pairs[i + 1] instanceof byte[] bytes ? bytes
                    : pairs[i + 1].toString().getBytes(StandardCharsets.UTF_8));
        }
        return fields;
    }

    private static String error(Map<String, byte[]> result) {
        assertNotNull(result, "a result");
        byte[] error = result.get("error");
        assertNotNull(error, "an error result: " + result.keySet());
        return new String(error, StandardCharsets.UTF_8);
    }

    private static long done(StatefulRedisConnection<String, String> c) {
        String info = Ai.string(c, "INFO", "workers");
        int at = info.indexOf(",done=") + 6;
        return Long.parseLong(info.substring(at, info.indexOf(',', at)));
    }
}
