package org.inferis.command;

import org.inferis.resp.Reply;
import org.inferis.resp.Request;
import org.inferis.server.ClientSession;

/**
 * A command's behaviour. It runs holding the keyspace lock and must not keep references to the
 * request's buffers after returning; a reply that is not ready yet is a {@link PendingReply}.
 */
@FunctionalInterface
public interface Command {
    Reply execute(ClientSession client, Request request);
}
