package org.inferis.persistence;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.inferis.config.ServerConfig;
import org.inferis.keyspace.Keyspace;
import org.inferis.keyspace.StoredEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshots and the append-only file: SAVE / BGSAVE and the {@code save} schedule here; propagation of changes in
 * {@link ChangeLog}, the append-only file's lifecycle and durability in {@link AppendOnly}, loading at start-up in
 * {@link StartupLoader}. Depends on the server only through {@link Replayer} and {@link ExecutableLoader}.
 */
public final class Persistence implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Persistence.class);
    /** After a failed scheduled save, as Redis's CONFIG_BGSAVE_RETRY_DELAY. */
    private static final long RETRY_DELAY_MILLIS = 5000;

    private final ServerConfig config;
    private final Keyspace keyspace;
    private final BooleanSupplier ready;
    private final ExecutorService background = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "inferis-save");
        thread.setDaemon(true);
        return thread;
    });
    private final AppendOnly appendOnly;
    private final ChangeLog changes;
    private final StartupLoader loader;

    private volatile long dirtyAtLastSave;
    private final AtomicBoolean saving = new AtomicBoolean();
    private volatile long lastSaveSeconds;
    private volatile long lastSaveAttemptMillis;
    private volatile boolean lastSaveOk = true;
    private volatile long lastSaveSecondsTaken = -1;

    /**
     * @param ready whether the server has loaded (a snapshot before that would be of a partial keyspace)
     * @param fatal told when the server must exit rather than acknowledge what it cannot keep
     */
    public Persistence(ServerConfig config, Keyspace keyspace, ExecutableLoader executables, BooleanSupplier ready,
                       Consumer<String> fatal) {
        this.config = config;
        this.keyspace = keyspace;
        this.ready = ready;
        this.appendOnly = new AppendOnly(config, keyspace, background, fatal);
        this.changes = new ChangeLog(appendOnly);
        this.loader = new StartupLoader(config, keyspace, executables, changes, appendOnly);
        this.lastSaveSeconds = keyspace.now() / 1000;
        config.onChange(appendOnly::configChanged);
    }

    /** Where changes are logged: callers hold the keyspace lock. */
    public ChangeLog changes() {
        return changes;
    }

    public AppendOnly appendOnly() {
        return appendOnly;
    }

    /**
     * Loads what is on disk (see {@link StartupLoader}); commands of the append-only file run through the replayer,
     * then {@code afterFiles}, whose changes are not logged.
     */
    public void load(Replayer replayer, Runnable afterFiles) throws PersistenceException {
        loader.load(snapshotPath(), replayer, afterFiles);
        dirtyAtLastSave = 0;
    }

    // ---- snapshots

    /**
     * Snapshots the keyspace as it is now; the future ends once the file is on disk. The save is claimed with the
     * keyspace locked: claimed before, the cron's save could wait for the lock that a stop holds while it waits for
     * that save to end.
     */
    public CompletableFuture<Void> save() {
        List<StoredEntry> entries;
        long dirtyAtStart;
        synchronized (keyspace) {
            if (!saving.compareAndSet(false, true)) {
                return CompletableFuture.failedFuture(new IllegalStateException("Background save already in progress"));
            }
            entries = keyspace.entries();
            dirtyAtStart = changes.dirty();
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

    // ---- shutdown

    /**
     * What must happen before the server stops, once no command changes the keyspace any more: the append-only
     * file written and fsynced, then a snapshot if asked, or by default when save points are set.
     *
     * @param save true for SHUTDOWN SAVE, false for NOSAVE, null for the default
     * @return false when that failed, and the server should keep running as Redis's does
     */
    public boolean prepareShutdown(Boolean save) {
        if (!appendOnly.flushAndSync()) {
            LOG.error("Could not write and fsync the append-only file {} before stopping", appendOnly.path());
            return false;
        }
        if (!ready.getAsBoolean()) {
            return true; // still loading: a snapshot now would be of a partial keyspace (Redis forces NOSAVE too)
        }
        boolean wanted = save != null ? save : !config.getString("save").isBlank();
        return !wanted || saveAndWait();
    }

    /** Writes and fsyncs what the append-only file still holds, and stops background work. */
    @Override
    public void close() {
        appendOnly.close();
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
        return changes.dirty() - dirtyAtLastSave;
    }

    /** INFO persistence, with Redis's field names. */
    public List<String[]> info() {
        List<String[]> fields = new ArrayList<>(List.of(
                field("rdb_changes_since_last_save", changesSinceLastSave()),
                field("rdb_bgsave_in_progress", saving.get() ? 1 : 0),
                field("rdb_last_save_time", lastSaveSeconds),
                field("rdb_last_bgsave_status", lastSaveOk ? "ok" : "err"),
                field("rdb_last_bgsave_time_sec", lastSaveSecondsTaken)));
        appendOnly.info(fields);
        return fields;
    }

    static String[] field(String name, Object value) {
        return new String[] {name, String.valueOf(value)};
    }

    private Path snapshotPath() {
        return Path.of(config.getString("dir")).resolve(config.getString("dbfilename"));
    }
}
