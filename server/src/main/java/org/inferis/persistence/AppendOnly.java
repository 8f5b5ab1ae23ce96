package org.inferis.persistence;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.inferis.config.ServerConfig;
import org.inferis.keyspace.Keyspace;
import org.inferis.keyspace.StoredEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only file's lifecycle (on, off, rewritten; {@code appendonly} and {@code appendfsync} at run time) and
 * what acknowledgements wait for: the bytes of a client's writes handed to the OS, or fsynced under {@code always}.
 * Offsets count on across files, so an offset a client waits for stays meaningful when the file is replaced.
 */
public final class AppendOnly implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AppendOnly.class);

    private final ServerConfig config;
    private final Keyspace keyspace;
    private final Executor background;
    private final Consumer<String> fatal;
    private volatile AppendOnlyFile aof;
    /** Where the last file's offsets ended: a new one counts on from there. */
    private volatile long lastOffset;
    private final AtomicBoolean rewriting = new AtomicBoolean();
    private volatile boolean lastRewriteOk = true;

    AppendOnly(ServerConfig config, Keyspace keyspace, Executor background, Consumer<String> fatal) {
        this.config = config;
        this.keyspace = keyspace;
        this.background = background;
        this.fatal = fatal;
    }

    Path path() {
        return Path.of(config.getString("dir")).resolve(config.getString("appendfilename"));
    }

    void append(List<Object[]> commands) {
        AppendOnlyFile file = aof;
        if (file != null) {
            file.append(commands);
        }
    }

    /** True when replies to writes must wait for the file's fsync ({@code appendfsync always}). */
    public boolean syncsEveryWrite() {
        return aof != null && config.getString("appendfsync").equals("always");
    }

    /** The offset after everything appended so far; 0 while the file is off. */
    public long offset() {
        AppendOnlyFile file = aof;
        return file == null ? 0 : file.appendedOffset();
    }

    /** The offset after every change made so far, including one whose command still holds the keyspace lock. */
    public long offsetAfterChanges() {
        if (aof == null) {
            return 0;
        }
        synchronized (keyspace) {
            return offset();
        }
    }

    /** Why the file cannot be written now, or null: while it is set, writes are refused (MISCONF). */
    public String writeError() {
        AppendOnlyFile file = aof;
        return file == null ? null : file.failure();
    }

    /**
     * Hands the file's bytes up to the offset to the OS, so a crash of this process cannot lose them; false when the
     * file cannot be written and the write must not be acknowledged.
     */
    public boolean writeOut(long offset) {
        AppendOnlyFile file = aof;
        return offset == 0 || file == null || file.writeOut(offset);
    }

    /** Completes once the file is fsynced up to the offset; fails when it cannot be written. */
    public CompletableFuture<Void> durable(long offset) {
        AppendOnlyFile file = aof;
        return offset == 0 || file == null ? CompletableFuture.completedFuture(null) : file.durable(offset);
    }

    /** Opens the file loaded at start-up for appending. */
    void open() throws IOException {
        aof = new AppendOnlyFile(path(), fsyncPolicy(), fatal, lastOffset);
    }

    /**
     * Starts the file from the keyspace as it is now: appends begin at once, and the file is replaced by a snapshot
     * of this moment followed by them when the future ends.
     */
    CompletableFuture<Void> enable() {
        AppendOnlyFile file;
        synchronized (keyspace) {
            if (aof != null) {
                return CompletableFuture.completedFuture(null);
            }
            try {
                Files.deleteIfExists(path());
                file = new AppendOnlyFile(path(), fsyncPolicy(), fatal, lastOffset);
            } catch (IOException e) {
                return CompletableFuture.failedFuture(e);
            }
            aof = file;
        }
        return rewrite(file);
    }

    /** Writes and fsyncs what the file still holds, and closes it. */
    private void disable() {
        AppendOnlyFile file;
        synchronized (keyspace) {
            file = aof;
            aof = null;
        }
        if (file != null) {
            file.close();
            lastOffset = file.appendedOffset();
        }
    }

    /** BGREWRITEAOF: compacts the file to a snapshot of now plus the commands that come meanwhile. */
    public CompletableFuture<Void> rewrite() {
        AppendOnlyFile file = aof;
        if (file == null) {
            return CompletableFuture.failedFuture(new IllegalStateException(
                    "the append-only file is off (CONFIG SET appendonly yes turns it on)"));
        }
        return rewrite(file);
    }

    private CompletableFuture<Void> rewrite(AppendOnlyFile file) {
        if (!rewriting.compareAndSet(false, true)) {
            return CompletableFuture.failedFuture(new IllegalStateException(
                    "Background append only file rewriting already in progress"));
        }
        List<StoredEntry> entries;
        synchronized (keyspace) {
            entries = keyspace.entries();
            file.beginRewrite();
        }
        return CompletableFuture.runAsync(() -> {
            long start = System.nanoTime();
            Path temporary = Snapshots.temporaryBeside(path());
            try {
                file.finishRewrite(temporary, Snapshots.writeTemporary(temporary, entries, keyspace.now()));
                lastRewriteOk = true;
                LOG.info("Append-only file rewritten: {} keys in {} ms", entries.size(),
                        (System.nanoTime() - start) / 1_000_000);
            } catch (IOException | RuntimeException e) {
                file.abandonRewrite();
                lastRewriteOk = false;
                try {
                    Files.deleteIfExists(temporary);
                } catch (IOException ignored) {
                    // the failure reported is the rewrite's
                }
                LOG.error("Rewriting the append-only file failed: {}", e.toString());
                throw new CompletionException(e);
            }
        }, background).whenComplete((done, error) -> rewriting.set(false));
    }

    /** Writes and fsyncs what is pending now; false if it could not (or true when the file is off). */
    boolean flushAndSync() {
        AppendOnlyFile file = aof;
        return file == null || file.flushAndSync();
    }

    private AppendOnlyFile.Fsync fsyncPolicy() {
        return AppendOnlyFile.Fsync.valueOf(config.getString("appendfsync").toUpperCase(Locale.ROOT));
    }

    void configChanged(String name, String value) {
        if (name.equals("appendonly")) {
            if (value.equals("yes")) {
                enable().exceptionally(error -> {
                    LOG.error("Could not turn the append-only file on: {}", error.toString());
                    return null;
                });
            } else {
                disable();
            }
        } else if (name.equals("appendfsync")) {
            AppendOnlyFile file = aof;
            if (file != null) {
                file.fsync(fsyncPolicy());
            }
        }
    }

    /** INFO persistence's append-only fields, with Redis's names. */
    void info(List<String[]> fields) {
        AppendOnlyFile file = aof;
        fields.add(Persistence.field("aof_enabled", file != null ? 1 : 0));
        fields.add(Persistence.field("aof_rewrite_in_progress", rewriting.get() ? 1 : 0));
        fields.add(Persistence.field("aof_last_bgrewrite_status", lastRewriteOk ? "ok" : "err"));
        fields.add(Persistence.field("aof_last_write_status", file == null || file.failure() == null ? "ok" : "err"));
        if (file != null) {
            fields.add(Persistence.field("aof_current_size", file.size()));
            fields.add(Persistence.field("aof_fsyncs", file.fsyncs())); // ours: fewer than writes means group commit
        }
    }

    /** Writes and fsyncs what the file still holds, then closes it. */
    @Override
    public void close() {
        disable();
    }
}
