package org.inferis.resp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestAggregatorTest {
    private static final int MAX_BULK = 1 << 20;

    private static EmbeddedChannel channel() {
        EmbeddedChannel channel = new EmbeddedChannel();
        RespPipeline.install(channel.pipeline(), new RequestLimits(1000, () -> MAX_BULK, () -> 4L * MAX_BULK));
        return channel;
    }

    private static List<String> args(Request request) {
        List<String> args = new ArrayList<>();
        for (int i = 0; i < request.size(); i++) {
            args.add(request.string(i));
        }
        request.release();
        return args;
    }

    private static String written(EmbeddedChannel channel) {
        StringBuilder text = new StringBuilder();
        ByteBuf out;
        while ((out = channel.readOutbound()) != null) {
            text.append(out.toString(StandardCharsets.UTF_8));
            out.release();
        }
        return text.toString();
    }

    private static ByteBuf bytes(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1);
    }

    @Test
    void decodesMultibulkRequestsFedOneByteAtATime() {
        EmbeddedChannel channel = channel();
        String wire = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$11\r\nhello world\r\n*1\r\n$4\r\nPING\r\n";
        for (char c : wire.toCharArray()) {
            channel.writeInbound(bytes(String.valueOf(c)));
        }
        assertEquals(List.of("SET", "key", "hello world"), args(channel.readInbound()));
        assertEquals(List.of("PING"), args(channel.readInbound()));
        assertNull(channel.readInbound());
        assertFalse(channel.finish());
    }

    /**
     * Multibulk frames (taken by the fast path, which carries small ones cut by the end of a read) mixed with
     * inline commands and large frames (taken by Netty's decoder), split at seeded random points: every request comes out whole, in order,
     * and no buffer is left referenced.
     */
    @Test
    void decodesAnyMixOfFastAndReferencePathsInOrder() {
        java.util.Random random = new java.util.Random(42);
        StringBuilder wire = new StringBuilder();
        List<List<String>> expected = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            int size = random.nextInt(100) == 0 ? 70_000 + random.nextInt(10_000) // larger than the fast path carries
                    : random.nextInt(3) == 0 ? random.nextInt(5000) : random.nextInt(20);
            String value = "v".repeat(size);
            if (random.nextInt(5) == 0 && size < 5000) { // an inline line is at most 64 KiB, as in Redis
                wire.append("SET k").append(i).append(' ').append(value.isEmpty() ? "x" : value).append("\r\n");
                expected.add(List.of("SET", "k" + i, value.isEmpty() ? "x" : value));
            } else {
                wire.append("*3\r\n$3\r\nSET\r\n$").append(("k" + i).length()).append("\r\nk").append(i)
                        .append("\r\n$").append(value.length()).append("\r\n").append(value).append("\r\n");
                expected.add(List.of("SET", "k" + i, value));
            }
        }
        EmbeddedChannel channel = channel();
        List<ByteBuf> sent = new ArrayList<>();
        for (int at = 0; at < wire.length(); ) {
            int length = Math.min(wire.length() - at, 1 + random.nextInt(random.nextBoolean() ? 16 : 20000));
            ByteBuf chunk = bytes(wire.substring(at, at + length));
            sent.add(chunk);
            channel.writeInbound(chunk);
            at += length;
        }
        for (List<String> request : expected) {
            assertEquals(request, args(channel.readInbound()));
        }
        assertNull(channel.readInbound());
        assertFalse(channel.finish());
        for (ByteBuf chunk : sent) {
            assertEquals(0, chunk.refCnt(), "every read buffer is released once its requests are");
        }
    }

    @Test
    void keepsBinaryArgumentsAndEmptyStrings() {
        EmbeddedChannel channel = channel();
        channel.writeInbound(bytes("*3\r\n$3\r\nSET\r\n$0\r\n\r\n$4\r\n\u0000\r\n\u00ff\r\n"));
        Request request = channel.readInbound();
        assertEquals(0, request.arg(1).readableBytes());
        assertEquals(4, request.arg(2).readableBytes());
        assertEquals((byte) 0xff, request.arg(2).getByte(request.arg(2).readerIndex() + 3));
        request.release();
    }

    @Test
    void splitsInlineCommandsWithQuotes() {
        EmbeddedChannel channel = channel();
        channel.writeInbound(bytes("set k \"a b\\x41\\n\" 'it\\'s'\r\n\r\nPING\r\n"));
        assertEquals(List.of("set", "k", "a bA\n", "it's"), args(channel.readInbound()));
        assertEquals(List.of("PING"), args(channel.readInbound()));
    }

    @Test
    void refusesUnbalancedQuotes() {
        EmbeddedChannel channel = channel();
        channel.writeInbound(bytes("set k \"open\r\n"));
        assertEquals("-ERR Protocol error: unbalanced quotes in request\r\n", written(channel));
        assertFalse(channel.isActive());
    }

    @Test
    void refusesAHugeArrayHeaderWithoutAllocatingIt() {
        EmbeddedChannel channel = channel();
        channel.writeInbound(bytes("*2000000000\r\n"));
        assertEquals("-ERR Protocol error: invalid multibulk length\r\n", written(channel));
        assertFalse(channel.isActive());
    }

    @Test
    void refusesABulkLongerThanTheLimitBeforeItsPayload() {
        EmbeddedChannel channel = channel();
        channel.writeInbound(bytes("*2\r\n$3\r\nSET\r\n$" + (MAX_BULK + 1) + "\r\nabc"));
        assertEquals("-ERR Protocol error: invalid bulk length\r\n", written(channel));
        assertNull(channel.readInbound());
        assertFalse(channel.isActive());
    }

    @Test
    void refusesARequestLargerThanTheQueryBufferLimitBeforeItsPayload() {
        EmbeddedChannel channel = channel();
        StringBuilder wire = new StringBuilder("*6\r\n$4\r\nMSET\r\n");
        for (int i = 0; i < 5; i++) {
            wire.append('$').append(MAX_BULK).append("\r\n");
            if (i < 4) {
                wire.append("x".repeat(MAX_BULK)).append("\r\n");
            }
        }
        channel.writeInbound(bytes(wire.toString()));
        assertEquals("-ERR Protocol error: query buffer limit reached (client-query-buffer-limit)\r\n", written(channel));
        assertFalse(channel.isActive());
    }

    @Test
    void refusesNestedArraysAndBrokenNumbers() {
        EmbeddedChannel nested = channel();
        nested.writeInbound(bytes("*2\r\n*1\r\n$1\r\na\r\n"));
        assertEquals("-ERR Protocol error: expected '$', got '*'\r\n", written(nested));

        EmbeddedChannel broken = channel();
        broken.writeInbound(bytes("*1\r\n$abc\r\n"));
        assertTrue(written(broken).startsWith("-ERR Protocol error: "));
        assertFalse(broken.isActive());
    }

    @Test
    void aggregatesABulkStreamedInChunks() {
        EmbeddedChannel channel = channel();
        byte[] payload = new byte[200_000];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) i;
        }
        channel.writeInbound(bytes("*2\r\n$4\r\nECHO\r\n$" + payload.length + "\r\n"));
        for (int offset = 0; offset < payload.length; offset += 30_000) {
            channel.writeInbound(Unpooled.wrappedBuffer(payload, offset, Math.min(30_000, payload.length - offset)));
        }
        channel.writeInbound(bytes("\r\n"));
        Request request = channel.readInbound();
        assertEquals(2, request.size());
        assertTrue(java.util.Arrays.equals(payload, request.bytes(1)));
        request.release();
        assertEquals(1, request.arg(0).refCnt() == 0 ? 1 : 0, "arguments are released with the request");
    }

    @Test
    void ignoresEmptyArrays() {
        EmbeddedChannel channel = channel();
        channel.writeInbound(bytes("*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n"));
        assertEquals(List.of("PING"), args(channel.readInbound()));
        assertTrue(channel.isActive());
    }
}
