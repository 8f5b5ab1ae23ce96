package org.inferis.observability;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import org.inferis.resp.Request;
import org.inferis.resp.SimpleStringReply;
import org.inferis.server.ClientSession;

/** Clients that ran MONITOR: each receives a line per command any other client runs, as in Redis. */
public final class Monitors {
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

    /** Sends {@code +<time> [0 <addr>] "cmd" "arg" ...} to every monitor but the sender. */
    public void feed(ClientSession sender, Request request, long nowMicros) {
        StringBuilder line = new StringBuilder();
        line.append(nowMicros / 1_000_000).append('.').append(String.format(Locale.ROOT, "%06d", nowMicros % 1_000_000))
                .append(" [0 ").append(sender.address()).append(']');
        boolean secret = request.is(0, "AUTH") || request.is(0, "HELLO");
        for (int i = 0; i < request.size(); i++) {
            line.append(' ');
            if (secret && i > 0) {
                line.append("\"(redacted)\"");
            } else {
                quote(line, request.string(i));
            }
        }
        SimpleStringReply reply = new SimpleStringReply(line.toString());
        for (ClientSession monitor : watching) {
            if (monitor != sender) {
                monitor.channel().writeAndFlush(reply);
            }
        }
    }

    /** Redis's {@code sdscatrepr}: quotes, escapes and \\xHH for what is not printable. */
    private static void quote(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case 7 -> out.append("\\a");
                case '\b' -> out.append("\\b");
                default -> {
                    if (c < 32 || c == 127) {
                        out.append(String.format(Locale.ROOT, "\\x%02x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
