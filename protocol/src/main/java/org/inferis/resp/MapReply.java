package org.inferis.resp;

import java.util.ArrayList;
import java.util.List;

/** RESP3 {@code %n} of key/value pairs; a flat array of 2n elements in RESP2. */
public record MapReply(List<? extends Reply> keysAndValues) implements Reply {

    public MapReply {
        if (keysAndValues.size() % 2 != 0) {
            throw new IllegalArgumentException("a map needs an even number of elements");
        }
    }

    @Override
    public void writeTo(RespWriter out) {
        if (out.version() == RespVersion.RESP3) {
            out.writeNumberLine('%', keysAndValues.size() / 2);
            for (Reply item : keysAndValues) {
                item.writeTo(out);
            }
        } else {
            out.writeAggregate('*', keysAndValues);
        }
    }

    /** Collects alternating keys and values. */
    public static final class Builder {
        private final List<Reply> items = new ArrayList<>();

        public Builder put(String key, Reply value) {
            items.add(BulkReply.of(key));
            items.add(value);
            return this;
        }

        public Builder put(String key, String value) {
            return put(key, value == null ? NullReply.BULK : BulkReply.of(value));
        }

        public Builder put(String key, long value) {
            return put(key, IntegerReply.of(value));
        }

        public MapReply build() {
            return new MapReply(items);
        }
    }
}
