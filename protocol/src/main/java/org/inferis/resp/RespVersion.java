package org.inferis.resp;

import io.netty.util.AttributeKey;

/** The reply encoding a connection has negotiated with HELLO. */
public enum RespVersion {
    RESP2(2), RESP3(3);

    /** Channel attribute read by {@link ReplyEncoder}; absent means RESP2. */
    public static final AttributeKey<RespVersion> ATTRIBUTE = AttributeKey.valueOf("inferis.resp.version");

    private final int number;

    RespVersion(int number) {
        this.number = number;
    }

    public int number() {
        return number;
    }
}
