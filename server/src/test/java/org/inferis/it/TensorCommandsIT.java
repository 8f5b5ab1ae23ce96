package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** AI.TENSORSET / AI.TENSORGET: every dtype, BLOB and VALUES, every reply variant and RedisAI's error texts. */
class TensorCommandsIT {
    @RegisterExtension
    static final RunningServer server = new RunningServer();

    @BeforeEach
    void flush() {
        server.connect(ProtocolVersion.RESP2).sync().flushall();
    }

    private static String error(StatefulRedisConnection<String, String> c, Object... args) {
        String command = (String) args[0];
        Object[] rest = Arrays.copyOfRange(args, 1, args.length);
        return assertThrows(RedisCommandExecutionException.class, () -> Ai.status(c, command, rest)).getMessage();
    }

    @ParameterizedTest
    @EnumSource(ProtocolVersion.class)
    void floatValuesRoundTripWithMetaAndBlob(ProtocolVersion protocol) {
        StatefulRedisConnection<String, String> c = server.connect(protocol);
        assertEquals("OK", Ai.status(c, "AI.TENSORSET", "t", "FLOAT", 2, 2, "VALUES", 1, 2.5, -3, 0.1));
        List<Object> full = Ai.array(c, "AI.TENSORGET", "t", "META", "VALUES");
        assertEquals(List.of("dtype", "FLOAT", "shape", List.of(2L, 2L), "values"), full.subList(0, 5));
        List<?> values = (List<?>) full.get(5);
        if (protocol == ProtocolVersion.RESP3) {
            assertEquals(List.of(1.0, 2.5, -3.0, (double) 0.1f), values, "RESP3 doubles");
        } else {
            assertEquals(List.of("1", "2.5", "-3", "0.10000000149011612"), values, "RESP2 bulk strings");
        }
        byte[] blob = Ai.bytes(c, "AI.TENSORGET", "t", "BLOB");
        ByteBuffer expected = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                .putFloat(1).putFloat(2.5f).putFloat(-3).putFloat(0.1f);
        assertArrayEquals(expected.array(), blob);
        assertEquals(List.of("dtype", "FLOAT", "shape", List.of(2L, 2L)), Ai.array(c, "AI.TENSORGET", "t", "META"));
        List<Object> defaults = Ai.array(c, "AI.TENSORGET", "t");
        assertEquals("blob", defaults.get(4));
    }

    @Test
    void everyDtypeStoresValuesAndBlobsAlike() {
        StatefulRedisConnection<String, String> c = server.connect(ProtocolVersion.RESP2);
        Object[][] cases = {
            {"DOUBLE", new Object[] {1.5, -2}, List.of("1.5", "-2")},
            {"FLOAT16", new Object[] {0.5, 65504}, List.of("0.5", "65504")},
            {"BFLOAT16", new Object[] {1, -0.5}, List.of("1", "-0.5")},
            {"INT8", new Object[] {-128, 127}, List.of(-128L, 127L)},
            {"INT16", new Object[] {-32768, 32767}, List.of(-32768L, 32767L)},
            {"INT32", new Object[] {-2147483648L, 2147483647L}, List.of(-2147483648L, 2147483647L)},
            {"INT64", new Object[] {Long.MIN_VALUE, Long.MAX_VALUE}, List.of(Long.MIN_VALUE, Long.MAX_VALUE)},
            {"UINT8", new Object[] {0, 255}, List.of(0L, 255L)},
            {"UINT16", new Object[] {0, 65535}, List.of(0L, 65535L)},
            {"BOOL", new Object[] {1, 0}, List.of(1L, 0L)},
        };
        for (Object[] testCase : cases) {
            String dtype = (String) testCase[0];
            Object[] values = (Object[]) testCase[1];
            assertEquals("OK", Ai.status(c, "AI.TENSORSET", "v", dtype, 2, "VALUES", values[0], values[1]), dtype);
            assertEquals(testCase[2], Ai.array(c, "AI.TENSORGET", "v", "VALUES"), dtype);
            byte[] blob = Ai.bytes(c, "AI.TENSORGET", "v", "BLOB");
            assertEquals("OK", Ai.status(c, "AI.TENSORSET", "b", dtype.toLowerCase(), 2, "BLOB", blob), dtype);
            assertEquals(Ai.array(c, "AI.TENSORGET", "v", "META", "VALUES"), Ai.array(c, "AI.TENSORGET", "b", "META", "VALUES"), dtype);
            assertArrayEquals(blob, Ai.bytes(c, "AI.TENSORGET", "b", "BLOB"), dtype);
        }
    }

