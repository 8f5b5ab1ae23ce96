package org.inferis.persistence;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.inferis.command.CommandDispatcher;
import org.inferis.command.PendingReply;
import org.inferis.command.StoredExecutables;
import org.inferis.config.ServerConfig;
import org.inferis.keyspace.Keyspace;
import org.inferis.keyspace.StoredEntry;
import org.inferis.resp.ErrorReply;
import org.inferis.resp.Reply;
import org.inferis.resp.Request;
import org.inferis.server.ClientSession;
import org.inferis.server.ServerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshots and the append-only file: what is loaded at start-up, SAVE / BGSAVE / BGREWRITEAOF and the
 * {@code save} schedule, and the propagation of each change to the append-only file in keyspace order.
 *
 * <p>Propagation, as Redis's: a write command that changed something is logged as it came, unless it logged a
 * rewritten form (EXPIRE as PEXPIREAT); changes it caused for others (a blocked BRPOP served by its LPUSH) follow
 * it; changes that complete later (a model load, a run's outputs) are logged as their effect when they land.
 * The propagation methods are called holding the keyspace lock, which orders the log as the keyspace.
 */
public final class Persistence implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Persistence.class);
    /** After a failed scheduled save, as Redis's CONFIG_BGSAVE_RETRY_DELAY. */
    private static final long RETRY_DELAY_MILLIS = 5000;

    private final ServerContext server;
    private final ServerConfig config;
    private final Keyspace keyspace;
    private final ExecutorService background = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "inferis-save");
        thread.setDaemon(true);
        return thread;
    });
    private volatile AppendOnlyFile aof;
    /** Where the last append-only file's offsets ended: a new one counts on, so clients' awaited offsets hold. */
    private volatile long lastOffset;

    // guarded by the keyspace lock
    private boolean loading;
    private boolean inCommand;
    private Object[] commandRewrite;
    private final List<Object[]> afterCommand = new ArrayList<>();
    /** Changes logged since start (Redis's dirty counter); written under the keyspace lock, read anywhere. */
    private volatile long dirty;
    private volatile long dirtyAtLastSave;

    private final AtomicBoolean saving = new AtomicBoolean();
    private final AtomicBoolean rewriting = new AtomicBoolean();
    private volatile long lastSaveSeconds;
    private volatile long lastSaveAttemptMillis;
    private volatile boolean lastSaveOk = true;
    private volatile long lastSaveSecondsTaken = -1;
    private volatile boolean lastRewriteOk = true;

    public Persistence(ServerContext server) {
        this.server = server;
        this.config = server.config();
        this.keyspace = server.keyspace();
        this.lastSaveSeconds = keyspace.now() / 1000;
        config.onChange(this::configChanged);
    }

    // ---- propagation (callers hold the keyspace lock)

    public void commandStarted() {
        inCommand = true;
    }

    /** The running command is logged in this form instead of as it came (relative times made absolute, ...). */
    public void rewriteCommand(Object... args) {
        commandRewrite = args;
    }

    /** Logs a change: after the running command if there is one, else at once. */
    public void propagate(Object... args) {
        if (inCommand) {
            afterCommand.add(args);
        } else {
            log(args);
        }
    }

    /**
     * @param changed the command is a write that succeeded and has replied: it is logged as it came
     * @return the append-only file's offset after what the command logged, 0 when it logged nothing
     */
    public long commandEnded(Request request, boolean changed) {
        long before = dirty;
        inCommand = false;
        if (commandRewrite != null) {
            log(commandRewrite);
            commandRewrite = null;
        } else if (changed) {
            Object[] args = new Object[request.size()];
            for (int i = 0; i < args.length; i++) {
                args[i] = request.arg(i);
            }
            log(args);
        }
        if (!afterCommand.isEmpty()) {
            afterCommand.forEach(this::log);
            afterCommand.clear();
        }
        return dirty == before ? 0 : aofOffset();
    }

    private void log(Object[] args) {
        if (loading) {
            return;
        }
        dirty++;
        AppendOnlyFile file = aof;
        if (file != null) {
            file.append(args);
        }
    }

    // ---- durability of acknowledgements

    /** True when replies to writes must wait for the append-only file's fsync ({@code appendfsync always}). */
    public boolean syncsEveryWrite() {
        return aof != null && config.getString("appendfsync").equals("always");
    }

    public long aofOffset() {
        AppendOnlyFile file = aof;
        return file == null ? 0 : file.appendedOffset();
    }

    /** The offset after every change made so far, including one whose command still holds the keyspace lock. */
    public long aofOffsetAfterChanges() {
        if (aof == null) {
            return 0;
        }
        synchronized (keyspace) {
            return aofOffset();
        }
    }

    /** Why the append-only file cannot be written now, or null: while it is set, writes are refused (MISCONF). */
    public String appendOnlyWriteError() {
        AppendOnlyFile file = aof;
        return file == null ? null : file.failure();
    }

    /**
     * Hands the append-only file's bytes up to the offset to the OS, so a crash of this process cannot lose them;
     * false when the file cannot be written and the write must not be acknowledged.
     */
    public boolean writeOut(long offset) {
        AppendOnlyFile file = aof;
        return offset == 0 || file == null || file.writeOut(offset);
    }

    /** Completes once the append-only file is fsynced up to the offset; fails when it cannot be written. */
    public CompletableFuture<Void> durable(long offset) {
        AppendOnlyFile file = aof;
        return offset == 0 || file == null ? CompletableFuture.completedFuture(null) : file.durable(offset);
    }

    // ---- start-up

    /**
     * Loads the append-only file when {@code appendonly yes} and it exists, else the snapshot if there is one,
     * then opens the append-only file (made from what was loaded when it did not exist).
     *
     * @throws PersistenceException when a file is damaged or unreadable: the server must not serve a partial keyspace
     */
    public void load(CommandDispatcher dispatcher) throws PersistenceException {
        Path snapshot = snapshotPath();
        Path appendOnly = aofPath();
        boolean appendOnlyOn = config.getString("appendonly").equals("yes");
        boolean appendOnlyExists = Files.exists(appendOnly);
        Snapshots.removeTemporaries(snapshot.getParent());
        synchronized (keyspace) {
            loading = true;
            keyspace.pauseExpiry(true);
        }
        long start = System.nanoTime();
        try {
            if (appendOnlyOn && appendOnlyExists) {
                loadAppendOnly(appendOnly, dispatcher);
            } else if (Files.exists(snapshot)) {
                loadSnapshot(snapshot);
            }
        } finally {
            synchronized (keyspace) {
                loading = false;
                keyspace.pauseExpiry(false);
                dirty = 0;
                dirtyAtLastSave = 0;
            }
        }
        if (keyspace.size() > 0) {
            LOG.info("DB loaded from disk: {} keys in {} ms", keyspace.size(), (System.nanoTime() - start) / 1_000_000);
        }
        if (appendOnlyOn && appendOnlyExists) {
            try {
                aof = new AppendOnlyFile(appendOnly, fsyncPolicy(), server::fatal, lastOffset);
            } catch (IOException e) {
                throw new PersistenceException("Cannot open the append-only file " + appendOnly + ": " + e, e);
            }
        } else if (appendOnlyOn) {
            try {
                enableAppendOnly().join();
            } catch (CompletionException e) {
                throw new PersistenceException("Cannot create the append-only file " + appendOnly + ": "
                        + e.getCause().getMessage(), e.getCause());
            }
        }
    }

    private void loadSnapshot(Path file) throws PersistenceException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            SnapshotReader.read(file, channel, 0, executableLoader(), this::restore);
        } catch (IOException e) {
            throw new PersistenceException("Cannot read the snapshot " + file + ": " + e.getMessage(), e);
        }
    }

    private void restore(StoredEntry entry) {
        synchronized (keyspace) {
            if (entry.expireAt() != Keyspace.NO_EXPIRY && entry.expireAt() <= keyspace.now()) {
                entry.value().discarded();
                return;
            }
            keyspace.put(entry.key(), entry.value());
            if (entry.expireAt() != Keyspace.NO_EXPIRY) {
                keyspace.setExpireAt(entry.key(), entry.expireAt());
            }
        }
    }

    private void loadAppendOnly(Path file, CommandDispatcher dispatcher) throws PersistenceException {
        AofReader.Result result;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long start = 0;
            if (SnapshotReader.startsWithSnapshot(channel, 0)) {
                start = SnapshotReader.read(file, channel, 0, executableLoader(), this::restore);
            }
            ClientSession replayer = ClientSession.internal(server);
            result = AofReader.read(file, channel, start, (request, offset) -> replay(file, dispatcher, replayer,
                    request, offset));
        } catch (IOException e) {
            throw new PersistenceException("Cannot read the append-only file " + file + ": " + e.getMessage(), e);
        }
        if (result.torn()) {
            Path cut = file.resolveSibling(file.getFileName() + ".torn-" + keyspace.now());
            LOG.warn("!!! Warning: the append-only file {} ends in a write cut short by a crash; truncating it at offset"
                    + " {}, after {} whole commands; the cut bytes are kept in {} !!!", file, result.validEnd(),
                    result.commands(), cut);
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
                 FileChannel side = FileChannel.open(cut, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                channel.transferTo(result.validEnd(), channel.size() - result.validEnd(), side);
                side.force(true);
                channel.truncate(result.validEnd());
                channel.force(true);
            } catch (IOException e) {
                throw new PersistenceException("Cannot truncate the append-only file " + file + ": " + e.getMessage(), e);
            }
        }
    }

    private void replay(Path file, CommandDispatcher dispatcher, ClientSession replayer, Request request, long offset)
            throws PersistenceException {
        Reply reply = dispatcher.replay(replayer, request);
        if (reply == null) {
            throw new PersistenceException("Bad append-only file " + file + " at offset " + offset
                    + ": unknown command '" + request.string(0) + "'");
        }
        if (reply instanceof PendingReply pending) {
            reply = pending.future().join();
        }
        if (reply instanceof ErrorReply error) {
            throw new PersistenceException("Cannot load the append-only file " + file + ": the "
                    + request.string(0) + " at offset " + offset + " fails on replay: " + error.message());
        }
    }

    private ExecutableLoader executableLoader() {
        return new ExecutableLoader() {
            @Override
            public org.inferis.keyspace.Value model(org.inferis.keyspace.Key key, org.inferis.model.ModelOptions options,
                                                   byte[] blob) {
                return StoredExecutables.loadModel(server, key, options, blob).handle((model, error) -> {
                    if (error != null) {
                        throw new IllegalStateException(StoredExecutables.reason(error));
                    }
                    return model;
                }).join();
            }

            @Override
            public org.inferis.keyspace.Value script(org.inferis.keyspace.Key key, String device, String tag,
                                                    List<String> entryPoints, String source) {
                return StoredExecutables.loadScript(server, key, device, tag, entryPoints, source)
                        .handle((script, error) -> {
                            if (error != null) {
                                throw new IllegalStateException(StoredExecutables.reason(error));
                            }
                            return script;
                        }).join();
            }
        };
    }

    // ---- snapshots

    /** Snapshots the keyspace as it is now; the future ends once the file is on disk. */
    public CompletableFuture<Void> save() {
        if (!saving.compareAndSet(false, true)) {
            return CompletableFuture.failedFuture(new IllegalStateException("Background save already in progress"));
        }
        List<StoredEntry> entries;
        long dirtyAtStart;
        synchronized (keyspace) {
            entries = keyspace.entries();
            dirtyAtStart = dirty;
        }
        lastSaveAttemptMillis = keyspace.now();
        return CompletableFuture.runAsync(() -> writeSnapshot(entries, dirtyAtStart), background)
                .whenComplete((done, error) -> saving.set(false));
    }

    private void writeSnapshot(List<StoredEntry> entries, long dirtyAtStart) {
        long start = System.nanoTime();
        try {
            Snapshots.save(snapshotPath(), entries, keyspace.now());
        } catch (IOException | RuntimeException e) {
            lastSaveOk = false;
            LOG.error("Failed saving the snapshot {}: {}", snapshotPath(), e.toString());
            throw new CompletionException(e);
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        lastSaveOk = true;
        lastSaveSeconds = keyspace.now() / 1000;
        lastSaveSecondsTaken = millis / 1000;
        dirtyAtLastSave = dirtyAtStart;
        LOG.info("DB saved on disk: {} keys in {} ms ({})", entries.size(), millis, snapshotPath());
    }

    /** Saves now, after any save already running; false if it failed. */
    private boolean saveAndWait() {
        while (true) {
            CompletableFuture<Void> save = save();
            try {
                save.join();
                return true;
            } catch (CompletionException e) {
                if (!(e.getCause() instanceof IllegalStateException)) {
                    return false;
                }
                try {
                    Thread.sleep(50); // another save is running: save again after it, to include what came since
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
    }

    /** The {@code save <seconds> <changes> ...} schedule, checked by the server's cron once a second. */
    public void cronTick() {
        long now = keyspace.now();
        if (saving.get() || (!lastSaveOk && now - lastSaveAttemptMillis < RETRY_DELAY_MILLIS)) {
            return;
        }
        long changes = changesSinceLastSave();
        String[] points = config.getString("save").trim().split("\\s+");
        for (int i = 0; i + 1 < points.length; i += 2) {
            long seconds = Long.parseLong(points[i]);
            long wanted = Long.parseLong(points[i + 1]);
            if (changes >= wanted && now - lastSaveSeconds * 1000 >= seconds * 1000) {
                LOG.info("{} changes in {} seconds. Saving...", wanted, seconds);
                save();
                return;
            }
        }
    }

    // ---- the append-only file

    /**
     * Starts the append-only file from the keyspace as it is now: appends begin at once, and the file is replaced
     * by a snapshot of this moment followed by them when the future ends.
     */
    private CompletableFuture<Void> enableAppendOnly() {
        AppendOnlyFile file;
        synchronized (keyspace) {
            if (aof != null) {
                return CompletableFuture.completedFuture(null);
            }
            try {
                Files.deleteIfExists(aofPath());
                file = new AppendOnlyFile(aofPath(), fsyncPolicy(), server::fatal, lastOffset);
            } catch (IOException e) {
                return CompletableFuture.failedFuture(e);
            }
            aof = file;
        }
        return rewrite(file);
    }

    private void disableAppendOnly() {
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

    /** BGREWRITEAOF: compacts the append-only file to a snapshot of now plus the commands that come meanwhile. */
    public CompletableFuture<Void> rewriteAppendOnly() {
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
            Path temporary = Snapshots.temporaryBeside(aofPath());
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

    private AppendOnlyFile.Fsync fsyncPolicy() {
        return AppendOnlyFile.Fsync.valueOf(config.getString("appendfsync").toUpperCase(Locale.ROOT));
    }

    private void configChanged(String name, String value) {
        switch (name) {
            case "appendonly" -> {
                if (value.equals("yes")) {
                    enableAppendOnly().exceptionally(error -> {
                        LOG.error("Could not turn the append-only file on: {}", error.toString());
                        return null;
                    });
                } else {
                    disableAppendOnly();
                }
            }
            case "appendfsync" -> {
                AppendOnlyFile file = aof;
                if (file != null) {
                    file.fsync(fsyncPolicy());
                }
            }
            default -> {
            }
        }
    }

    // ---- shutdown

    /**
     * What must happen before the server stops, once no command changes the keyspace any more: the append-only
     * file written and fsynced, then a snapshot if asked, or by default when save points are set.
     *
     * @param save true for SHUTDOWN SAVE, false for NOSAVE, null for the default
     * @return false when that failed, and the server should keep running as Redis's does
     */
    public boolean prepareShutdown(Boolean save) {
        AppendOnlyFile file = aof;
        if (file != null && !file.flushAndSync()) {
            LOG.error("Could not write and fsync the append-only file {} before stopping", aofPath());
            return false;
        }
        if (!server.isReady()) {
            return true; // still loading: a snapshot now would be of a partial keyspace (Redis forces NOSAVE too)
        }
        boolean wanted = save != null ? save : !config.getString("save").isBlank();
        return !wanted || saveAndWait();
    }

    /** Writes and fsyncs what the append-only file still holds, and stops background work. */
    @Override
    public void close() {
        disableAppendOnly();
        background.shutdown();
        try {
            background.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- state, for INFO and LASTSAVE

    public long lastSaveSeconds() {
        return lastSaveSeconds;
    }

    public long changesSinceLastSave() {
        return dirty - dirtyAtLastSave;
    }

    /** INFO persistence, with Redis's field names. */
    public List<String[]> info() {
        AppendOnlyFile file = aof;
        List<String[]> fields = new ArrayList<>(List.of(
                field("rdb_changes_since_last_save", changesSinceLastSave()),
                field("rdb_bgsave_in_progress", saving.get() ? 1 : 0),
                field("rdb_last_save_time", lastSaveSeconds),
                field("rdb_last_bgsave_status", lastSaveOk ? "ok" : "err"),
                field("rdb_last_bgsave_time_sec", lastSaveSecondsTaken),
                field("aof_enabled", file != null ? 1 : 0),
                field("aof_rewrite_in_progress", rewriting.get() ? 1 : 0),
                field("aof_last_bgrewrite_status", lastRewriteOk ? "ok" : "err"),
                field("aof_last_write_status", file == null || file.failure() == null ? "ok" : "err")));
        if (file != null) {
            fields.add(field("aof_current_size", file.size()));
        }
        return fields;
    }

    private static String[] field(String name, Object value) {
        return new String[] {name, String.valueOf(value)};
    }

    private Path snapshotPath() {
        return Path.of(config.getString("dir")).resolve(config.getString("dbfilename"));
    }

    private Path aofPath() {
        return Path.of(config.getString("dir")).resolve(config.getString("appendfilename"));
    }
}
