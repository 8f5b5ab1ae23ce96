package org.inferis.examples;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.ArrayOutput;
import io.lettuce.core.output.CommandOutput;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.ProtocolKeyword;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A small typed helper over Lettuce for Inferis's (RedisAI's) commands: tensors as float arrays or ByteBuffers,
 * models stored from files, runs, and a builder for AI.DAGEXECUTE. Plain Lettuce underneath: any other Redis
 * command goes through {@link #connection()}.
 */
public final class InferisClient implements AutoCloseable {
    /** A tensor as AI.TENSORGET META BLOB returns it. */
    public record Tensor(String dtype, long[] shape, ByteBuffer data) {
        /** The elements of a FLOAT tensor. */
        public float[] floats() {
            ByteBuffer buffer = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            float[] values = new float[buffer.remaining() / Float.BYTES];
            buffer.asFloatBuffer().get(values);
            return values;
        }
    }

    private final RedisClient client;
    private final StatefulRedisConnection<byte[], byte[]> connection;

    private InferisClient(RedisClient client) {
        this.client = client;
        this.connection = client.connect(ByteArrayCodec.INSTANCE);
    }

    /** Connects to {@code redis://host:port}. */
    public static InferisClient connect(String uri) {
        return new InferisClient(RedisClient.create(uri));
    }

    public StatefulRedisConnection<byte[], byte[]> connection() {
        return connection;
    }

    /** AI.TENSORSET key FLOAT dims... BLOB, from floats. */
    public void tensorSet(String key, long[] shape, float... values) {
        ByteBuffer data = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        data.asFloatBuffer().put(values);
        tensorSet(key, "FLOAT", shape, data);
    }

    /** AI.TENSORSET key dtype dims... BLOB, from little-endian bytes. */
    public void tensorSet(String key, String dtype, long[] shape, ByteBuffer data) {
        status(Command.TENSORSET, tensorSetArgs(key, dtype, shape, data));
    }

    /** AI.TENSORGET key META BLOB. */
    public Tensor tensorGet(String key) {
        return tensor(array(Command.TENSORGET, args(key, "META", "BLOB")));
    }

    /** AI.MODELSTORE key backend device [options...] BLOB, with the file's bytes. */
    public void modelStore(String key, String backend, String device, Path file, Object... options) throws IOException {
        List<Object> words = new ArrayList<>(List.of(key, backend, device));
        words.addAll(Arrays.asList(options));
        words.add("BLOB");
        words.add(Files.readAllBytes(file));
        status(Command.MODELSTORE, args(words.toArray()));
    }

    /** AI.MODELEXECUTE key INPUTS n ... OUTPUTS n ... */
    public void modelExecute(String key, List<String> inputs, List<String> outputs) {
        status(Command.MODELEXECUTE, args(executeWords(key, inputs, outputs).toArray()));
    }

    /** A new AI.DAGEXECUTE. */
    public Dag dag() {
        return new Dag();
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown();
    }

    /** Builds one AI.DAGEXECUTE: LOAD / PERSIST keys, then steps joined by {@code |>}. */
    public final class Dag {
        private final List<Object> head = new ArrayList<>();
        private final List<Object> steps = new ArrayList<>();

        private Dag() {
        }

        public Dag load(String... keys) {
            return keys("LOAD", keys);
        }

        public Dag persist(String... keys) {
            return keys("PERSIST", keys);
        }

        private Dag keys(String keyword, String... keys) {
            head.add(keyword);
            head.add(keys.length);
            head.addAll(Arrays.asList(keys));
            return this;
        }

        public Dag tensorSet(String key, long[] shape, float... values) {
            ByteBuffer data = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            data.asFloatBuffer().put(values);
            return step("AI.TENSORSET", key, "FLOAT", shape, "BLOB", data);
        }

        public Dag modelExecute(String key, List<String> inputs, List<String> outputs) {
            steps.add("|>");
            steps.add("AI.MODELEXECUTE");
            steps.addAll(executeWords(key, inputs, outputs));
            return this;
        }

        public Dag tensorGet(String key) {
            return step("AI.TENSORGET", key, "META", "BLOB");
        }

        private Dag step(Object... words) {
            steps.add("|>");
            steps.addAll(Arrays.asList(words));
            return this;
        }

        /** Runs it; one reply per step: "OK" for stores and runs, a {@link Tensor} for each TENSORGET. */
        public List<Object> execute() {
            if (head.isEmpty()) {
                head.addAll(List.of("ROUTING", "dag")); // RedisAI asks for LOAD, PERSIST or ROUTING
            }
            List<Object> words = new ArrayList<>(head);
            words.addAll(steps);
            List<Object> replies = new ArrayList<>();
            for (Object reply : array(Command.DAGEXECUTE, args(words.toArray()))) {
                replies.add(reply instanceof List<?> items ? tensor(items) : text(reply));
            }
            return replies;
        }
    }

    private static List<Object> executeWords(String key, List<String> inputs, List<String> outputs) {
        List<Object> words = new ArrayList<>(List.of(key, "INPUTS", inputs.size()));
        words.addAll(inputs);
        words.add("OUTPUTS");
        words.add(outputs.size());
        words.addAll(outputs);
        return words;
    }

    private static CommandArgs<byte[], byte[]> tensorSetArgs(String key, String dtype, long[] shape, ByteBuffer data) {
        return args(key, dtype, shape, "BLOB", data);
    }

    /** Arguments from strings, numbers, byte arrays, ByteBuffers and long[] (each element an argument). */
    private static CommandArgs<byte[], byte[]> args(Object... words) {
        CommandArgs<byte[], byte[]> args = new CommandArgs<>(ByteArrayCodec.INSTANCE);
        for (Object word : words) {
            if (word instanceof byte[] bytes) {
                args.add(bytes);
            } else if (word instanceof ByteBuffer buffer) {
                byte[] bytes = new byte[buffer.remaining()];
                buffer.duplicate().get(bytes);
                args.add(bytes);
            } else if (word instanceof long[] numbers) {
                Arrays.stream(numbers).forEach(args::add);
            } else if (word instanceof Number number) {
                args.add(number.longValue());
            } else {
                args.add(String.valueOf(word));
            }
        }
        return args;
    }

    private void status(Command command, CommandArgs<byte[], byte[]> args) {
        connection.sync().dispatch(command, new StatusOutput<>(ByteArrayCodec.INSTANCE), args);
    }

    private List<Object> array(Command command, CommandArgs<byte[], byte[]> args) {
        CommandOutput<byte[], byte[], List<Object>> output = new ArrayOutput<>(ByteArrayCodec.INSTANCE);
        return connection.sync().dispatch(command, output, args);
    }

    /** {@code [dtype, T, shape, [dims], blob, bytes]}. */
    private static Tensor tensor(List<?> items) {
        String dtype = text(items.get(1));
        long[] shape = ((List<?>) items.get(3)).stream().mapToLong(dim -> (Long) dim).toArray();
        return new Tensor(dtype, shape, ByteBuffer.wrap((byte[]) items.get(5)));
    }

    private static String text(Object reply) {
        return reply instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(reply);
    }

    private enum Command implements ProtocolKeyword {
        TENSORSET("AI.TENSORSET"), TENSORGET("AI.TENSORGET"), MODELSTORE("AI.MODELSTORE"),
        MODELEXECUTE("AI.MODELEXECUTE"), DAGEXECUTE("AI.DAGEXECUTE");

        private final byte[] name;

        Command(String name) {
            this.name = name.getBytes(StandardCharsets.US_ASCII);
        }

        @Override
        public byte[] getBytes() {
            return name;
        }

        @Override
        public String toString() {
            return new String(name, StandardCharsets.US_ASCII);
        }
    }
}