    @Test
    void stringTensors() {
        StatefulRedisConnection<String, String> c = server.connect(ProtocolVersion.RESP2);
        Ai.status(c, "AI.TENSORSET", "s", "STRING", 2, "VALUES", "str_val1", "str_val2\0");
        assertEquals(List.of("str_val1", "str_val2"), Ai.array(c, "AI.TENSORGET", "s", "VALUES"));
        assertArrayEquals("str_val1\0str_val2\0".getBytes(StandardCharsets.UTF_8), Ai.bytes(c, "AI.TENSORGET", "s", "BLOB"));
        Ai.status(c, "AI.TENSORSET", "s2", "STRING", 2, 2, "BLOB", "a\0bb\0\0d\0".getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of("a", "bb", "", "d"), Ai.array(c, "AI.TENSORGET", "s2", "VALUES"));
        Ai.status(c, "AI.TENSORSET", "empty", "STRING", 2);
        assertEquals(List.of("", ""), Ai.array(c, "AI.TENSORGET", "empty", "VALUES"));
        Ai.status(c, "AI.TENSORSET", "hebrew", "STRING", 1, "VALUES", "עברית");
        assertEquals(List.of("עברית"), Ai.array(c, "AI.TENSORGET", "hebrew", "VALUES"));
        assertEquals("ERR C-string value contains null character",
                error(c, "AI.TENSORSET", "z", "STRING", 2, "VALUES", "ok", "bad\0string"));
        for (String blob : List.of("single c-string\0", "one\0two\0three\0", "C-string\0followed by a non C-string")) {
            assertEquals("ERR Number of string elements in data blob does not match tensor length",
                    error(c, "AI.TENSORSET", "z", "STRING", 2, "BLOB", blob.getBytes(StandardCharsets.UTF_8)));
        }
    }

    @Test
    void zeroFilledScalarAndLargeBlobTensors() {
        StatefulRedisConnection<String, String> c = server.connect(ProtocolVersion.RESP2);
        Ai.status(c, "AI.TENSORSET", "z", "INT32", 1, 3);
        assertEquals(List.of(0L, 0L, 0L), Ai.array(c, "AI.TENSORGET", "z", "VALUES"));
        Ai.status(c, "AI.TENSORSET", "scalar", "FLOAT", "VALUES", 7);
        assertEquals(List.of("dtype", "FLOAT", "shape", List.of(), "values", List.of("7")),
                Ai.array(c, "AI.TENSORGET", "scalar", "META", "VALUES"));

        byte[] image = new byte[3 * 224 * 224 * 4];
        for (int i = 0; i < image.length; i++) {
            image[i] = (byte) (i * 31);
        }
        Ai.status(c, "AI.TENSORSET", "img", "FLOAT", 1, 3, 224, 224, "BLOB", image);
        assertArrayEquals(image, Ai.bytes(c, "AI.TENSORGET", "img", "BLOB"));
        List<Object> meta = Ai.array(c, "AI.TENSORGET", "img", "META");
        assertEquals(List.of(1L, 3L, 224L, 224L), meta.get(3));
    }

