package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.inferis.tensor.DType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Inferis nodes as a consumer group of a real Kafka topic: each job's result exactly once, across a node's death. */
class KafkaStreamWorkersIT {
    private static final int JOBS = 10_000;
    @TempDir
    static Path dir;
    private static KafkaBroker broker;
    @RegisterExtension
    final ProcessServers servers = new ProcessServers();

    @BeforeAll
    static void startBroker() throws Exception {
        broker = new KafkaBroker(Files.createDirectories(dir.resolve("kafka")));
    }

    @AfterAll
    static void stopBroker() throws Exception {
        broker.close();
    }

    private ServerProcess node(String name, String topic) throws Exception {
        ServerProcess node = StreamJobs.node(dir, name,
                "kafka://" + broker.bootstrap() + "/" + topic + " inferis " + topic + "-results");
        return servers.track(node);
    }

    @Test
    void eachJobsResultExactlyOnceThoughANodeIsKilledMidway() throws Exception {
        broker.createTopic("jobs", 4);
        broker.createTopic("jobs-results", 4);
        ServerProcess doomed = node("doomed", "jobs");
        node("survivor", "jobs");
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            for (int job = 0; job < JOBS; job++) {
                ProducerRecord<byte[], byte[]> record = new ProducerRecord<>("jobs", bytes(job), StreamJobs.inputs(job));
                record.headers().add("model", bytes("affine"));
                producer.send(record);
            }
        }
        Map<Integer, List<byte[]>> results = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> reader = committedReader("jobs-results")) {
            readUntil(reader, results, JOBS / 3);
            doomed.signal("KILL");
            assertTrue(results.size() < JOBS, "killed midway: " + results.size() + " jobs answered before");
            assertEquals(137, doomed.exitCode());
            readUntil(reader, results, JOBS);
            // anything produced twice would be in by now: the survivor has committed past every job
            for (ConsumerRecord<byte[], byte[]> late : reader.poll(Duration.ofSeconds(3))) {
                results.computeIfAbsent(number(late.key()), k -> new ArrayList<>()).add(late.value());
            }
        }
        for (int job = 0; job < JOBS; job++) {
            assertEquals(1, results.get(job).size(), "job " + job + "'s result, exactly once");
            assertTrue(StreamJobs.isAnswerTo(job, results.get(job).get(0)), "job " + job + "'s values");
        }
    }

    @Test
    void badJobsGetErrorHeadersAndTheWorkerGoesOn() throws Exception {
        broker.createTopic("bad", 1);
        broker.createTopic("bad-results", 1);
        ServerProcess node = node("node-bad", "bad");
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            producer.send(job("unknown", "no-such-model", StreamJobs.inputs(1)));
            producer.send(job("malformed", "affine", bytes("not safetensors")));
            producer.send(job("dtype", "linear", StreamJobs.file(DType.INT64, 1, 4)));
            producer.send(job("no-model", null, StreamJobs.inputs(1)));
            producer.send(job("good", "affine", StreamJobs.inputs(5)));
        }
        Map<String, ConsumerRecord<byte[], byte[]>> byKey = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> reader = committedReader("bad-results")) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (byKey.size() < 5 && System.nanoTime() < deadline) {
                reader.poll(Duration.ofMillis(200)).forEach(result -> byKey.put(text(result.key()), result));
            }
        }
        assertEquals("no model under key 'no-such-model'", header(byKey.get("unknown"), "error"));
        assertTrue(header(byKey.get("malformed"), "error").startsWith("not a safetensors file"));
        assertTrue(header(byKey.get("dtype"), "error").contains("Long"), header(byKey.get("dtype"), "error"));
        assertEquals("a job needs a model and its inputs", header(byKey.get("no-model"), "error"));
        ConsumerRecord<byte[], byte[]> good = byKey.get("good");
        assertNull(good.headers().lastHeader("error"));
        assertTrue(StreamJobs.isAnswerTo(5, good.value()));
        assertEquals("bad", header(good, "source-topic"));
        assertEquals("0", header(good, "source-partition"));
        assertEquals("4", header(good, "source-offset"));
        StatefulRedisConnection<String, String> c = servers.connect(node);
        Await.until(() -> Ai.string(c, "INFO", "workers").contains("state=running,done=1,failed=4,in_flight=0,lag=0"),
                "INFO workers counts the jobs and reads the lag from the consumer");
    }

    private static ProducerRecord<byte[], byte[]> job(String key, String model, byte[] inputs) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>("bad", bytes(key), inputs);
        if (model != null) {
            record.headers().add("model", bytes(model));
        }
        return record;
    }

    private static void readUntil(KafkaConsumer<byte[], byte[]> reader, Map<Integer, List<byte[]>> results, int jobs) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (results.size() < jobs && System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> result : reader.poll(Duration.ofMillis(200))) {
                results.computeIfAbsent(number(result.key()), k -> new ArrayList<>()).add(result.value());
            }
        }
        assertTrue(results.size() >= jobs, results.size() + " jobs answered, waiting for " + jobs);
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        Properties properties = broker.clientProperties();
        properties.put("acks", "all");
        return new KafkaProducer<>(properties, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static KafkaConsumer<byte[], byte[]> committedReader(String topic) {
        Properties properties = broker.clientProperties();
        properties.put("isolation.level", "read_committed");
        properties.put("auto.offset.reset", "earliest");
        properties.put("group.id", "reader-" + topic);
        KafkaConsumer<byte[], byte[]> reader = new KafkaConsumer<>(properties, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        reader.subscribe(List.of(topic));
        return reader;
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        assertTrue(record != null, "a result");
        Header header = record.headers().lastHeader(name);
        assertTrue(header != null, "header " + name);
        return text(header.value());
    }

    private static byte[] bytes(Object value) {
        return value.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static int number(byte[] key) {
        return Integer.parseInt(text(key));
    }
}
