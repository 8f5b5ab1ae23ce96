package org.inferis.bench;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Jobs for Inferis's stream workers: {@code jobs} entries asking {@code model} for one random FLOAT tensor of the
 * given shape, written to a Redis stream as fast as the server takes them, timed until the results stream holds a
 * result for each.
 *
 * <pre>java -cp ... org.inferis.bench.StreamLoad PORT STREAM RESULTS MODEL JOBS DIM...</pre>
 *
 * Prints {@code RESULT <jobs/s> <seconds>}.
 */
public final class StreamLoad {
    private StreamLoad() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        String stream = args[1];
        String results = args[2];
        byte[] model = args[3].getBytes(StandardCharsets.UTF_8);
        int jobs = Integer.parseInt(args[4]);
        long[] shape = new long[args.length - 5];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = Long.parseLong(args[5 + i]);
        }
        byte[] inputs = safetensors(shape);
        RedisClient client = RedisClient.create(RedisURI.create("127.0.0.1", port));
        try (StatefulRedisConnection<String, byte[]> connection =
                     client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE))) {
            RedisAsyncCommands<String, byte[]> redis = connection.async();
            long start = System.nanoTime();
            List<RedisFuture<String>> added = new ArrayList<>();
            for (int job = 0; job < jobs; job++) {
                added.add(redis.xadd(stream, Map.of("model", model, "inputs", inputs,
                        "id", Integer.toString(job).getBytes(StandardCharsets.US_ASCII))));
            }
            added.forEach(future -> future.toCompletableFuture().join());
            while (connection.sync().xlen(results) < jobs) {
                Thread.sleep(2);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("RESULT %.0f %.2f%n", jobs / seconds, seconds);
        } finally {
            client.shutdown();
        }
    }

    /** One FLOAT tensor named 0 of random values, as a safetensors file. */
    private static byte[] safetensors(long[] shape) {
        long elements = 1;
        StringBuilder dims = new StringBuilder();
        for (long dim : shape) {
            elements *= dim;
            dims.append(dims.length() == 0 ? "" : ",").append(dim);
        }
        StringBuilder header = new StringBuilder("{\"0\":{\"dtype\":\"F32\",\"shape\":[" + dims
                + "],\"data_offsets\":[0," + elements * 4 + "]}}");
        while (header.length() % 8 != 0) {
            header.append(' ');
        }
        ByteBuffer file = ByteBuffer.allocate((int) (8 + header.length() + elements * 4)).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(header.length()).put(header.toString().getBytes(StandardCharsets.US_ASCII));
        Random random = new Random(1);
        for (long i = 0; i < elements; i++) {
            file.putFloat(random.nextFloat());
        }
        return file.array();
    }
}