    /**
     * Reads past 64 KiB go to buffers of their own, freed on release (ReadBuffers): large BLOBs pipelined on one
     * connection, cut wherever the socket cuts them and mixed with small commands, each arrive whole, and the buffers
     * are handed back (the read buffers of 120 such requests, kept, would hold over 100 MiB of direct memory).
     */
    @Test
    void pipelinedLargeBlobsArriveWholeAndTheirReadBuffersAreFreed() throws Exception {
        StatefulRedisConnection<String, String> c = server.connect(ProtocolVersion.RESP2);
        long directBefore = directMemory(c);
        for (int round = 0; round < 15; round++) {
            List<Object[]> commands = new ArrayList<>();
            List<byte[]> images = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                byte[] image = new byte[3 * 224 * 224 * 4];
                Arrays.fill(image, (byte) (round * 8 + i));
                image[i] = 1; // marks near both ends, so a shifted or cut copy shows
                image[image.length - 1 - i] = 2;
                images.add(image);
                commands.add(new Object[] {"AI.TENSORSET", "img" + i, "FLOAT", 1, 3, 224, 224, "BLOB", image});
                commands.add(new Object[] {"AI.TENSORSET", "small" + i, "INT8", 1, "VALUES", i});
            }
            for (var reply : Ai.pipelined(c, commands)) {
                assertEquals("OK", reply.get(10, TimeUnit.SECONDS));
            }
            for (int i = 0; i < 8; i++) {
                assertArrayEquals(images.get(i), Ai.bytes(c, "AI.TENSORGET", "img" + i, "BLOB"), "img" + i);
                assertEquals(List.of((long) i), Ai.array(c, "AI.TENSORGET", "small" + i, "VALUES"));
            }
        }
        long grown = directMemory(c) - directBefore;
        assertTrue(grown < 48L << 20, "direct memory grew by " + grown + " bytes over 120 large requests");
    }

    private static long directMemory(StatefulRedisConnection<String, String> c) {
        return c.sync().info("memory").lines().filter(line -> line.startsWith("used_memory_direct:"))
                .mapToLong(line -> Long.parseLong(line.substring("used_memory_direct:".length()).trim()))
                .findFirst().orElseThrow();
    }

    @Test
    void negativeIntegersFitTheirDtype() {
        // RedisAI refuses these through an overflow-check bug; the values fit INT8, so we accept them.
        StatefulRedisConnection<String, String> c = server.connect(ProtocolVersion.RESP2);
        assertEquals("OK", Ai.status(c, "AI.TENSORSET", "n", "INT8", 2, "VALUES", -1, -128));
        assertEquals(List.of(-1L, -128L), Ai.array(c, "AI.TENSORGET", "n", "VALUES"));
    }

    @Test
    void tensorSetErrorsMatchRedisAi() {
        StatefulRedisConnection<String, String> c = server.connect(ProtocolVersion.RESP2);
        c.sync().set("non-tensor", "value");
        assertEquals("WRONGTYPE Operation against a key holding the wrong kind of value",
                error(c, "AI.TENSORSET", "non-tensor", "INT32", 2, "unsupported", 2, 3));
        assertEquals("ERR invalid data type", error(c, "AI.TENSORSET", "z", "INT128", 2, "VALUES", 2, 3));
        assertEquals("ERR invalid data type", error(c, "AI.TENSORSET", "z", "FLOATS", 2, "VALUES", 2, 3));
        assertEquals("ERR invalid data type", error(c, "AI.TENSORSET", "z", "FLOA", 2, "VALUES", 2, 3));
        assertEquals("OK", Ai.status(c, "AI.TENSORSET", "lower", "bFloat16", 2, "VALUES", 2, 3), "any case, as RedisAI");
        assertEquals(List.of("dtype", "BFLOAT16", "shape", List.of(2L)), Ai.array(c, "AI.TENSORGET", "lower", "META"));
        assertEquals("ERR invalid or negative value found in tensor shape",
                error(c, "AI.TENSORSET", "z", "INT32", -1, "VALUES", 2, 3));
        assertEquals("ERR invalid or negative value found in tensor shape",
                error(c, "AI.TENSORSET", "z", "INT32", 0, "VALUES"));
        assertEquals("ERR invalid or negative value found in tensor shape",
                error(c, "AI.TENSORSET", "z", "INT32", 2, "not_a_number", "VALUES", 2, 3));
        // RedisAI's text first, so clients that match it still do, then which element and why
        assertEquals("ERR invalid value: VALUES element 2 of 2 ('A') is not a number",
                error(c, "AI.TENSORSET", "z", "FLOAT", 2, "VALUES", 2, "A"));
        assertEquals("ERR invalid value: VALUES element 2 of 2 ('1.87') is not an integer",
                error(c, "AI.TENSORSET", "z", "INT32", 2, "VALUES", 2, "1.87"));
        assertEquals("ERR invalid value: VALUES element 2 of 2 ('2') is out of range for BOOL (0 to 1)",
                error(c, "AI.TENSORSET", "z", "BOOL", 2, "VALUES", 1, 2));
        assertEquals("ERR invalid value: VALUES element 2 of 2 ('128') is out of range for INT8 (-128 to 127)",
                error(c, "AI.TENSORSET", "z", "INT8", 2, "VALUES", 1, 128));
        assertEquals("ERR invalid value: VALUES element 1 of 2 ('-1') is out of range for UINT8 (0 to 255)",
                error(c, "AI.TENSORSET", "z", "UINT8", 2, "VALUES", -1, 0));
        assertEquals("ERR invalid value: VALUES element 1 of 1 ('9223372036854775808') is out of range for INT64 ("
                + Long.MIN_VALUE + " to " + Long.MAX_VALUE + ")",
                error(c, "AI.TENSORSET", "z", "INT64", 1, "VALUES", "9223372036854775808"));
        assertEquals("ERR invalid value: VALUES element 1 of 1 ('-123456789012345678901234') is out of range for "
                + "INT32 (" + Integer.MIN_VALUE + " to " + Integer.MAX_VALUE + ")",
                error(c, "AI.TENSORSET", "z", "INT32", 1, "VALUES", "-123456789012345678901234"));
        assertEquals("ERR invalid value: VALUES element 1 of 1 ('007') is not an integer",
                error(c, "AI.TENSORSET", "z", "INT32", 1, "VALUES", "007"));
        assertEquals("ERR invalid value: VALUES element 1 of 1 ('70000') overflows FLOAT16 (largest 65504)",
                error(c, "AI.TENSORSET", "z", "FLOAT16", 1, "VALUES", 70000));
        assertEquals("ERR invalid value: VALUES element 2 of 2 ('1e999') overflows DOUBLE (largest "
                + Double.MAX_VALUE + ")", error(c, "AI.TENSORSET", "z", "DOUBLE", 2, "VALUES", 1, "1e999"));
        assertEquals("ERR invalid value: VALUES element 1 of 1 ('1e39') overflows FLOAT (largest 3.4028235E38)",
                error(c, "AI.TENSORSET", "z", "FLOAT", 1, "VALUES", "1e39"));
        assertEquals("OK", Ai.status(c, "AI.TENSORSET", "infinite", "FLOAT16", 2, "VALUES", "inf", "-inf"),
                "infinity written as such is a value");
        assertEquals("OK", Ai.status(c, "AI.TENSORSET", "edge", "FLOAT16", 1, "VALUES", 65504));
        assertEquals("ERR wrong number of arguments for 'AI.TENSORSET' command", error(c, "AI.TENSORSET", "z", "FLOAT"));
        assertEquals("ERR wrong number of values was given in 'AI.TENSORSET' command",
                error(c, "AI.TENSORSET", "z", "FLOAT", 2, "VALUES", 1));
        assertEquals("ERR wrong number of values was given in 'AI.TENSORSET' command",
                error(c, "AI.TENSORSET", "z", "FLOAT", 2, "VALUES", 1, 2, 3));
        assertEquals("ERR a single binary string should come after the BLOB argument in 'AI.TENSORSET' command",
                error(c, "AI.TENSORSET", "z", "FLOAT", 2, "BLOB", "\0", "extra-argument"));
        assertEquals("ERR a single binary string should come after the BLOB argument in 'AI.TENSORSET' command",
                error(c, "AI.TENSORSET", "z", "FLOAT", 2, "BLOB"));
        assertEquals("ERR data length does not match tensor shape and type: FLOAT 1x1x28x280 takes 31360 bytes, the"
                + " BLOB has 3136", error(c, "AI.TENSORSET", "z", "FLOAT", 1, 1, 28, 280, "BLOB", new byte[28 * 28 * 4]));
        assertEquals("ERR BOOL tensor elements must be 0 or 1",
                error(c, "AI.TENSORSET", "z", "BOOL", 2, "BLOB", new byte[] {1, 2}));
        String tooLarge = error(c, "AI.TENSORSET", "z", "FLOAT", 1000000000);
        assertEquals("ERR tensor of 4000000000 bytes exceeds proto-max-bulk-len (536870912 bytes)", tooLarge);
        assertEquals("ERR tensor of more than 2^63 bytes exceeds proto-max-bulk-len (536870912 bytes)",
                error(c, "AI.TENSORSET", "z", "FLOAT", 4000000000L, 4000000000L, 4000000000L));
        assertEquals(0L, c.sync().exists("z"), "no failed TENSORSET wrote anything");
    }

    /**
     * The size bound follows CONFIG SET on connections already open, as Redis's proto-max-bulk-len does: for the
     * tensor built and for the bulk strings read.
     */
    @Test
    void protoMaxBulkLenSetAtRunTimeBoundsTheNextTensor() throws Exception {
        StatefulRedisConnection<String, String> c = server.connect(ProtocolVersion.RESP2);
        try (RawConnection raw = new RawConnection(server.port())) {
            assertEquals("OK", c.sync().configSet("proto-max-bulk-len", "1mb"));
            assertEquals("ERR tensor of 2097152 bytes exceeds proto-max-bulk-len (1048576 bytes)",
                    error(c, "AI.TENSORSET", "z", "FLOAT", 512, 1024));
            assertEquals(0L, c.sync().exists("z"));
            // a BLOB whose header is over the new limit: refused before its payload, as Redis does
            raw.send("*6\r\n$12\r\nAI.TENSORSET\r\n$1\r\nz\r\n$5\r\nUINT8\r\n$7\r\n2097152\r\n$4\r\nBLOB\r\n"
                    + "$2097152\r\n");
            assertEquals("-ERR Protocol error: invalid bulk length", raw.readLine());
            assertTrue(raw.closedByServer());
            assertEquals(0L, c.sync().exists("z"));
        } finally {
            c.sync().configSet("proto-max-bulk-len", "512mb");
        }
        assertEquals("OK", Ai.status(c, "AI.TENSORSET", "z", "FLOAT", 512, 1024));
        assertEquals(List.of("dtype", "FLOAT", "shape", List.of(512L, 1024L)), Ai.array(c, "AI.TENSORGET", "z", "META"));
    }

    @Test
    void tensorGetErrorsMatchRedisAi() {
        StatefulRedisConnection<String, String> c = server.connect(ProtocolVersion.RESP2);
        Ai.status(c, "AI.TENSORSET", "T_FLOAT", "FLOAT", 2, "VALUES", 1, 1);
        assertEquals("ERR wrong number of arguments for 'AI.TENSORGET' command", error(c, "AI.TENSORGET"));
        assertEquals("ERR wrong number of arguments for 'AI.TENSORGET' command",
                error(c, "AI.TENSORGET", "T_FLOAT", "META", "VALUES", "extra-arg"));
        assertEquals("ERR tensor key is empty or in a different shard", error(c, "AI.TENSORGET", "empty"));
        c.sync().set("non-tensor", "value");
        assertEquals("WRONGTYPE Operation against a key holding the wrong kind of value",
                error(c, "AI.TENSORGET", "non-tensor", "unsupported"));
        assertEquals("ERR unsupported data format", error(c, "AI.TENSORGET", "T_FLOAT", "unsupported_format"));
        assertEquals("ERR both BLOB and VALUES specified", error(c, "AI.TENSORGET", "T_FLOAT", "BLOB", "VALUES"));
    }
}
