package org.inferis.observability;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.inferis.resp.Request;

/** Redis's SLOWLOG: the most recent commands that took longer than {@code slowlog-log-slower-than} µs. */
public final class SlowLog {
    private static final int MAX_ARGS = 32;
    private static final int MAX_ARG_LENGTH = 128;

    /** One logged command, as SLOWLOG GET reports it. */
    public record Entry(long id, long unixSeconds, long micros, List<String> args, String address, String clientName) {
    }

    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    private long nextId;

    /** Adds an entry, dropping the oldest beyond {@code maxLength}. */
    public synchronized void add(long unixSeconds, long micros, List<String> args, String address, String name,
                                 int maxLength) {
        entries.addFirst(new Entry(nextId++, unixSeconds, micros, args, address, name == null ? "" : name));
        while (entries.size() > Math.max(0, maxLength)) {
            entries.removeLast();
        }
    }

    /** Newest first; {@code count < 0} for all. */
    public synchronized List<Entry> newest(long count) {
        List<Entry> result = new ArrayList<>();
        for (Iterator<Entry> it = entries.iterator(); it.hasNext() && (count < 0 || result.size() < count); ) {
            result.add(it.next());
        }
        return result;
    }

    public synchronized int size() {
        return entries.size();
    }

    public synchronized void reset() {
        entries.clear();
    }

    /** The arguments as Redis keeps them: at most 32, each cut at 128 bytes with a note of what was left out. */
    public static List<String> arguments(Request request) {
        List<String> args = new ArrayList<>();
        int shown = Math.min(request.size(), MAX_ARGS);
        for (int i = 0; i < shown; i++) {
            if (i == MAX_ARGS - 1 && request.size() > MAX_ARGS) {
                args.add("... (" + (request.size() - MAX_ARGS + 1) + " more arguments)");
                break;
            }
            int length = request.arg(i).readableBytes();
            if (Secrets.hidden(request, i)) {
                args.add(Secrets.REDACTED);
            } else if (length > MAX_ARG_LENGTH) {
                args.add(request.arg(i).toString(request.arg(i).readerIndex(), MAX_ARG_LENGTH, StandardCharsets.UTF_8)
                        + "... (" + (length - MAX_ARG_LENGTH) + " more bytes)");
            } else {
                args.add(request.string(i));
            }
        }
        return args;
    }
}
