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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only file: write commands as RESP, appended in the order they changed the keyspace. Appends go to
 * memory; one writer thread moves them to the file and fsyncs per {@code appendfsync}: after every write
 * ({@code always}, and {@link #awaitDurable} holds replies until then), once a second ({@code everysec}), or when
 * the OS likes ({@code no}). A rewrite replaces the file with a snapshot of the keyspace followed by the commands
 * appended while it was written.
 */
final class AppendOnlyFile implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AppendOnlyFile.class);
    private static final byte[] CRLF = {'\r', '\n'};

    enum Fsync { ALWAYS, EVERYSEC, NO }

    private final Path path;
    /** Guards the buffers and counters; appenders hold it briefly. */
    private final Object lock = new Object();
    /** Held while bytes move to the file, so a rewrite never switches files under a write. */
    private final Object io = new Object();
    private final Thread writer;
    private FileChannel channel;
    private ByteBuf pending = Unpooled.buffer(64 * 1024);
    /** Commands appended since a rewrite began; they follow the rewrite's snapshot in the new file. */
    private ByteBuf rewriteTail;
    /** Bytes appended, written to the OS and fsynced since the file was opened (logical, across rewrites). */
    private long appended;
    private long written;
    private long synced;
    private long lastSyncMillis = System.currentTimeMillis();
    private volatile Fsync fsync;
    private volatile String failure;
    private boolean closed;

    /** Opens the file for appending after its last valid byte. */
    AppendOnlyFile(Path path, Fsync fsync) throws IOException {
        this.path = path;
        this.fsync = fsync;
        this.channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        channel.position(channel.size());
        this.writer = new Thread(this::writeLoop, "inferis-aof");
        writer.setDaemon(true);
        writer.start();
    }

    void fsync(Fsync policy) {
        fsync = policy;
    }

    /** Appends one command; its arguments are byte[], String, Number, ByteBuf (read, not consumed) or ByteBuffer. */
    void append(Object[] args) {
        synchronized (lock) {
            int before = pending.writerIndex();
            encode(pending, args);
            int length = pending.writerIndex() - before;
            if (rewriteTail != null) {
                rewriteTail.writeBytes(pending, before, length);
            }
            appended += length;
            lock.notifyAll();
        }
    }

    /** The logical offset after everything appended so far. */
    long appendedOffset() {
        synchronized (lock) {
            return appended;
        }
    }

    /** Waits until the offset is on disk; false when the file cannot be written (the caller must not acknowledge). */
    boolean awaitDurable(long offset) {
        synchronized (lock) {
            while (synced < offset && failure == null && !closed) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return synced >= offset;
        }
    }

    /** Why the last write failed (the system's reason, e.g. "No space left on device"), or null once one works. */
    String failure() {
        return failure;
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
                    writeFully(rewrittenChannel, rewriteTail.nioBuffer());
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
        ByteBuf batch = Unpooled.buffer(64 * 1024);
        while (true) {
            synchronized (lock) {
                while (pending.readableBytes() == 0 && !closed && !syncDue()) {
                    try {
                        lock.wait(fsync == Fsync.EVERYSEC ? 1000 : 0);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed && pending.readableBytes() == 0 && written == synced) {
                    return;
                }
            }
            synchronized (io) {
                long upTo;
                synchronized (lock) {
                    ByteBuf appendedBytes = pending;
                    pending = batch;
                    batch = appendedBytes;
                    upTo = appended;
                }
                try {
                    ByteBuffer bytes = batch.nioBuffer();
                    try {
                        writeFully(channel, bytes);
                    } finally {
                        batch.skipBytes(bytes.position());
                    }
                    boolean sync = fsync == Fsync.ALWAYS || closed || syncDue();
                    if (sync) {
                        channel.force(false);
                    }
                    written(upTo, sync);
                    batch = batch.capacity() > (16 << 20) ? Unpooled.buffer(64 * 1024) : batch.clear();
                } catch (IOException e) {
                    batch = failed(batch, e);
                    if (closed) { // stopping: no more retries
                        LOG.error("Stopping with {} bytes of the append-only file {} unwritten", pending.readableBytes(),
                                path);
                        return;
                    }
                }
            }
        }
    }

    private void written(long upTo, boolean synced) {
        synchronized (lock) {
            written = Math.max(written, upTo);
            if (synced) {
                this.synced = Math.max(this.synced, upTo);
                lastSyncMillis = System.currentTimeMillis();
            }
            if (failure != null) {
                LOG.warn("Writing the append-only file {} works again", path);
                failure = null;
            }
            lock.notifyAll();
        }
    }

    /** Puts the unwritten bytes back before those appended since, and pauses before the retry; returns a spare. */
    private ByteBuf failed(ByteBuf unwritten, IOException e) {
        synchronized (lock) {
            if (failure == null) {
                LOG.error("Error writing the append-only file {}: {}", path, e.toString());
            }
            failure = e.getMessage() != null ? e.getMessage() : e.toString();
            unwritten.writeBytes(pending);
            ByteBuf spare = pending.clear();
            pending = unwritten;
            lock.notifyAll();
            try {
                lock.wait(1000);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
            return spare;
        }
    }

    /** Whether an everysec fsync is owed; callers hold the lock or the io lock. */
    private boolean syncDue() {
        return fsync == Fsync.EVERYSEC && written > synced && System.currentTimeMillis() - lastSyncMillis >= 1000;
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
