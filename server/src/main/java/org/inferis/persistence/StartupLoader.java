package org.inferis.persistence;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletionException;
import org.inferis.config.ServerConfig;
import org.inferis.keyspace.Keyspace;
import org.inferis.keyspace.StoredEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What start-up loads: the append-only file when {@code appendonly yes} and it exists, else the snapshot if there is
 * one; then the append-only file is opened (made from what was loaded when it did not exist). A torn last write is
 * cut off and kept aside; any other damage stops start-up.
 */
final class StartupLoader {
    private static final Logger LOG = LoggerFactory.getLogger(StartupLoader.class);

    private final ServerConfig config;
    private final Keyspace keyspace;
    private final ExecutableLoader executables;
    private final ChangeLog changes;
    private final AppendOnly appendOnly;

    StartupLoader(ServerConfig config, Keyspace keyspace, ExecutableLoader executables, ChangeLog changes,
                  AppendOnly appendOnly) {
        this.config = config;
        this.keyspace = keyspace;
        this.executables = executables;
        this.changes = changes;
        this.appendOnly = appendOnly;
    }

    /**
     * @param afterFiles run once the files are loaded, while changes are still not logged (models loaded from files
     *                   named in the configuration: they are not the keyspace's data)
     * @throws PersistenceException when a file is damaged or unreadable: the server must not serve a partial keyspace
     */
    void load(Path snapshot, Replayer replayer, Runnable afterFiles) throws PersistenceException {
        Path appendOnlyPath = appendOnly.path();
        boolean appendOnlyOn = config.getString("appendonly").equals("yes");
        boolean appendOnlyExists = Files.exists(appendOnlyPath);
        Snapshots.removeTemporaries(snapshot.getParent());
        synchronized (keyspace) {
            changes.loading(true);
            keyspace.pauseExpiry(true);
        }
        long start = System.nanoTime();
        try {
            if (appendOnlyOn && appendOnlyExists) {
                loadAppendOnly(appendOnlyPath, replayer);
            } else if (Files.exists(snapshot)) {
                loadSnapshot(snapshot);
            }
            afterFiles.run();
        } finally {
            synchronized (keyspace) {
                changes.loading(false);
                keyspace.pauseExpiry(false);
            }
        }
        if (keyspace.size() > 0) {
            LOG.info("DB loaded from disk: {} keys in {} ms", keyspace.size(), (System.nanoTime() - start) / 1_000_000);
        }
        if (appendOnlyOn && appendOnlyExists) {
            try {
                appendOnly.open();
            } catch (IOException e) {
                throw new PersistenceException("Cannot open the append-only file " + appendOnlyPath + ": " + e, e);
            }
        } else if (appendOnlyOn) {
            try {
                appendOnly.enable().join();
            } catch (CompletionException e) {
                throw new PersistenceException("Cannot create the append-only file " + appendOnlyPath + ": "
                        + e.getCause().getMessage(), e.getCause());
            }
        }
    }

    private void loadSnapshot(Path file) throws PersistenceException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            SnapshotReader.read(file, channel, 0, executables, this::restore);
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

    private void loadAppendOnly(Path file, Replayer replayer) throws PersistenceException {
        AofReader.Result result;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long start = 0;
            if (SnapshotReader.startsWithSnapshot(channel, 0)) {
                start = SnapshotReader.read(file, channel, 0, executables, this::restore);
            }
            result = AofReader.read(file, channel, start, (request, offset) -> {
                String failure = replayer.replay(request);
                if (failure != null) {
                    throw new PersistenceException("Cannot load the append-only file " + file + ": the "
                            + request.string(0) + " at offset " + offset + " fails on replay: " + failure);
                }
            });
        } catch (IOException e) {
            throw new PersistenceException("Cannot read the append-only file " + file + ": " + e.getMessage(), e);
        }
        if (result.torn()) {
            truncateTornTail(file, result);
        }
    }

    private void truncateTornTail(Path file, AofReader.Result result) throws PersistenceException {
        Path cut = file.resolveSibling(file.getFileName() + ".torn-" + keyspace.now());
        LOG.warn("!!! Warning: the append-only file {} ends in a write cut short by a crash; truncating it at offset {},"
                + " after {} whole commands; the cut bytes are kept in {} !!!", file, result.validEnd(),
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
