package org.inferis.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The append-only file on its own: when bytes reach the OS and the disk, and how damage is told from a torn write. */
class AppendOnlyFileTest {
    @TempDir
    Path dir;

    private AppendOnlyFile open(AppendOnlyFile.Fsync fsync) throws Exception {
        return new AppendOnlyFile(dir.resolve("test.aof"), fsync, reason -> {
            throw new AssertionError("fatal: " + reason);
        }, 0);
    }

    private static List<Object[]> set(int i) {
        return List.<Object[]>of(new Object[] {"SET", "key:" + i, "value:" + i});
    }

    private String content() throws Exception {
        return Files.readString(dir.resolve("test.aof"), StandardCharsets.ISO_8859_1);
    }

    @Test
    void writeOutHandsTheBytesToTheOsBeforeAnyFsync() throws Exception {
        try (AppendOnlyFile file = open(AppendOnlyFile.Fsync.EVERYSEC)) {
            file.append(set(1));
            assertTrue(!content().contains("key:1"), "appends stay in memory until written out");
            assertTrue(file.writeOut(file.appendedOffset()));
            assertTrue(content().contains("key:1"), "readable by another process once written out");
            assertEquals(0, file.fsyncs(), "no fsync was needed for that");
        }
    }

    @Test
    void writesThatArriveTogetherShareOneFsync() throws Exception {
        try (AppendOnlyFile file = open(AppendOnlyFile.Fsync.ALWAYS)) {
            for (int i = 0; i < 100; i++) {
                file.append(set(i));
            }
            file.durable(file.appendedOffset()).get(30, TimeUnit.SECONDS);
            // an fsync takes milliseconds, an append microseconds: the writer catches a few rounds at most
            assertTrue(file.fsyncs() <= 10, "the hundred writes shared " + file.fsyncs() + " fsyncs");
            assertTrue(file.durable(file.appendedOffset()).isDone(), "already durable: nothing more to wait for");
        }
    }

    @Test
    void aFailedFsyncIsNeverReportedDurable() throws Exception {
        java.util.concurrent.atomic.AtomicReference<String> fatal = new java.util.concurrent.atomic.AtomicReference<>();
        try (AppendOnlyFile file = new AppendOnlyFile(dir.resolve("test.aof"), AppendOnlyFile.Fsync.ALWAYS, fatal::set,
                0, path -> new FailingFsync(FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE)))) {
            file.append(set(1));
            var durable = file.durable(file.appendedOffset());
            assertThrows(java.util.concurrent.ExecutionException.class, () -> durable.get(30, TimeUnit.SECONDS),
                    "the reply waiting on it is refused, not acknowledged");
            assertTrue(fatal.get().contains("fsync error") && fatal.get().contains("Input/output error"), fatal.get());
            var later = file.durable(file.appendedOffset());
            assertTrue(!later.isDone() || later.isCompletedExceptionally(), "no later wait is told it is durable");
        }
    }

    @Test
    void aFailedFsyncUnderEverysecRefusesWritesUntilOneWorks() throws Exception {
        try (AppendOnlyFile file = new AppendOnlyFile(dir.resolve("test.aof"), AppendOnlyFile.Fsync.EVERYSEC,
                reason -> {
                    throw new AssertionError("everysec does not exit: " + reason);
                }, 0, path -> new FailingFsync(FileChannel.open(path, StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE)))) {
            file.append(set(1));
            assertTrue(file.writeOut(file.appendedOffset()));
            assertFalse(file.flushAndSync(), "the fsync failed");
            assertEquals("Input/output error", file.failure(), "writes get MISCONF meanwhile");
        }
    }

    @Test
    void commandsComeBackGroupByGroup() throws Exception {
        writeGroups(3);
        assertEquals(List.of("key:0", "key:1", "key:2"), replay(dir.resolve("test.aof")));
    }

    @Test
    void aChangedByteInAnEarlierGroupIsDamageNamingItsOffset() throws Exception {
        writeGroups(3);
        Path path = dir.resolve("test.aof");
        String text = content();
        int changed = text.indexOf("value:1") + "value:".length();
        byte[] bytes = Files.readAllBytes(path);
        bytes[changed] = '7';
        Files.write(path, bytes);
        PersistenceException damage = assertThrows(PersistenceException.class, () -> replay(path));
        int group = text.lastIndexOf("*3", changed);
        assertTrue(damage.getMessage().contains("at offset " + group) && damage.getMessage().contains("checksum"),
                damage.getMessage());
    }

    @Test
    void aGroupCutShortAtTheEndIsTornAndEndsAtTheLastWholeGroup() throws Exception {
        writeGroups(3);
        Path path = dir.resolve("test.aof");
        String text = content();
        int lastGroup = text.lastIndexOf("*3");
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE)) {
            channel.truncate(lastGroup + 10);
        }
        List<String> keys = new ArrayList<>();
        AofReader.Result result;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            result = AofReader.read(path, channel, 0, (request, offset) -> keys.add(request.string(1)));
        }
        assertTrue(result.torn());
        assertEquals(lastGroup, result.validEnd());
        assertEquals(List.of("key:0", "key:1"), keys, "the torn group's command is not replayed");
    }

    /** Writes commands as separate groups, each written out (and so closed by its checksum record) on its own. */
    private void writeGroups(int count) throws Exception {
        try (AppendOnlyFile file = open(AppendOnlyFile.Fsync.NO)) {
            for (int i = 0; i < count; i++) {
                file.append(set(i));
                assertTrue(file.writeOut(file.appendedOffset()));
            }
        }
    }

    private static List<String> replay(Path path) throws Exception {
        List<String> keys = new ArrayList<>();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            AofReader.Result result = AofReader.read(path, channel, 0, (request, offset) -> keys.add(request.string(1)));
            assertTrue(!result.torn());
        }
        return keys;
    }
}
