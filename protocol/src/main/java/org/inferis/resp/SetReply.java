package org.inferis.resp;

import java.util.List;

/** RESP3 {@code ~n}; an array in RESP2. */
public record SetReply(List<? extends Reply> items) implements Reply {
    @Override
    public void writeTo(RespWriter out) {
        out.writeAggregate(out.version() == RespVersion.RESP3 ? '~' : '*', items);
    }
}
