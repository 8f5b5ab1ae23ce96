package org.inferis.backend.torch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Reads entries of a zip held in memory through its central directory. PyTorch writes STORED entries
 * with data descriptors, which {@code ZipInputStream} refuses, and {@code ZipFile} needs a file.
 */
final class ArchiveEntries {
    private static final int END_OF_DIRECTORY = 0x06054b50;
    private static final int DIRECTORY_ENTRY = 0x02014b50;
    private static final int LOCAL_HEADER = 0x04034b50;
    private static final int STORED = 0;
    private static final int DEFLATED = 8;
    /** Code files are small; a larger declared size is not inflated. */
    private static final long MAX_INFLATED = 16 << 20;

    private ArchiveEntries() {
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
        int end = zip.length - 22;
        while (end >= 0 && in.getInt(end) != END_OF_DIRECTORY) {
            end--;
        }
        if (end < 0) {
            return;
        }
        int count = in.getShort(end + 10) & 0xffff;
        int position = in.getInt(end + 16);
        for (int i = 0; i < count && position >= 0 && position + 46 <= zip.length; i++) {
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
