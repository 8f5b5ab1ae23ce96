package org.inferis.observability;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.LinkedHashSet;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.inferis.resp.Request;
import org.inferis.resp.SimpleStringReply;
import org.inferis.server.ClientSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Clients that ran MONITOR: each receives a line per command any other client runs, as in Redis. */
public final class Monitors {
    private static final Logger LOG = LoggerFactory.getLogger(Monitors.class);
    private final List<ClientSession> watching = new CopyOnWriteArrayList<>();
    private volatile boolean any;

    public void add(ClientSession client) {
        watching.add(client);
        any = true;
    }

    public void remove(ClientSession client) {
        watching.remove(client);
        any = !watching.isEmpty();
    }

    /** Cheap check for the request path: nothing is formatted while nobody monitors. */
    public boolean active() {
        return any;
    }

    /**
     * Sends {@code +<time> [0 <addr>] "cmd" "arg" ...} to every monitor but the sender. A monitor whose unsent lines
     * exceed {@code client-output-buffer-limit} ({@code outputLimit}, 0: none) is disconnected, as Redis does.
     */
    public void feed(ClientSession sender, Request request, long nowMicros, long outputLimit) {
        StringBuilder line = new StringBuilder(64);
        line.append(nowMicros / 1_000_000).append('.');
        String micros = Long.toString(nowMicros % 1_000_000);
        line.append("000000", micros.length(), 6).append(micros).append(" [0 ").append(sender.address()).append(']');
        for (int i = 0; i < request.size(); i++) {
            line.append(' ');
            if (Secrets.hidden(request, i)) {
                line.append('"').append(Secrets.REDACTED).append('"');
            } else {
                quote(line, request.arg(i));
            }
        }
        SimpleStringReply reply = new SimpleStringReply(line.toString());
        for (ClientSession monitor : watching) {
            if (monitor == sender) {
                continue;
            }
            var outbound = monitor.channel().unsafe().outboundBuffer();
            if (outputLimit > 0 && outbound != null && outbound.totalPendingWriteBytes() > outputLimit) {
                LOG.warn("Client {} closed for overcoming of output buffer limits (a MONITOR that does not read)",
                        monitor.address());
                remove(monitor);
                monitor.channel().close();
            } else {
                monitor.channel().write(reply, monitor.channel().voidPromise());
                flushAfterThisRound(sender, monitor.channel());
            }
        }
    }

    /** Monitors written to during this event-loop round, flushed once at its end (as Redis writes them). */
    private static final FastThreadLocal<Set<Channel>> UNFLUSHED = new FastThreadLocal<>() {
        @Override
        protected Set<Channel> initialValue() {
            return new LinkedHashSet<>();
        }
    };

    private static void flushAfterThisRound(ClientSession sender, Channel monitor) {
        Set<Channel> unflushed = UNFLUSHED.get();
        if (unflushed.isEmpty()) {
            sender.channel().eventLoop().execute(() -> {
                List<Channel> channels = List.copyOf(unflushed);
                unflushed.clear();
                channels.forEach(Channel::flush);
            });
        }
        unflushed.add(monitor);
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /** Redis's {@code sdscatrepr} over the argument's bytes: quotes, escapes and \\xHH for what is not printable. */
    private static void quote(StringBuilder out, ByteBuf bytes) {
        out.append('"');
        for (int i = bytes.readerIndex(), end = bytes.writerIndex(); i < end; i++) {
            int c = bytes.getByte(i) & 0xff;
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case 7 -> out.append("\\a");
                case '\b' -> out.append("\\b");
                default -> {
                    if (c < 32 || c >= 127) {
                        out.append("\\x").append(HEX[c >> 4]).append(HEX[c & 15]);
                    } else {
                        out.append((char) c);
                    }
                }
            }
        }
        out.append('"');
    }
}
