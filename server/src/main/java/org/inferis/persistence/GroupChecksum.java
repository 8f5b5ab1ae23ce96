package org.inferis.persistence;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The record closing each group of commands in the append-only file: {@code #<crc32c as 8 hex digits> <length>\r\n},
 * the CRC-32C of the {@code length} bytes since the previous record. A record of length 0 ({@link #RESET}) starts
 * checksummed groups where an older file had none. It lets loading tell a byte changed anywhere in a logged value
 * (refused) from a write cut short by a crash (the last group, without its record: truncated).
 */
final class GroupChecksum {
    static final byte MARKER = '#';
    /** A record covering nothing: what follows it is checksummed. Read-only; callers take duplicates. */
    static final ByteBuffer RESET = ByteBuffer.wrap(line(0, 0)).asReadOnlyBuffer();

    private GroupChecksum() {
    }

    /** The record for the bytes remaining in the buffer (which it consumes). */
    static ByteBuffer record(ByteBuffer group) {
        int length = group.remaining();
        CRC32C crc = new CRC32C();
        crc.update(group);
        return ByteBuffer.wrap(line(crc.getValue(), length));
    }

    private static byte[] line(long crc, long length) {
        return String.format("#%08x %d\r\n", crc, length).getBytes(StandardCharsets.US_ASCII);
    }
}
