package org.inferis.resp;

import java.util.List;

/** RESP3 {@code >n} out-of-band data; an array in RESP2. */
public record PushReply(List<? extends Reply> items) implements Reply {
    @Override
    public void writeTo(RespWriter out) {
        out.writeAggregate(out.version() == RespVersion.RESP3 ? '>' : '*', items);
    }
}
