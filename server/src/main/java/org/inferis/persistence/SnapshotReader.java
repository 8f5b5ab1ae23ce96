package org.inferis.persistence;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import org.inferis.keyspace.Key;
import org.inferis.keyspace.ListValue;
import org.inferis.keyspace.StoredEntry;
import org.inferis.keyspace.StringValue;
import org.inferis.keyspace.TensorValue;
import org.inferis.keyspace.Value;
import org.inferis.backend.IoNames;
import org.inferis.model.ModelOptions;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;

/**
 * Reads a {@link SnapshotFormat} file, checking each record's checksum before its value is used. Every length
 * is checked against what is left of the file before anything is allocated for it.
 */
final class SnapshotReader {
    private final CRC32C crc = new CRC32C();
    private final Counting counted;
    private final DataInputStream in;
    private final long end;
    private final Path file;
    /** The file's format version, from its header. */
    private int version;

    private SnapshotReader(Path file, InputStream source, long start, long end) {
        this.file = file;
        this.end = end;
        this.counted = new Counting(new CheckedInputStream(new BufferedInputStream(source, 1 << 20), crc), start);
        this.in = new DataInputStream(counted);
    }

    /** True when the file at {@code start} begins with a snapshot header. */
    static boolean startsWithSnapshot(FileChannel channel, long start) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(SnapshotFormat.MAGIC.length);
        while (head.hasRemaining() && channel.read(head, start + head.position()) > 0) {
            // reads until full or end of file
        }
        return !head.hasRemaining() && Arrays.equals(head.array(), SnapshotFormat.MAGIC);
    }

    /**
     * Reads the snapshot that begins at {@code start}, handing each live entry to the sink in file order.
     *
     * @return the offset just after its end record
     */
    static long read(Path file, FileChannel channel, long start, ExecutableLoader loader, Consumer<StoredEntry> sink)
            throws PersistenceException {
        try {
            channel.position(start);
            SnapshotReader reader = new SnapshotReader(file, Channels.newInputStream(channel), start, channel.size());
            return reader.readAll(loader, sink);
        } catch (IOException e) {
            throw new PersistenceException("Cannot read the snapshot in " + file + ": " + e.getMessage(), e);
        }
    }

    private long readAll(ExecutableLoader loader, Consumer<StoredEntry> sink) throws PersistenceException, IOException {
        long recordStart = counted.offset;
        try {
            byte[] magic = new byte[SnapshotFormat.MAGIC.length];
            in.readFully(magic);
            if (!Arrays.equals(magic, SnapshotFormat.MAGIC)) {
                throw damaged(recordStart, "it is not an Inferis snapshot (no header)");
            }
            version = in.readInt();
            if (version < 1 || version > SnapshotFormat.VERSION) {
                throw damaged(recordStart, "snapshot version " + version + " is not one this server reads (1 to "
                        + SnapshotFormat.VERSION + ")");
            }
            in.readLong();
            checkRecord(recordStart, "header");
            long records = 0;
            LoadProgress progress = new LoadProgress("snapshot " + file, "keys", end);
            while (true) {
                recordStart = counted.offset;
                byte kind = in.readByte();
                if (kind == SnapshotFormat.END) {
                    long expected = in.readLong();
                    checkRecord(recordStart, "end record");
                    if (expected != records) {
                        throw damaged(recordStart, "the end record counts " + expected + " records, the file has "
                                + records);
                    }
                    return counted.offset;
                }
                long expireAt = in.readLong();
                Key key = new Key(bytes());
                Supplier<Value> value = value(kind, key, recordStart, loader);
                checkRecord(recordStart, "record of key '" + key + "'");
                records++;
                sink.accept(new StoredEntry(key, load(recordStart, key, value), expireAt));
                progress.at(counted.offset, records);
            }
        } catch (EOFException e) {
            throw damaged(recordStart, "the file ends inside a record (truncated?)");
        }
    }

    /** The record's value; models and scripts are loaded by the supplier, once their record's checksum passed. */
    private Supplier<Value> value(byte kind, Key key, long recordStart, ExecutableLoader loader)
            throws IOException, PersistenceException {
        switch (kind) {
            case SnapshotFormat.STRING: {
                Value string = new StringValue(bytes());
                return () -> string;
            }
            case SnapshotFormat.LIST: {
                int count = length(in.readInt(), 4);
                ListValue list = new ListValue();
                for (int i = 0; i < count; i++) {
                    list.push(bytes(), false);
                }
                return () -> list;
            }
            case SnapshotFormat.TENSOR: {
                Value tensor = new TensorValue(tensor(recordStart));
                return () -> tensor;
            }
            case SnapshotFormat.MODEL: {
                ModelOptions options = new ModelOptions(text(), text(), text(), in.readLong(), in.readLong(),
                        in.readLong(), in.readLong(), in.readInt(), version >= 2 ? in.readLong() : 0,
                        version >= 3 ? new IoNames(names(), names()) : IoNames.NONE);
                byte[] blob = bytes();
                return () -> loader.model(key, options, blob);
            }
            case SnapshotFormat.SCRIPT: {
                String device = text();
                String tag = text();
                List<String> entryPoints = names();
                String source = text();
                return () -> loader.script(key, device, tag, entryPoints, source);
            }
            default:
                throw damaged(recordStart, "unknown record kind " + (kind & 0xFF));
        }
    }

    private Value load(long recordStart, Key key, Supplier<Value> loading)
            throws PersistenceException {
        try {
            return loading.get();
        } catch (IllegalStateException e) {
            throw new PersistenceException("Cannot load " + file + ": the " + key + " record at offset " + recordStart
                    + " could not be re-created: " + e.getMessage());
        }
    }

    private Tensor tensor(long recordStart) throws IOException, PersistenceException {
        DType dtype;
        try {
            dtype = DType.valueOf(text());
        } catch (IllegalArgumentException e) {
            throw damaged(recordStart, "unknown tensor type");
        }
        int rank = in.readUnsignedByte();
        long[] shape = new long[rank];
        for (int i = 0; i < rank; i++) {
            shape[i] = in.readLong();
            if (shape[i] < 0) {
                throw damaged(recordStart, "negative tensor dimension");
            }
        }
        int size = length(in.readLong(), 1);
        ByteBuffer data = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        in.readFully(data.array());
        return new Tensor(dtype, shape, data);
    }

    /** Ends a record: the checksum stored after it must match its bytes. */
    private void checkRecord(long recordStart, String what) throws IOException, PersistenceException {
        int computed = (int) crc.getValue();
        int stored = in.readInt();
        crc.reset();
        if (computed != stored) {
            throw damaged(recordStart, "the " + what + " fails its checksum");
        }
    }

    private byte[] bytes() throws IOException, PersistenceException {
        byte[] bytes = new byte[length(in.readInt(), 1)];
        in.readFully(bytes);
        return bytes;
    }

    /** A count, then that many texts. */
    private List<String> names() throws IOException, PersistenceException {
        int count = length(in.readInt(), 4);
        List<String> names = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            names.add(text());
        }
        return names;
    }

    private String text() throws IOException, PersistenceException {
        return new String(bytes(), StandardCharsets.UTF_8);
    }

    /** A count of items of at least {@code unit} bytes each, refused when the rest of the file cannot hold them. */
    private int length(long count, int unit) throws PersistenceException {
        if (count < 0 || count > Integer.MAX_VALUE - 8 || count * unit > end - counted.offset) {
            throw damaged(counted.offset, "a length of " + count + " runs past the end of the file");
        }
        return (int) count;
    }

    private PersistenceException damaged(long offset, String why) {
        return new PersistenceException("Bad snapshot " + file + " at offset " + offset + ": " + why
                + ". Refusing to start with a partial keyspace; move or repair the file.");
    }

    /** Counts the bytes read through it, so errors can name the offset. */
    private static final class Counting extends FilterInputStream {
        long offset;

        Counting(InputStream in, long start) {
            super(in);
            this.offset = start;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                offset++;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int from, int length) throws IOException {
            int n = super.read(buffer, from, length);
            if (n > 0) {
                offset += n;
            }
            return n;
        }
    }
}
