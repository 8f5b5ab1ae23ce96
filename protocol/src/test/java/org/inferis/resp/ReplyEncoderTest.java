package org.inferis.resp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplyEncoderTest {

    private static String encode(RespVersion version, Reply reply) {
        EmbeddedChannel channel = new EmbeddedChannel(new ReplyEncoder());
        channel.attr(RespVersion.ATTRIBUTE).set(version);
        channel.writeOutbound(reply);
        ByteBuf out = channel.readOutbound();
        String text = out.toString(StandardCharsets.ISO_8859_1);
        out.release();
        return text;
    }

    @Test
    void writesScalarsInBothVersions() {
        for (RespVersion v : RespVersion.values()) {
            assertEquals("+OK\r\n", encode(v, SimpleStringReply.OK));
            assertEquals("-ERR bad  thing\r\n", encode(v, ErrorReply.err("bad\r\nthing")));
            assertEquals(":-42\r\n", encode(v, IntegerReply.of(-42)));
            assertEquals(":9223372036854775807\r\n", encode(v, IntegerReply.of(Long.MAX_VALUE)));
            assertEquals("$5\r\nhello\r\n", encode(v, BulkReply.of("hello")));
        }
    }

    @Test
    void downgradesResp3TypesForResp2() {
        Reply map = new MapReply.Builder().put("a", 1).put("b", "x").build();
        assertEquals("%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n$1\r\nx\r\n", encode(RespVersion.RESP3, map));
        assertEquals("*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n$1\r\nx\r\n", encode(RespVersion.RESP2, map));

        assertEquals(",1.5\r\n", encode(RespVersion.RESP3, new DoubleReply(1.5)));
        assertEquals("$3\r\n1.5\r\n", encode(RespVersion.RESP2, new DoubleReply(1.5)));

        assertEquals("#t\r\n", encode(RespVersion.RESP3, BooleanReply.TRUE));
        assertEquals(":1\r\n", encode(RespVersion.RESP2, BooleanReply.TRUE));

        assertEquals("_\r\n", encode(RespVersion.RESP3, NullReply.BULK));
        assertEquals("$-1\r\n", encode(RespVersion.RESP2, NullReply.BULK));
        assertEquals("*-1\r\n", encode(RespVersion.RESP2, NullReply.ARRAY));

        Reply set = new SetReply(List.of(BulkReply.of("m")));
        assertEquals("~1\r\n$1\r\nm\r\n", encode(RespVersion.RESP3, set));
        assertEquals("*1\r\n$1\r\nm\r\n", encode(RespVersion.RESP2, set));

        Reply push = new PushReply(List.of(BulkReply.of("m")));
        assertEquals(">1\r\n$1\r\nm\r\n", encode(RespVersion.RESP3, push));
        assertEquals("*1\r\n$1\r\nm\r\n", encode(RespVersion.RESP2, push));

        assertEquals("=9\r\ntxt:hello\r\n", encode(RespVersion.RESP3, VerbatimReply.text("hello")));
        assertEquals("$5\r\nhello\r\n", encode(RespVersion.RESP2, VerbatimReply.text("hello")));
    }

    @Test
    void formatsDoublesAsRedisDoes() {
        assertEquals("1", DoubleReply.format(1.0));
        assertEquals("-2.5", DoubleReply.format(-2.5));
        assertEquals("0.10000000149011612", DoubleReply.format(0.1f));
        assertEquals("1e+20", DoubleReply.format(1e20));
        assertEquals("1.5e-07", DoubleReply.format(1.5e-7));
        assertEquals("inf", DoubleReply.format(Double.POSITIVE_INFINITY));
        assertEquals("nan", DoubleReply.format(Double.NaN));
    }

    @Test
    void sendsLargeBulkPayloadsAsDirectComponents() {
        ByteBuffer stored = ByteBuffer.allocate(100_000); // as tensors are stored: heap, read-only
        for (int i = 0; i < stored.capacity(); i++) {
            stored.put(i, (byte) (i % 251));
        }
        EmbeddedChannel channel = new EmbeddedChannel(new ReplyEncoder());
        channel.writeOutbound(ArrayReply.of(new BulkReply(stored.asReadOnlyBuffer()), IntegerReply.of(7)));
        ByteBuf out = channel.readOutbound();
        byte[] header = "*2\r\n$100000\r\n".getBytes(StandardCharsets.US_ASCII);
        assertEquals(header.length + 100_000 + 2 + 4, out.readableBytes());
        assertEquals("*2\r\n$100000\r\n", out.toString(0, header.length, StandardCharsets.US_ASCII));
        for (int i = 0; i < 100_000; i += 997) {
            assertEquals((byte) (i % 251), out.getByte(header.length + i));
        }
        assertEquals("\r\n:7\r\n", out.toString(header.length + 100_000, 6, StandardCharsets.US_ASCII));
        // the payload is a component of its own, and every component is direct: the epoll transport writes such a
        // composite as it is, where a heap component would have it merge the whole reply into another copy
        io.netty.buffer.CompositeByteBuf composite = (io.netty.buffer.CompositeByteBuf) out;
        assertEquals(true, composite.numComponents() >= 2);
        for (int i = 0; i < composite.numComponents(); i++) {
            assertEquals(true, composite.component(i).isDirect(), "component " + i);
        }
        out.release();
    }

    @Test
    void pipelinedRepliesShareOneBufferSizedByTheLastBatch() {
        EmbeddedChannel channel = new EmbeddedChannel(new ReplyEncoder());
        String value = "v".repeat(1024);
        for (int i = 0; i < 16; i++) {
            channel.write(BulkReply.of(value + i), channel.voidPromise());
        }
        channel.flush();
        ByteBuf first = channel.readOutbound();
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            expected.append('$').append(value.length() + String.valueOf(i).length()).append("\r\n").append(value)
                    .append(i).append("\r\n");
        }
        assertEquals(expected.toString(), first.toString(StandardCharsets.ISO_8859_1), "16 replies, one buffer");
        first.release();
        // the next batch starts at the last one's size, rounded up; a small one after it is still whole
        channel.write(IntegerReply.of(1), channel.voidPromise());
        channel.write(SimpleStringReply.OK, channel.voidPromise());
        channel.flush();
        ByteBuf second = channel.readOutbound();
        assertEquals(32 * 1024, second.capacity());
        assertEquals(":1\r\n+OK\r\n", second.toString(StandardCharsets.ISO_8859_1));
        second.release();
        channel.writeOutbound(IntegerReply.of(2));
        ByteBuf third = channel.readOutbound();
        assertEquals(1024, third.capacity(), "back to the smallest after a small batch");
        assertEquals(":2\r\n", third.toString(StandardCharsets.ISO_8859_1));
        third.release();
        assertEquals(null, (Object) channel.readOutbound());
    }
}
