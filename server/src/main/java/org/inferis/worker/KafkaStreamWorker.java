package org.inferis.worker;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A consumer of a Kafka topic's group. Jobs: records whose value is the inputs' safetensors file and whose header
 * {@code model} names the model; the key is echoed. The results of each poll are produced in one transaction that also
 * commits the consumed offsets ({@code sendOffsetsToTransaction}), so a {@code read_committed} reader sees each job's
 * result exactly once, across crashes and rebalances: a node that dies mid-transaction has it aborted, and its
 * partitions' jobs are done again by the node that takes them.
 */
final class KafkaStreamWorker extends StreamWorker {
    /** A dead node's open transaction holds back read_committed readers this long, at most. */
    private static final int TRANSACTION_TIMEOUT_MILLIS = 10_000;
    /** A dead node's partitions go to the others after this long (the broker's minimum). */
    private static final int SESSION_TIMEOUT_MILLIS = 6_000;

    KafkaStreamWorker(WorkerSpec spec, String consumerName, JobRunner runner) {
        super(spec, consumerName, runner);
    }

    @Override
    protected void consume() throws InterruptedException {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProperties());
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProperties())) {
            producer.initTransactions();
            consumer.subscribe(List.of(spec.source()));
            state("running");
            while (running) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
                lag(lag(consumer));
                if (!records.isEmpty()) {
                    answer(records, consumer, producer);
                }
            }
        } catch (org.apache.kafka.common.errors.InterruptException e) {
            throw new InterruptedException("stopped");
        }
    }

    /** Runs a poll's jobs together (they batch), then produces their results and commits their offsets at once. */
    private void answer(ConsumerRecords<byte[], byte[]> records, KafkaConsumer<byte[], byte[]> consumer,
                        KafkaProducer<byte[], byte[]> producer) throws InterruptedException {
        List<ConsumerRecord<byte[], byte[]>> jobs = new ArrayList<>();
        List<CompletableFuture<Outcome>> outcomes = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            Header model = record.headers().lastHeader("model");
            outcomes.add(startJob(model == null ? null : new String(model.value(), StandardCharsets.UTF_8),
                    record.value()));
            jobs.add(record);
            next.put(new TopicPartition(record.topic(), record.partition()), new OffsetAndMetadata(record.offset() + 1));
        }
        boolean committed = false;
        try {
            CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new)).join();
            producer.beginTransaction();
            for (int i = 0; i < jobs.size(); i++) {
                producer.send(result(jobs.get(i), outcomes.get(i).join()));
            }
            producer.sendOffsetsToTransaction(next, consumer.groupMetadata());
            producer.commitTransaction();
            committed = true;
        } finally {
            boolean delivered = committed;
            outcomes.forEach(outcome -> answered(outcome.join(), delivered));
            if (!delivered) {
                // done again from the last committed offsets, by this consumer or the one that takes its partitions
                abort(producer);
            }
        }
    }

    private static void abort(KafkaProducer<byte[], byte[]> producer) {
        try {
            producer.abortTransaction();
        } catch (RuntimeException e) {
            // fenced or not in a transaction: closing the producer (the caller reconnects) is enough
        }
    }

    private ProducerRecord<byte[], byte[]> result(ConsumerRecord<byte[], byte[]> job, Outcome outcome) {
        ProducerRecord<byte[], byte[]> result = new ProducerRecord<>(spec.results(), null, job.key(), outcome.outputs());
        if (outcome.error() != null) {
            result.headers().add("error", outcome.error().getBytes(StandardCharsets.UTF_8));
        }
        result.headers().add("source-topic", job.topic().getBytes(StandardCharsets.UTF_8))
                .add("source-partition", Integer.toString(job.partition()).getBytes(StandardCharsets.US_ASCII))
                .add("source-offset", Long.toString(job.offset()).getBytes(StandardCharsets.US_ASCII));
        return result;
    }

    private static long lag(KafkaConsumer<byte[], byte[]> consumer) {
        long total = 0;
        for (TopicPartition partition : consumer.assignment()) {
            OptionalLong lag = consumer.currentLag(partition);
            if (lag.isEmpty()) {
                return -1;
            }
            total += lag.getAsLong();
        }
        return total;
    }

    private Properties consumerProperties() {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, spec.servers());
        properties.put(ConsumerConfig.GROUP_ID_CONFIG, spec.group());
        properties.put(ConsumerConfig.CLIENT_ID_CONFIG, consumerName);
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        properties.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(MAX_IN_FLIGHT));
        properties.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, Integer.toString(SESSION_TIMEOUT_MILLIS));
        properties.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, Integer.toString(SESSION_TIMEOUT_MILLIS / 3));
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return properties;
    }

    private Properties producerProperties() {
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, spec.servers());
        properties.put(ProducerConfig.CLIENT_ID_CONFIG, consumerName);
        // one per node and source: a restarted node fences its own unfinished transaction at once
        properties.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "inferis-" + consumerName + "-" + spec.group() + "-"
                + spec.source());
        properties.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Integer.toString(TRANSACTION_TIMEOUT_MILLIS));
        properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return properties;
    }
}
