package org.inferis.persistence;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import org.inferis.resp.Request;

/**
 * Reads the RESP commands of an append-only file from an offset. Since checksums came in, commands stand in groups,
 * each closed by its {@link GroupChecksum} record: a group's commands reach the sink only once its record matches,
 * so a changed byte anywhere is refused before anything of its group is replayed. What fails in the last group
 * (no record follows it: a write cut short by a crash) is a torn tail: reading stops at the last whole group and
 * reports where. Anything else that is not as written is damage, reported with its offset. Files written before
 * checksums are read command by command, and only a command cut short by the end of the file is torn there.
 */
final class AofReader {
    /** Receives each command with the offset it starts at; the request is released after. */
    interface Sink {
        void command(Request request, long offset) throws PersistenceException;
    }

    /** @param validEnd the offset after the last whole command or group; {@code torn} when bytes after it were cut */
    record Result(long commands, long validEnd, boolean torn) {
    }

    private static final class Torn extends Exception {
        Torn() {
            super(null, null, false, false);
        }
    }

    private record Parsed(Request request, long offset) {
    }

    private static final Pattern RECORD = Pattern.compile("\\r\\n#[0-9a-f]{8} [0-9]{1,19}\\r\\n");

    private final Path file;
    private final InputStream in;
    private final long end;
    private long offset;
    /** CRC-32C and count of the bytes read since the last checksum record. */
    private final CRC32C crc = new CRC32C();
    private long covered;

    private AofReader(Path file, InputStream in, long start, long end) {
        this.file = file;
        this.in = in;
        this.offset = start;
        this.end = end;
    }

    static Result read(Path file, FileChannel channel, long start, Sink sink) throws PersistenceException {
        try {
            channel.position(start);
            AofReader reader = new AofReader(file, new BufferedInputStream(Channels.newInputStream(channel), 1 << 20),
                    start, channel.size());
            return reader.readAll(sink);
        } catch (IOException e) {
            throw new PersistenceException("Cannot read the append-only file " + file + ": " + e.getMessage(), e);
        }
    }

    private Result readAll(Sink sink) throws IOException, PersistenceException {
        long commands = 0;
        boolean checksummed = false;
        List<Parsed> group = new ArrayList<>();
        long validEnd = offset;
        long failedAt = -1;
        PersistenceException damage = null;
        LoadProgress progress = new LoadProgress("append-only file " + file, "commands", end);
        try {
            while (true) {
                progress.at(offset, commands);
                long start = offset;
                int first = in.read();
                if (first < 0) {
                    break;
                }
                offset++;
                if (first == GroupChecksum.MARKER) {
                    verify(start, checksummed, group, crc.getValue(), covered);
                    checksummed = true;
                    for (Parsed parsed : group) {
                        replay(sink, parsed);
                    }
                    commands += group.size();
                    group.clear();
                    crc.reset();
                    covered = 0;
                    validEnd = offset;
                    continue;
                }
                counted(first);
                Request request = command(first, start);
                if (checksummed) {
                    group.add(new Parsed(request, start));
                } else {
                    replay(sink, new Parsed(request, start));
                    commands++;
                    validEnd = offset;
                }
            }
        } catch (Torn e) {
            failedAt = offset;
        } catch (PersistenceException e) {
            if (!checksummed) {
                throw e; // an older file: only a cut is torn, as before
            }
            damage = e;
            failedAt = offset;
        } finally {
            group.forEach(parsed -> parsed.request().release());
        }
        if (failedAt < 0 && group.isEmpty()) {
            return new Result(commands, validEnd, false);
        }
        // the last group failed or has no record: torn, unless a whole record follows (then it is damage)
        if (failedAt >= 0 && recordFollows(failedAt)) {
            throw damage != null ? damage : damaged(failedAt, "a command is cut short, yet checksummed commands follow");
        }
        return new Result(commands, validEnd, true);
    }

    private static void replay(Sink sink, Parsed parsed) throws PersistenceException {
        try {
            sink.command(parsed.request(), parsed.offset());
        } finally {
            parsed.request().release();
        }
    }

