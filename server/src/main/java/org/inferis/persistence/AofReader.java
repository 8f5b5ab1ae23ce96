package org.inferis.persistence;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.inferis.resp.Request;

/**
 * Reads the RESP commands of an append-only file from an offset. A command cut short by the end of the file is a
 * torn last write (a crash mid-append): reading stops before it and reports where. Anything else that is not a
 * well-formed command is damage, reported with its offset.
 */
final class AofReader {
    /** Receives each command with the offset it starts at; the request is released after. */
    interface Sink {
        void command(Request request, long offset) throws PersistenceException;
    }

    /** @param validEnd the offset after the last whole command; {@code torn} when bytes after it were cut short */
    record Result(long commands, long validEnd, boolean torn) {
    }

    private static final class Torn extends Exception {
        Torn() {
            super(null, null, false, false);
        }
    }

    private final Path file;
    private final InputStream in;
    private final long end;
    private long offset;

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
        while (true) {
            long commandStart = offset;
            int first = in.read();
            if (first < 0) {
                return new Result(commands, commandStart, false);
            }
            offset++;
            Request request;
            try {
                request = command(first, commandStart);
            } catch (Torn e) {
                return new Result(commands, commandStart, true);
            }
            try {
                sink.command(request, commandStart);
            } finally {
                request.release();
            }
            commands++;
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
        return c;
    }

    private void readFully(byte[] bytes) throws IOException, Torn {
        int done = 0;
        while (done < bytes.length) {
            int n = in.read(bytes, done, bytes.length - done);
            if (n < 0) {
                throw new Torn();
            }
            done += n;
            offset += n;
        }
    }

    private PersistenceException damaged(long at, String why) {
        return new PersistenceException("Bad append-only file " + file + " at offset " + at + ": " + why
                + ". Refusing to start; if only the end is damaged, truncate the file there (Redis's redis-check-aof"
                + " --fix does the same).");
    }
}
