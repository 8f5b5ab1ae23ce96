package org.inferis.persistence;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only file: write commands as RESP, appended in the order they changed the keyspace. Appends go to
 * memory. Before a client's reply leaves, what it logged is handed to the OS ({@link #writeOut}, on the event loop,
 * as Redis does before replying), so a process crash loses nothing acknowledged. Under {@code always} replies wait
 * instead for {@link #durable}: the writer thread moves everything appended so far to the file and fsyncs it once
 * (group commit), then completes every wait it covers; no event loop blocks on it. {@code everysec} fsyncs once a
 * second; {@code no} leaves that to the OS. A rewrite replaces the file with a snapshot of the keyspace followed by
 * the commands appended while it was written.
 */
final class AppendOnlyFile implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AppendOnlyFile.class);
    private static final byte[] CRLF = {'\r', '\n'};

    enum Fsync { ALWAYS, EVERYSEC, NO }

    /** A reply waiting for the fsync that covers its offset. */
    private record Waiter(long offset, CompletableFuture<Void> durable) {
    }

    private final Path path;
    /** Guards the buffers, counters and waiters; appenders hold it briefly. */
    private final Object lock = new Object();
    /** Held while bytes move to the file, so a rewrite never switches files under a write; never during fsync. */
    private final Object io = new Object();
    private final Thread writer;
    /** Told when an fsync under {@code always} fails: the data may be lost, and the server must not go on. */
    private final java.util.function.Consumer<String> fatal;
    private FileChannel channel;
    private ByteBuf pending = Unpooled.buffer(64 * 1024);
    /** The writer's spare buffer, swapped with {@code pending} under the io lock. */
    private ByteBuf spare = Unpooled.buffer(64 * 1024);
    /** Commands appended since a rewrite began; they follow the rewrite's snapshot in the new file. */
    private ByteBuf rewriteTail;
    /** Bytes appended, written to the OS and fsynced since the file was opened (logical, across rewrites). */
    private long appended;
    private long written;
    private long synced;
    private final java.util.PriorityQueue<Waiter> waiters =
            new java.util.PriorityQueue<>(java.util.Comparator.comparingLong(Waiter::offset));
    private long lastSyncMillis = System.currentTimeMillis();
    /** fsyncs done: fewer than writes acknowledged under {@code always} when group commit works. */
    private long fsyncs;
    private volatile Fsync fsync;
    private volatile String failure;
    private boolean closed;

    /**
     * Opens the file for appending after its last valid byte.
     *
     * @param startOffset the logical offset its first byte gets (offsets go on across files)
     */
    AppendOnlyFile(Path path, Fsync fsync, java.util.function.Consumer<String> fatal, long startOffset)
            throws IOException {
        this(path, fsync, fatal, startOffset,
                file -> FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE));
    }

    /** How the file is opened for appending: tests give a channel whose fsync fails. */
    interface Opener {
        FileChannel open(Path path) throws IOException;
    }

    AppendOnlyFile(Path path, Fsync fsync, java.util.function.Consumer<String> fatal, long startOffset, Opener opener)
            throws IOException {
        this.path = path;
        this.appended = startOffset;
        this.written = startOffset;
        this.synced = startOffset;
        this.fsync = fsync;
        this.fatal = fatal;
        this.channel = opener.open(path);
        channel.position(channel.size());
        writeFully(channel, GroupChecksum.RESET.duplicate()); // the groups that follow are checksummed
        this.writer = new Thread(this::writeLoop, "inferis-aof");
        writer.setDaemon(true);
        writer.start();
    }

    void fsync(Fsync policy) {
        synchronized (lock) {
            fsync = policy;
            lock.notifyAll();
        }
    }

    /**
     * Appends commands, all in the group the next write-out makes; their arguments are byte[], String, Number, ByteBuf
     * (read, not consumed) or ByteBuffer.
     */
    void append(List<Object[]> commands) {
        synchronized (lock) {
            int before = pending.writerIndex();
            for (Object[] args : commands) {
                encode(pending, args);
            }
            int length = pending.writerIndex() - before;
            if (rewriteTail != null) {
                rewriteTail.writeBytes(pending, before, length);
            }
            appended += length;
        }
    }

    /** The logical offset after everything appended so far. */
    long appendedOffset() {
        synchronized (lock) {
            return appended;
        }
    }

    /**
     * Hands what was appended up to the offset to the OS, on the calling thread; false when the file cannot be
     * written (the caller must not acknowledge).
     */
    boolean writeOut(long offset) {
        synchronized (lock) {
            if (written >= offset) {
                return true;
            }
        }
        synchronized (io) {
            moveToFile();
        }
        synchronized (lock) {
            return written >= offset;
        }
    }

    /**
     * Completes once the offset is fsynced (the writer is woken for it); fails when the file cannot be written.
     */
    CompletableFuture<Void> durable(long offset) {
        synchronized (lock) {
            if (synced >= offset) {
                return CompletableFuture.completedFuture(null);
            }
            if (failure != null || closed) {
                return CompletableFuture.failedFuture(new IOException(failure != null ? failure : "closed"));
            }
            CompletableFuture<Void> durable = new CompletableFuture<>();
            waiters.add(new Waiter(offset, durable));
            lock.notifyAll();
            return durable;
        }
    }

    /** Why the last write failed (the system's reason, e.g. "No space left on device"), or null once one works. */
    String failure() {
        return failure;
    }

    long fsyncs() {
        synchronized (lock) {
            return fsyncs;
        }
    }

    /** The file's size, read from the file system so INFO never waits behind an fsync. */
    long size() {
        try {
            return Files.size(path);
        } catch (IOException e) {
            return -1;
        }
    }

    /** Starts collecting appends for a rewrite; the caller takes the keyspace copy at the same moment. */
    void beginRewrite() {
        synchronized (lock) {
            if (rewriteTail != null) {
                throw new IllegalStateException("a rewrite is already running");
            }
            rewriteTail = Unpooled.buffer(64 * 1024);
        }
    }

    /** Forgets a failed rewrite. */
    void abandonRewrite() {
        synchronized (lock) {
            if (rewriteTail != null) {
                rewriteTail.release();
                rewriteTail = null;
            }
        }
    }

    /**
     * Ends a rewrite whose snapshot is in {@code rewritten}: adds what was appended meanwhile, makes it durable and
     * puts it in this file's place. Appends wait meanwhile, as Redis's do for its last rewrite step.
     */
    void finishRewrite(Path rewritten, FileChannel rewrittenChannel) throws IOException {
        synchronized (io) {
            synchronized (lock) {
                try {
                    rewrittenChannel.position(rewrittenChannel.size());
                    ByteBuffer tail = rewriteTail.nioBuffer();
                    writeFully(rewrittenChannel, GroupChecksum.RESET.duplicate());
                    writeFully(rewrittenChannel, tail);
                    writeFully(rewrittenChannel, GroupChecksum.record(rewriteTail.nioBuffer()));
                    rewrittenChannel.force(true);
                    Files.move(rewritten, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    Snapshots.syncDirectory(path);
                } catch (IOException | RuntimeException e) {
                    rewrittenChannel.close(); // the appends go on in the old file
                    throw e;
                } finally {
                    rewriteTail.release();
                    rewriteTail = null;
                }
                FileChannel old = channel;
                channel = rewrittenChannel;
                pending.clear(); // already in the new file, through the rewrite tail
                written = appended;
                synced = appended;
                failure = null;
                waiters.forEach(waiter -> waiter.durable().complete(null));
                waiters.clear();
                lock.notifyAll();
                try {
                    old.close();
                } catch (IOException e) {
                    LOG.warn("closing the old append-only file: {}", e.toString());
                }
            }
        }
    }

    private void writeLoop() {
        while (true) {
            boolean stopping;
            synchronized (lock) {
                while (!closed && !(fsync == Fsync.ALWAYS && appended > synced) && !syncDue()) {
                    try {
                        lock.wait(fsync == Fsync.ALWAYS ? 0 : 1000);
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (fsync != Fsync.ALWAYS) {
                        break; // once a second: hand to the OS what no reply has yet, and fsync when owed
                    }
                }
                stopping = closed;
            }
            WrittenOut out = moveAll();
            if (stopping || fsync != Fsync.NO && out.offset() > syncedOffset()) {
                sync(out.channel(), out.offset());
            }
            if (stopping) {
                return;
            }
            if (failure != null) {
                pauseAfterFailure();
            }
        }
    }

    /** The file written to and the offset written up to, for an fsync done outside the io lock. */
    private record WrittenOut(FileChannel channel, long offset) {
    }

    /** Moves everything appended so far to the file (what a failed write could not, it keeps for a retry). */
    private WrittenOut moveAll() {
        synchronized (io) {
            moveToFile();
            synchronized (lock) {
                return new WrittenOut(channel, written);
            }
        }
    }

    private long syncedOffset() {
        synchronized (lock) {
            return synced;
        }
    }

    /** fsyncs the file outside the io lock, so event loops handing bytes to the OS never wait behind it. */
    private void sync(FileChannel target, long upTo) {
        try {
            target.force(false);
        } catch (IOException e) {
            synchronized (io) {
                if (target != channel) {
                    return; // a rewrite replaced (and fsynced) the file meanwhile
                }
            }
            String reason = e.getMessage() != null ? e.getMessage() : e.toString();
            if (fsync == Fsync.ALWAYS) {
                // after a failed fsync the kernel may have dropped the pages: nothing may be reported durable
                fatal.accept("Can't recover from an append-only file fsync error when appendfsync is 'always' ("
                        + reason + "): exiting");
                failWaiters(reason);
                return;
            }
            synchronized (lock) {
                if (failure == null) {
                    LOG.error("Error fsyncing the append-only file {}: {}", path, reason);
                }
                failure = reason;
            }
            return;
        }
        List<Waiter> covered = new java.util.ArrayList<>();
        synchronized (lock) {
            synced = Math.max(synced, upTo);
            fsyncs++;
            lastSyncMillis = System.currentTimeMillis();
            while (!waiters.isEmpty() && waiters.peek().offset() <= synced) {
                covered.add(waiters.poll());
            }
        }
        covered.forEach(waiter -> waiter.durable().complete(null));
    }

    /**
     * Moves the appended bytes to the file as one group closed by its checksum record, in one write; the caller
     * holds the io lock. A failed write is undone (the file cut back) and its bytes kept for a retry.
     */
    private void moveToFile() {
        ByteBuf batch;
        long upTo;
        synchronized (lock) {
            if (pending.readableBytes() == 0) {
                return;
            }
            batch = pending;
            pending = spare;
            upTo = appended;
        }
        long before = -1;
        try {
            before = channel.position();
            ByteBuffer group = batch.nioBuffer();
            ByteBuffer[] parts = {group, GroupChecksum.record(group.duplicate())};
            while (parts[1].hasRemaining()) {
                channel.write(parts);
            }
        } catch (IOException e) {
            undo(before);
            failed(batch, e);
            return;
        }
        synchronized (lock) {
            written = Math.max(written, upTo);
            if (failure != null) {
                LOG.warn("Writing the append-only file {} works again", path);
                failure = null;
            }
        }
        spare = batch.capacity() > (16 << 20) ? Unpooled.buffer(64 * 1024) : batch.clear();
    }

    /** Cuts off what a failed write left of its group, so the retry writes it whole. */
    private void undo(long before) {
        if (before < 0) {
            return;
        }
        try {
            channel.truncate(before);
            channel.position(before);
        } catch (IOException e) {
            LOG.error("Could not cut the append-only file {} back to {} after a failed write: {}", path, before,
                    e.toString());
        }
    }

    /** Puts the unwritten bytes back before those appended since; replies waiting on them are refused. */
    private void failed(ByteBuf unwritten, IOException e) {
        String reason = e.getMessage() != null ? e.getMessage() : e.toString();
        synchronized (lock) {
            if (failure == null) {
                LOG.error("Error writing the append-only file {}: {}", path, reason);
            }
            failure = reason;
            unwritten.writeBytes(pending);
            spare = pending.clear();
            pending = unwritten;
        }
        failWaiters(reason);
    }

    private void failWaiters(String reason) {
        List<Waiter> failed;
        synchronized (lock) {
            failed = new java.util.ArrayList<>(waiters);
            waiters.clear();
        }
        failed.forEach(waiter -> waiter.durable().completeExceptionally(new IOException(reason)));
    }

    /** After a failed write, waits a second before the retry (the disk may get space meanwhile). */
    private void pauseAfterFailure() {
        synchronized (lock) {
            if (!closed) {
                try {
                    lock.wait(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** Whether an everysec fsync is owed; callers hold the lock. */
    private boolean syncDue() {
        return fsync == Fsync.EVERYSEC && written > synced && System.currentTimeMillis() - lastSyncMillis >= 1000;
    }

    /** Writes and fsyncs what is pending now, on the calling thread; false if it could not. */
    boolean flushAndSync() {
        long wanted = appendedOffset();
        WrittenOut out = moveAll();
        sync(out.channel(), out.offset());
        synchronized (lock) {
            return failure == null && synced >= wanted;
        }
    }

    /** Writes and fsyncs what is pending, then stops the writer and closes the file. */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
        try {
            writer.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failWaiters("the append-only file was closed");
        synchronized (io) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.warn("closing the append-only file: {}", e.toString());
            }
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
    }

    /** RESP multibulk of the arguments. */
    static void encode(ByteBuf out, Object[] args) {
        out.writeByte('*').writeCharSequence(Integer.toString(args.length), StandardCharsets.US_ASCII);
        out.writeBytes(CRLF);
        for (Object arg : args) {
            if (arg instanceof ByteBuf buf) {
                header(out, buf.readableBytes());
                out.writeBytes(buf, buf.readerIndex(), buf.readableBytes());
            } else if (arg instanceof ByteBuffer buffer) {
                header(out, buffer.remaining());
                out.writeBytes(buffer.duplicate());
            } else {
                byte[] bytes = arg instanceof byte[] raw ? raw : arg.toString().getBytes(StandardCharsets.UTF_8);
                header(out, bytes.length);
                out.writeBytes(bytes);
            }
            out.writeBytes(CRLF);
        }
    }

    private static void header(ByteBuf out, int length) {
        out.writeByte('$').writeCharSequence(Integer.toString(length), StandardCharsets.US_ASCII);
        out.writeBytes(CRLF);
    }
}