    /** Reads a checksum record after its marker and checks it against the group read since the last one. */
    private void verify(long start, boolean checksummed, List<Parsed> group, long groupCrc, long groupLength)
            throws IOException, PersistenceException, Torn {
        long value = 0;
        for (int i = 0; i < 8; i++) {
            int digit = Character.digit(next(), 16);
            if (digit < 0) {
                throw damaged(start, "a malformed checksum record");
            }
            value = value << 4 | digit;
        }
        if (next() != ' ') {
            throw damaged(start, "a malformed checksum record");
        }
        long length = number(start);
        if (length == 0) {
            if (!group.isEmpty()) {
                throw damaged(group.get(0).offset(), "commands that no checksum covers");
            }
            return;
        }
        long groupStart = group.isEmpty() ? start : group.get(0).offset();
        if (!checksummed || length != groupLength || value != groupCrc) {
            throw damaged(groupStart, "the " + (start - groupStart) + " bytes of commands before offset " + start
                    + " do not match their checksum (changed on disk)");
        }
    }

    /** Whether a whole checksum record stands somewhere after the offset: then what failed before it is damage. */
    private boolean recordFollows(long from) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long start = Math.max(0, from - 2);
            ByteBuffer rest = ByteBuffer.allocate((int) Math.min(channel.size() - start, 64L << 20));
            channel.read(rest, start);
            String text = new String(rest.array(), 0, rest.position(), StandardCharsets.ISO_8859_1);
            return RECORD.matcher(text).find();
        }
    }

    private Request command(int first, long commandStart) throws IOException, PersistenceException, Torn {
        if (first != '*') {
            throw damaged(commandStart, "expected '*' starting a command, found byte " + first);
        }
        long count = number(commandStart);
        if (count < 1 || count > 1024 * 1024) {
            throw damaged(commandStart, "a command of " + count + " arguments");
        }
        ByteBuf[] args = new ByteBuf[(int) count];
        try {
            for (int i = 0; i < count; i++) {
                long argStart = offset;
                if (next() != '$') {
                    throw damaged(argStart, "expected '$' starting an argument");
                }
                long length = number(argStart);
                if (length < 0 || length > Integer.MAX_VALUE - 8) {
                    throw damaged(argStart, "an argument length of " + length);
                }
                if (length + 2 > end - offset) {
                    throw new Torn();
                }
                byte[] bytes = new byte[(int) length];
                readFully(bytes);
                args[i] = Unpooled.wrappedBuffer(bytes);
                if (next() != '\r' || next() != '\n') {
                    throw damaged(offset - 2, "an argument does not end where its length says");
                }
            }
        } catch (PersistenceException | Torn | IOException | RuntimeException e) {
            for (ByteBuf arg : args) {
                if (arg != null) {
                    arg.release();
                }
            }
            throw e;
        }
        return new Request(args);
    }

    /** Digits up to CRLF. */
    private long number(long at) throws IOException, PersistenceException, Torn {
        long value = 0;
        int digits = 0;
        for (int c = next(); c != '\r'; c = next()) {
            if (c < '0' || c > '9' || ++digits > 18) {
                throw damaged(at, "a malformed length");
            }
            value = value * 10 + (c - '0');
        }
        if (next() != '\n' || digits == 0) {
            throw damaged(at, "a malformed length");
        }
        return value;
    }

    private int next() throws IOException, Torn {
        int c = in.read();
        if (c < 0) {
            throw new Torn();
        }
        offset++;
        counted(c);
        return c;
    }

    private void counted(int c) {
        crc.update(c);
        covered++;
    }

    private void readFully(byte[] bytes) throws IOException, Torn {
        int done = 0;
        while (done < bytes.length) {
            int n = in.read(bytes, done, bytes.length - done);
            if (n < 0) {
                throw new Torn();
            }
            crc.update(bytes, done, n);
            covered += n;
            done += n;
            offset += n;
        }
    }

    private PersistenceException damaged(long at, String why) {
        return new PersistenceException("Bad append-only file " + file + " at offset " + at + ": " + why
                + ". Refusing to start rather than serve data that differs from what was acknowledged.");
    }
}
