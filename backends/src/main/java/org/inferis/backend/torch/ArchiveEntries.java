package org.inferis.backend.torch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.inferis.backend.BackendException;

/**
 * Reads entries of a zip held in memory through its central directory, found as libtorch's zip reader (miniz) finds
 * it, so that a check reads the files libtorch will. PyTorch writes STORED entries with data descriptors, which
 * {@code ZipInputStream} refuses, and {@code ZipFile} needs a file.
 */
final class ArchiveEntries {
    private static final int END_OF_DIRECTORY = 0x06054b50;
    private static final int DIRECTORY_ENTRY = 0x02014b50;
    private static final int LOCAL_HEADER = 0x04034b50;
    private static final int ZIP64_LOCATOR = 0x07064b50;
    private static final int ZIP64_END_OF_DIRECTORY = 0x06064b50;
    private static final int ZIP64_END_SIZE = 56;
    private static final int STORED = 0;
    private static final int DEFLATED = 8;
    /** Code files are small; a larger declared size is not inflated. */
    private static final long MAX_INFLATED = 16 << 20;

    private ArchiveEntries() {
    }

    /**
     * Whether libtorch would compile the entry: code files end in {@code .py}, and miniz looks names up without
     * regard to ASCII case.
     */
    static boolean isCode(String name) {
        return name.regionMatches(true, name.length() - 3, ".py", 0, 3);
    }

    /** Whether libtorch would unpickle the entry (data.pkl, constants.pkl), by the same lookup. */
    static boolean isPickle(String name) {
        return name.regionMatches(true, name.length() - 4, ".pkl", 0, 4);
    }

    /** The archive's code files as text; refused when one cannot be read, or none can be found. */
    static Map<String, String> code(byte[] archive) throws BackendException {
        Map<String, String> code = new LinkedHashMap<>();
        readable(archive, ArchiveEntries::isCode).forEach((name, content) ->
                code.put(name, new String(content, StandardCharsets.UTF_8)));
        if (code.isEmpty() && endOfDirectory(archive) >= 0) { // every module has code: this directory was not read
            throw new BackendException("could not load TORCH model: the archive's code files cannot be read");
        }
        return code;
    }

    /** The entries the predicate accepts; refused when one the central directory names cannot be read. */
    static Map<String, byte[]> readable(byte[] archive, java.util.function.Predicate<String> wanted)
            throws BackendException {
        Map<String, byte[]> files = entries(archive, wanted);
        if (count(archive, wanted) != files.size()) {
            throw new BackendException("could not load TORCH model: a file in the archive cannot be read");
        }
        return files;
    }

    /** Entry name to content for the entries the predicate accepts; empty when the bytes are no zip. */
    static Map<String, byte[]> entries(byte[] zip, java.util.function.Predicate<String> wanted) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        walk(zip, (name, content) -> {
            if (content != null && wanted.test(name)) {
                entries.put(name, content);
            }
        }, wanted);
        return entries;
    }

    /** How many entries the central directory names that the predicate accepts, readable or not. */
    static int count(byte[] zip, java.util.function.Predicate<String> wanted) {
        int[] count = {0};
        walk(zip, (name, content) -> {
            if (wanted.test(name)) {
                count[0]++;
            }
        }, name -> false);
        return count[0];
    }

    /** Calls {@code visit} for each entry of the central directory, with its content where {@code read} wants it. */
    private static void walk(byte[] zip, java.util.function.BiConsumer<String, byte[]> visit,
                             java.util.function.Predicate<String> read) {
        ByteBuffer in = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        int end = endOfDirectory(zip);
        if (end < 0) {
            return;
        }
        long count = in.getShort(end + 10) & 0xffff;
        long directory = in.getInt(end + 16) & 0xffffffffL;
        // miniz takes the count and offset from a zip64 record whenever its locator precedes the end record, whatever
        // the end record says: so must a check, or an archive could show it one directory and libtorch another
        if (end >= 20 + ZIP64_END_SIZE && in.getInt(end - 20) == ZIP64_LOCATOR) {
            long zip64End = in.getLong(end - 12);
            if (zip64End < 0 || zip64End > zip.length - ZIP64_END_SIZE) {
                return; // miniz refuses the archive
            }
            if (in.getInt((int) zip64End) == ZIP64_END_OF_DIRECTORY) {
                count = in.getLong((int) zip64End + 32);
                directory = in.getLong((int) zip64End + 48);
            }
        }
        if (directory < 0 || directory > zip.length) {
            return;
        }
        int position = (int) directory;
        for (long i = 0; i < count && position + 46 <= zip.length; i++) {
            if (in.getInt(position) != DIRECTORY_ENTRY) {
                break;
            }
            int method = in.getShort(position + 10) & 0xffff;
            long size = in.getInt(position + 20) & 0xffffffffL;
            long uncompressedSize = in.getInt(position + 24) & 0xffffffffL;
            int nameLength = in.getShort(position + 28) & 0xffff;
            int extraLength = in.getShort(position + 30) & 0xffff;
            int commentLength = in.getShort(position + 32) & 0xffff;
            long local = in.getInt(position + 42) & 0xffffffffL;
            if (position + 46L + nameLength > zip.length) {
                break;
            }
            String name = new String(zip, position + 46, nameLength, StandardCharsets.UTF_8);
            position += 46 + nameLength + extraLength + commentLength;
            byte[] content = null;
            boolean readable = method == STORED || (method == DEFLATED && uncompressedSize < MAX_INFLATED);
            if (readable && read.test(name) && local + 30 <= zip.length && in.getInt((int) local) == LOCAL_HEADER) {
                long data = local + 30 + (in.getShort((int) local + 26) & 0xffff)
                        + (in.getShort((int) local + 28) & 0xffff);
                if (data + size <= zip.length) {
                    content = method == STORED
                            ? java.util.Arrays.copyOfRange(zip, (int) data, (int) (data + size))
                            : inflate(zip, (int) data, (int) size, (int) uncompressedSize);
                }
            }
            visit.accept(name, content);
        }
    }

    /** Where the last end-of-directory record starts, as miniz looks for it; -1 when there is none. */
    private static int endOfDirectory(byte[] zip) {
        ByteBuffer in = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        int end = zip.length - 22;
        while (end >= 0 && in.getInt(end) != END_OF_DIRECTORY) {
            end--;
        }
        return end;
    }

    private static byte[] inflate(byte[] zip, int offset, int length, int uncompressedSize) {
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(zip, offset, length);
            byte[] out = new byte[uncompressedSize];
            int total = 0;
            while (total < out.length && !inflater.finished()) {
                int n = inflater.inflate(out, total, out.length - total);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    return null;
                }
                total += n;
            }
            return total == out.length ? out : null;
        } catch (DataFormatException e) {
            return null;
        } finally {
            inflater.end();
        }
    }
}
