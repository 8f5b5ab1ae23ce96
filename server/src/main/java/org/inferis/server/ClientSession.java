package org.inferis.server;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import org.inferis.command.CommandContext;
import org.inferis.command.Transaction;
import org.inferis.resp.RespVersion;

/** One connection's state: identity, protocol version, authentication and what it last did. */
public final class ClientSession {
    private final long id;
    private final Channel channel;
    private final ServerContext server;
    private final long createdAt;
    private volatile String name;
    private volatile String libName = "";
    private volatile String libVersion = "";
    private volatile boolean authenticated;
    private volatile boolean closeAfterReply;
    private volatile boolean blocked;
    /** The append-only file offset this client's replies wait for under {@code appendfsync always}. */
    private volatile long awaitedAofOffset;
    // Written on every command by the connection's thread and read only for CLIENT LIST and the idle
    // timeout: plain fields, since a slightly stale value is harmless and a fence per command is not.
    private long lastInteraction;
    private String lastCommand = "NULL";
    private volatile String address;
    private final Transaction transaction = new Transaction();

    ClientSession(long id, Channel channel, ServerContext server, long now) {
        this.id = id;
        this.channel = channel;
        this.server = server;
        this.createdAt = now;
        this.lastInteraction = now;
        this.authenticated = !server.passwordRequired();
        channel.attr(RespVersion.ATTRIBUTE).set(RespVersion.RESP2);
    }

    public long id() {
        return id;
    }

    public Channel channel() {
        return channel;
    }

    /** What commands may reach of the server. */
    public CommandContext server() {
        return server;
    }

    /** Where work for this client continues once an engine is done: its event loop (inline for the replayer). */
    public java.util.concurrent.Executor executor() {
        return channel instanceof io.netty.channel.embedded.EmbeddedChannel ? Runnable::run : channel.eventLoop();
    }

    /** MULTI/EXEC and WATCH state; used on the connection's thread and under the keyspace lock. */
    public Transaction transaction() {
        return transaction;
    }

    public RespVersion protocol() {
        return channel.attr(RespVersion.ATTRIBUTE).get();
    }

    /** Takes effect from this command's own reply on (HELLO answers in the new version). */
    public void protocol(RespVersion version) {
        channel.attr(RespVersion.ATTRIBUTE).set(version);
    }

    public String name() {
        return name;
    }

    public void name(String name) {
        this.name = name == null || name.isEmpty() ? null : name;
    }

    public String libName() {
        return libName;
    }

    public void libName(String libName) {
        this.libName = libName;
    }

    public String libVersion() {
        return libVersion;
    }

    public void libVersion(String libVersion) {
        this.libVersion = libVersion;
    }

    public boolean isAuthenticated() {
        return authenticated;
    }

    public void authenticated(boolean authenticated) {
        this.authenticated = authenticated;
    }

    /** Asks the connection to close once this command's reply is written (QUIT, CLIENT KILL of itself). */
    public void closeAfterReply() {
        closeAfterReply = true;
    }

    boolean shouldCloseAfterReply() {
        return closeAfterReply;
    }

    /** A write of this client's reached the append-only file up to the offset; its replies wait for it. */
    public void awaitAofOffset(long offset) {
        if (offset > awaitedAofOffset) {
            awaitedAofOffset = offset;
        }
    }

    long awaitedAofOffset() {
        return awaitedAofOffset;
    }

    /** A session with no network connection behind it, authenticated: the one that replays the append-only file. */
    public static ClientSession internal(ServerContext server) {
        ClientSession session = new ClientSession(0, new io.netty.channel.embedded.EmbeddedChannel(), server, server.keyspace().now());
        session.authenticated(true);
        return session;
    }

    public boolean isBlocked() {
        return blocked;
    }

    public void blocked(boolean blocked) {
        this.blocked = blocked;
    }

    public void commandStarted(String command, long now) {
        lastCommand = command;
        lastInteraction = now;
    }

    long lastInteraction() {
        return lastInteraction;
    }

    /** The peer's address as CLIENT LIST and MONITOR show it; formatted once (MONITOR needs it per command). */
    public String address() {
        String formatted = address;
        if (formatted == null) {
            formatted = format(channel.remoteAddress());
            address = formatted;
        }
        return formatted;
    }

    public String localAddress() {
        return format(channel.localAddress());
    }

    private static String format(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            return inet.getAddress().getHostAddress() + ":" + inet.getPort();
        }
        return String.valueOf(address);
    }

    /** The CLIENT LIST / CLIENT INFO line, with Redis's field names. */
    public String describe(long now) {
        return "id=" + id + " addr=" + address() + " laddr=" + localAddress() + " fd=-1 name=" + (name == null ? "" : name)
                + " age=" + (now - createdAt) / 1000 + " idle=" + (now - lastInteraction) / 1000
                + " flags=" + (blocked ? "b" : "N") + " db=0 sub=0 psub=0 ssub=0 multi=" + transaction.queuedCount() + " qbuf=0 qbuf-free=0"
                + " argv-mem=0 multi-mem=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=" + lastCommand
                + " user=default redir=-1 resp=" + protocol().number() + " lib-name=" + libName + " lib-ver=" + libVersion;
    }
}
