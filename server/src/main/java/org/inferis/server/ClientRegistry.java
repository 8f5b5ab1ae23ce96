package org.inferis.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/** The connected clients, by id (ascending, as CLIENT LIST orders them). */
public final class ClientRegistry {
    private final Map<Long, ClientSession> clients = new ConcurrentSkipListMap<>();
    private final AtomicLong nextId = new AtomicLong(1);

    long nextId() {
        return nextId.getAndIncrement();
    }

    void add(ClientSession client) {
        clients.put(client.id(), client);
    }

    void remove(ClientSession client) {
        clients.remove(client.id());
    }

    /** Disconnects a client; it leaves the registry at once, as Redis frees a killed client at once. */
    public void kill(ClientSession client) {
        remove(client);
        client.channel().close();
    }

    public int size() {
        return clients.size();
    }

    public List<ClientSession> all() {
        return new ArrayList<>(clients.values());
    }

    public long blockedCount() {
        return clients.values().stream().filter(ClientSession::isBlocked).count();
    }

    /** Closes clients idle for longer than {@code timeoutMillis}; blocked clients are waiting, not idle. */
    void closeIdle(long now, long timeoutMillis) {
        for (ClientSession client : clients.values()) {
            if (!client.isBlocked() && now - client.lastInteraction() > timeoutMillis) {
                client.channel().close();
            }
        }
    }
}
