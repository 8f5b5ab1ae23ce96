package org.inferis.it;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.ArrayOutput;
import io.lettuce.core.output.ByteArrayOutput;
import io.lettuce.core.output.CommandOutput;
import io.lettuce.core.output.IntegerOutput;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.ProtocolKeyword;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Sends any command through Lettuce's custom-command API (how applications call AI.* with Lettuce). */
public final class Ai {
    private Ai() {
    }

    private record Keyword(String name) implements ProtocolKeyword {
        @Override
        public byte[] getBytes() {
            return name.getBytes(StandardCharsets.US_ASCII);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static CommandArgs<String, String> args(Object... args) {
        CommandArgs<String, String> commandArgs = new CommandArgs<>(StringCodec.UTF8);
        for (Object arg : args) {
            if (arg instanceof byte[] bytes) {
                commandArgs.add(bytes);
            } else if (arg instanceof Number number && !(arg instanceof Double || arg instanceof Float)) {
                commandArgs.add(number.longValue());
            } else {
                commandArgs.add(String.valueOf(arg));
            }
        }
        return commandArgs;
    }

    private static <T> T send(StatefulRedisConnection<String, String> c, CommandOutput<String, String, T> output,
                              String command, Object... args) {
        return c.sync().dispatch(new Keyword(command), output, args(args));
    }

    /** Sends without waiting: for runs that queue up behind others. */
    public static RedisFuture<String> statusAsync(StatefulRedisConnection<String, String> c, String command,
                                                  Object... args) {
        return c.async().dispatch(new Keyword(command), new StatusOutput<>(StringCodec.UTF8), args(args));
    }

    /** Sends the commands ({name, args...} each) in one write (Lettuce's manual flush) and returns their futures. */
    public static List<RedisFuture<String>> pipelined(StatefulRedisConnection<String, String> c,
                                                      List<Object[]> commands) {
        c.setAutoFlushCommands(false);
        List<RedisFuture<String>> replies = new ArrayList<>();
        for (Object[] command : commands) {
            replies.add(statusAsync(c, (String) command[0], Arrays.copyOfRange(command, 1, command.length)));
        }
        c.flushCommands();
        c.setAutoFlushCommands(true);
        return replies;
    }

    public static String status(StatefulRedisConnection<String, String> c, String command, Object... args) {
        return send(c, new StatusOutput<>(StringCodec.UTF8), command, args);
    }

    public static byte[] bytes(StatefulRedisConnection<String, String> c, String command, Object... args) {
        return send(c, new ByteArrayOutput<>(StringCodec.UTF8), command, args);
    }

    /** A bulk string reply as text, or null. */
    public static String string(StatefulRedisConnection<String, String> c, String command, Object... args) {
        byte[] bytes = bytes(c, command, args);
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    public static Long integer(StatefulRedisConnection<String, String> c, String command, Object... args) {
        return send(c, new IntegerOutput<>(StringCodec.UTF8), command, args);
    }

    /** An array reply of a binary-safe connection: bulk strings stay byte arrays. */
    public static List<Object> binaryArray(StatefulRedisConnection<byte[], byte[]> c, String command, String... args) {
        CommandArgs<byte[], byte[]> commandArgs = new CommandArgs<>(ByteArrayCodec.INSTANCE);
        for (String arg : args) {
            commandArgs.add(arg);
        }
        return c.sync().dispatch(new Keyword(command), new ArrayOutput<>(ByteArrayCodec.INSTANCE), commandArgs);
    }

    /** An array reply with nested arrays as lists, bulks as strings, integers as Long, RESP3 doubles as Double. */
    public static List<Object> array(StatefulRedisConnection<String, String> c, String command, Object... args) {
        return send(c, new ArrayOutput<>(StringCodec.UTF8), command, args);
    }
}
