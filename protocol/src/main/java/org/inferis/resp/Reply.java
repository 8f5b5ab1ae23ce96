package org.inferis.resp;

/** A typed reply; {@link ReplyEncoder} writes it in the connection's RESP version. */
public interface Reply {
    void writeTo(RespWriter out);
}
