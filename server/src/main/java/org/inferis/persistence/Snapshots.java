package org.inferis.persistence;

import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.inferis.keyspace.StoredEntry;
import org.slf4j.LoggerFactory;

/** Snapshot files on disk: written whole to a temporary file, fsynced, then renamed over the old one. */
final class Snapshots {
    private static final AtomicLong TEMPORARIES = new AtomicLong();

    private Snapshots() {
    }

    /** Replaces the target with a snapshot of the entries; the old file stays whole if anything fails. */
    static void save(Path target, List<StoredEntry> entries, long createdAt) throws IOException {
        Path temporary = temporaryBeside(target);
        try (FileChannel ignored = writeTemporary(temporary, entries, createdAt)) {
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temporary);
        }
        syncDirectory(target);
    }

    /**
     * Removes what saves and rewrites killed midway left in the directory (as large as a snapshot each); called at
     * start-up, before this process writes any.
     */
    static void removeTemporaries(Path dir) {
        try (var files = Files.newDirectoryStream(dir, "temp-*-*-*")) {
            for (Path file : files) {
                Files.deleteIfExists(file);
                LoggerFactory.getLogger(Snapshots.class).info("Removed {}, left by a save that did not finish", file);
            }
        } catch (IOException e) {
            LoggerFactory.getLogger(Snapshots.class).warn("Could not look for unfinished saves in {}: {}", dir,
                    e.toString());
        }
    }

    /** A new file name in the target's directory, as Redis's temp-&lt;pid&gt;.rdb. */
    static Path temporaryBeside(Path target) {
        return target.resolveSibling("temp-" + ProcessHandle.current().pid() + "-" + TEMPORARIES.incrementAndGet()
                + "-" + target.getFileName());
    }

    /** Writes a snapshot to a new file and returns it fsynced and open for appending; on failure the file is gone. */
    static FileChannel writeTemporary(Path temporary, List<StoredEntry> entries, long createdAt) throws IOException {
        FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE, StandardOpenOption.READ);
        try {
            SnapshotWriter.write(Channels.newOutputStream(channel), entries, createdAt);
            channel.force(true);
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            Files.deleteIfExists(temporary);
            throw e;
        }
    }

    /** Makes a rename in the file's directory durable. */
    static void syncDirectory(Path file) {
        try (FileChannel directory = FileChannel.open(file.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
            directory.force(true);
        } catch (IOException e) {
            // some file systems cannot sync a directory; the rename itself has happened
        }
    }
}
