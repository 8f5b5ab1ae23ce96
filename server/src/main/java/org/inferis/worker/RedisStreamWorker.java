package org.inferis.worker;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.Consumer;
import io.lettuce.core.RedisBusyException;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.models.stream.ClaimedMessages;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A consumer of a Redis stream's group. Jobs: entries with {@code model}, {@code inputs} (safetensors) and an optional
 * {@code id}. Each outcome is written as an entry of the results stream ({@code job} = the job's entry id, {@code id},
 * and {@code outputs} or {@code error}) in one MULTI/EXEC with the XACK of its job, so a job is acknowledged exactly
 * when its result is written. Jobs left pending by a consumer idle for {@code worker-claim-idle} are taken over with
 * XAUTOCLAIM; a job may so be answered twice (at least once: readers deduplicate by {@code job}).
 */
final class RedisStreamWorker extends StreamWorker {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RedisStreamWorker.class);
    private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
    private static final long BLOCK_MILLIS = 500;
    private static final long LAG_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final java.util.function.LongSupplier claimIdleMillis;
    private final BlockingQueue<Answer> answers = new LinkedBlockingQueue<>();

    private record Answer(String jobId, byte[] id, Outcome outcome) {
    }

    RedisStreamWorker(WorkerSpec spec, String consumerName, JobRunner runner,
                      java.util.function.LongSupplier claimIdleMillis) {
        super(spec, consumerName, runner);
        this.claimIdleMillis = claimIdleMillis;
    }

    @Override
    protected void consume() throws InterruptedException {
        RedisURI uri = RedisURI.create("redis://" + spec.servers());
        uri.setTimeout(Duration.ofSeconds(30));
        RedisClient client = RedisClient.create(uri);
        // a lost connection fails the worker's commands at once and this loop connects again (making the group again
        // if the server lost it), rather than Lettuce queueing them until it is back
        client.setOptions(ClientOptions.builder().autoReconnect(false).build());
        try (StatefulRedisConnection<String, byte[]> reading = client.connect(CODEC);
             StatefulRedisConnection<String, byte[]> writing = client.connect(CODEC)) {
            Thread writer = new Thread(() -> writeAnswers(writing), "inferis-worker-results-" + spec.source());
            writer.setDaemon(true);
            writer.start();
            try {
                takeJobs(reading.sync());
                awaitAnswered();
            } finally {
                writer.interrupt();
                writer.join();
            }
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    private void takeJobs(RedisCommands<String, byte[]> redis) throws InterruptedException {
        try {
            redis.xgroupCreate(XReadArgs.StreamOffset.from(spec.source(), "0"), spec.group(),
                    XGroupCreateArgs.Builder.mkstream());
        } catch (RedisBusyException e) {
            // the group exists: another node made it
        }
        Consumer<String> me = Consumer.from(spec.group(), consumerName);
        state("running");
        // first what this consumer name was given before a restart and never acknowledged
        String pendingFrom = "0";
        while (running && pendingFrom != null) {
            List<StreamMessage<String, byte[]>> mine = redis.xreadgroup(me, XReadArgs.Builder.count(room()),
                    XReadArgs.StreamOffset.from(spec.source(), pendingFrom));
            for (StreamMessage<String, byte[]> message : mine) {
                take(message);
            }
            pendingFrom = mine.isEmpty() ? null : mine.get(mine.size() - 1).getId();
        }
        long lastClaim = 0;
        long lastLag = 0;
        while (running) {
            if (System.nanoTime() - lastClaim > TimeUnit.MILLISECONDS.toNanos(Math.min(claimIdleMillis.getAsLong() / 2, 5000))) {
                claimAbandoned(redis, me);
                lastClaim = System.nanoTime();
            }
            if (System.nanoTime() - lastLag > LAG_REFRESH_NANOS) {
                lag(groupLag(redis));
                lastLag = System.nanoTime();
            }
            int room = room();
            for (StreamMessage<String, byte[]> message : redis.xreadgroup(me,
                    XReadArgs.Builder.count(room).block(BLOCK_MILLIS), XReadArgs.StreamOffset.lastConsumed(spec.source()))) {
                take(message);
            }
        }
    }

    /** Takes over jobs another consumer left pending longer than {@code worker-claim-idle}. */
    private void claimAbandoned(RedisCommands<String, byte[]> redis, Consumer<String> me) throws InterruptedException {
        String cursor = "0-0";
        do {
            ClaimedMessages<String, byte[]> claimed = redis.xautoclaim(spec.source(), new XAutoClaimArgs<String>()
                    .consumer(me).minIdleTime(claimIdleMillis.getAsLong()).startId(cursor).count(room()));
            for (StreamMessage<String, byte[]> message : claimed.getMessages()) {
                take(message);
            }
            cursor = claimed.getId();
        } while (running && !cursor.equals("0-0"));
    }

    private void take(StreamMessage<String, byte[]> message) throws InterruptedException {
        Map<String, byte[]> fields = message.getBody();
        byte[] model = fields.get("model");
        startJob(model == null ? null : new String(model, StandardCharsets.UTF_8), fields.get("inputs"))
                .thenAccept(outcome -> answers.add(new Answer(message.getId(), fields.get("id"), outcome)));
    }

    /** Writes outcomes as they come, each in its own MULTI/EXEC, pipelined. */
    private void writeAnswers(StatefulRedisConnection<String, byte[]> connection) {
        RedisAsyncCommands<String, byte[]> redis = connection.async();
        connection.setAutoFlushCommands(false);
        List<Answer> batch = new ArrayList<>();
        try {
            while (true) {
                batch.add(answers.take());
                answers.drainTo(batch, MAX_IN_FLIGHT);
                List<RedisFuture<TransactionResult>> results = new ArrayList<>();
                try {
                    for (Answer answer : batch) {
                        redis.multi();
                        redis.xadd(spec.results(), resultEntry(answer));
                        redis.xack(spec.source(), spec.group(), answer.jobId());
                        results.add(redis.exec());
                    }
                    connection.flushCommands();
                } catch (RuntimeException e) { // not connected: these jobs stay pending and are given again
                    LOG.debug("Stream worker {}: results not written: {}", spec.uri(), e.toString());
                }
                for (int i = 0; i < batch.size(); i++) {
                    answered(batch.get(i).outcome(), i < results.size() && delivered(results.get(i)));
                }
                batch.clear();
            }
        } catch (InterruptedException e) {
            // stopping; jobs not written stay pending and are given again
            batch.forEach(answer -> answered(answer.outcome(), false));
            List<Answer> left = new ArrayList<>();
            answers.drainTo(left);
            left.forEach(answer -> answered(answer.outcome(), false));
        }
    }

    private static boolean delivered(RedisFuture<TransactionResult> exec) throws InterruptedException {
        try {
            TransactionResult result = exec.get(30, TimeUnit.SECONDS);
            return !result.wasDiscarded();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return false; // not written: the job stays pending and is answered again later
        }
    }

    private static Map<String, byte[]> resultEntry(Answer answer) {
        Map<String, byte[]> entry = new LinkedHashMap<>();
        entry.put("job", answer.jobId().getBytes(StandardCharsets.US_ASCII));
        if (answer.id() != null) {
            entry.put("id", answer.id());
        }
        if (answer.outcome().error() == null) {
            entry.put("outputs", answer.outcome().outputs());
        } else {
            entry.put("error", answer.outcome().error().getBytes(StandardCharsets.UTF_8));
        }
        return entry;
    }

    /** XINFO GROUPS's {@code lag} of this group (Redis 7), or -1. */
    private long groupLag(RedisCommands<String, byte[]> redis) {
        for (Object group : redis.xinfoGroups(spec.source())) {
            List<?> fields = (List<?>) group;
            Map<String, Object> byName = new LinkedHashMap<>();
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                byName.put(text(fields.get(i)), fields.get(i + 1));
            }
            if (spec.group().equals(text(byName.get("name")))) {
                return byName.get("lag") instanceof Long lag ? lag : -1;
            }
        }
        return -1;
    }

    private static String text(Object value) {
        return value instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(value);
    }
}
