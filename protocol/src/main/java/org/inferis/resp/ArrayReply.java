package org.inferis.resp;

import java.util.Arrays;
import java.util.List;

/** {@code *n}. */
public record ArrayReply(List<? extends Reply> items) implements Reply {
    public static final ArrayReply EMPTY = new ArrayReply(List.of());

    public static ArrayReply of(Reply... items) {
        return new ArrayReply(Arrays.asList(items));
    }

    @Override
    public void writeTo(RespWriter out) {
        out.writeAggregate('*', items);
    }
}
