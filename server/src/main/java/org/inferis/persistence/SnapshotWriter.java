package org.inferis.persistence;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;
import org.inferis.keyspace.ListValue;
import org.inferis.keyspace.StoredEntry;
import org.inferis.keyspace.StringValue;
import org.inferis.keyspace.TensorValue;
import org.inferis.keyspace.Value;
import org.inferis.model.ModelOptions;
import org.inferis.model.ModelValue;
import org.inferis.model.ScriptValue;
import org.inferis.tensor.Tensor;

/** Writes keyspace entries in the {@link SnapshotFormat}, streaming values (a tensor is never copied whole). */
final class SnapshotWriter {
    private static final int CHUNK = 1 << 20;

    private final CRC32C crc = new CRC32C();
    private final DataOutputStream out;
    private final byte[] chunk = new byte[CHUNK];

    private SnapshotWriter(OutputStream target) {
        this.out = new DataOutputStream(new CheckedOutputStream(new BufferedOutputStream(target, CHUNK), crc));
    }

    /** Writes the whole snapshot to the stream and flushes it; the stream stays open. */
    static void write(OutputStream target, List<StoredEntry> entries, long createdAt) throws IOException {
        SnapshotWriter writer = new SnapshotWriter(target);
        writer.header(createdAt);
        for (StoredEntry entry : entries) {
            writer.record(entry);
        }
        writer.end(entries.size());
        writer.out.flush();
    }

    private void header(long createdAt) throws IOException {
        out.write(SnapshotFormat.MAGIC);
        out.writeInt(SnapshotFormat.VERSION);
        out.writeLong(createdAt);
        sealRecord();
    }

    private void record(StoredEntry entry) throws IOException {
        Value value = entry.value();
        out.writeByte(kind(value));
        out.writeLong(entry.expireAt());
        bytes(entry.key().bytes());
        if (value instanceof StringValue string) {
            bytes(string.bytes());
        } else if (value instanceof ListValue list) {
            out.writeInt(list.size());
            for (byte[] element : list.elements()) {
                bytes(element);
            }
        } else if (value instanceof TensorValue tensor) {
            tensor(tensor.tensor());
        } else if (value instanceof ModelValue model) {
            model(model);
        } else if (value instanceof ScriptValue script) {
            script(script);
        } else {
            throw new IllegalStateException("no snapshot form for " + value.type());
        }
        sealRecord();
    }

    private static byte kind(Value value) {
        return switch (value.type()) {
            case STRING -> SnapshotFormat.STRING;
            case LIST -> SnapshotFormat.LIST;
            case TENSOR -> SnapshotFormat.TENSOR;
            case MODEL -> SnapshotFormat.MODEL;
            case SCRIPT -> SnapshotFormat.SCRIPT;
        };
    }

    private void tensor(Tensor tensor) throws IOException {
        text(tensor.dtype().name());
        out.writeByte(tensor.rank());
        for (long dim : tensor.shape()) {
            out.writeLong(dim);
        }
        ByteBuffer data = tensor.data().duplicate().clear();
        out.writeLong(data.remaining());
        while (data.hasRemaining()) {
            int length = Math.min(chunk.length, data.remaining());
            data.get(chunk, 0, length);
            out.write(chunk, 0, length);
        }
    }

    private void model(ModelValue model) throws IOException {
        ModelOptions options = model.options();
        text(options.backend());
        text(options.device());
        text(options.tag());
        out.writeLong(options.batchSize());
        out.writeLong(options.minBatchSize());
        out.writeLong(options.minBatchTimeout());
        out.writeLong(options.maxQueue());
        out.writeInt(options.instances());
        out.writeLong(options.latency());
        names(options.io().inputs());
        names(options.io().outputs());
        bytes(model.blob());
    }

    private void script(ScriptValue script) throws IOException {
        text(script.deviceText());
        text(script.tag());
        names(script.entryPoints());
        text(script.source());
    }

    /** A count, then that many texts. */
    private void names(List<String> names) throws IOException {
        out.writeInt(names.size());
        for (String name : names) {
            text(name);
        }
    }

    private void end(long records) throws IOException {
        out.writeByte(SnapshotFormat.END);
        out.writeLong(records);
        sealRecord();
    }

    /** Ends a record with the checksum of its bytes. */
    private void sealRecord() throws IOException {
        int checksum = (int) crc.getValue();
        out.writeInt(checksum);
        crc.reset();
    }

    private void bytes(byte[] bytes) throws IOException {
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private void text(String text) throws IOException {
        bytes(text.getBytes(StandardCharsets.UTF_8));
    }
}
