package org.inferis.command;

import static org.inferis.command.CommandFlag.READONLY;
import static org.inferis.command.CommandFlag.WRITE;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.inferis.keyspace.Key;
import org.inferis.keyspace.Keyspace;
import org.inferis.model.ModelOptions;
import org.inferis.model.ModelValue;
import org.inferis.resp.ArrayReply;
import org.inferis.resp.BulkReply;
import org.inferis.resp.IntegerReply;
import org.inferis.resp.Reply;
import org.inferis.resp.Request;
import org.inferis.resp.RespException;
import org.inferis.resp.SimpleStringReply;
import org.inferis.server.ClientSession;

/** AI.MODELGET, AI.MODELDEL and AI._MODELSCAN. */
final class ModelCommands {
    private static final String GROUP = "ai";

    private ModelCommands() {
    }

    static void register(CommandTable table) {
        table.add(CommandSpec.of("AI.MODELGET", -2, GROUP, "Returns a model's metadata and blob.",
                        ModelCommands::get, READONLY).keys(1, 1, 1))
                .add(CommandSpec.of("AI.MODELDEL", 2, GROUP, "Deletes a model.", ModelCommands::delete, WRITE)
                        .keys(1, 1, 1))
                .add(CommandSpec.of("AI._MODELSCAN", 1, GROUP, "Lists the models and their tags.",
                        ModelCommands::scan, READONLY));
    }

    /** The model stored under the key; RedisAI's error when there is none. */
    static ModelValue model(Keyspace keyspace, Key key) {
        ModelValue model = keyspace.get(key, ModelValue.class);
        if (model == null) {
            throw RespException.err("model key is empty");
        }
        return model;
    }

    /** AI.MODELGET key [META] [BLOB]: META alone gives the metadata; otherwise the blob is included. */
    private static Reply get(ClientSession client, Request request) {
        if (request.size() > 4) {
            throw Args.wrongArity("AI.MODELGET");
        }
        ModelValue model = model(client.server().keyspace(), Args.key(request, 1));
        boolean meta = false;
        boolean blob = false;
        for (int i = 2; i < request.size(); i++) {
            meta |= request.is(i, "META");
            blob |= request.is(i, "BLOB");
        }
        Reply blobReply = meta && !blob ? null
                : chunks(model.blob(), client.server().config().getLong("model-chunk-size"));
        if (!meta && blob) {
            return blobReply;
        }
        ModelOptions options = model.options();
        List<Reply> items = new ArrayList<>(List.of(
                BulkReply.of("backend"), BulkReply.of(options.backend()),
                BulkReply.of("device"), BulkReply.of(options.device()),
                BulkReply.of("tag"), BulkReply.of(options.tag()),
                BulkReply.of("batchsize"), IntegerReply.of(options.batchSize()),
                BulkReply.of("minbatchsize"), IntegerReply.of(options.minBatchSize()),
                BulkReply.of("inputs"), names(model.model().inputNames()),
                BulkReply.of("outputs"), names(model.model().outputNames()),
                BulkReply.of("minbatchtimeout"), IntegerReply.of(options.minBatchTimeout())));
        // (ext) only for a model stored with them, so RedisAI's clients see RedisAI's exact reply otherwise
        if (options.maxQueue() != 0) {
            items.add(BulkReply.of("maxqueue"));
            items.add(IntegerReply.of(options.maxQueue()));
        }
        if (options.instances() != 1) {
            items.add(BulkReply.of("instances"));
            items.add(IntegerReply.of(options.instances()));
        }
        if (options.latency() > 0) {
            items.add(BulkReply.of("latency"));
            items.add(IntegerReply.of(options.latency()));
        }
        if (blobReply != null) {
            items.add(BulkReply.of("blob"));
            items.add(blobReply);
        }
        return new ArrayReply(items);
    }

    /** One bulk string, or an array of chunks of at most {@code chunkSize} bytes (no empty last chunk). */
    private static Reply chunks(byte[] blob, long chunkSize) {
        if (blob.length <= chunkSize) {
            return BulkReply.of(blob);
        }
        List<Reply> chunks = new ArrayList<>();
        for (long offset = 0; offset < blob.length; offset += chunkSize) {
            int length = (int) Math.min(chunkSize, blob.length - offset);
            chunks.add(new BulkReply(ByteBuffer.wrap(blob, (int) offset, length).slice()));
        }
        return new ArrayReply(chunks);
    }

    private static Reply names(List<String> names) {
        return new ArrayReply(names.stream().map(BulkReply::of).toList());
    }

    private static Reply delete(ClientSession client, Request request) {
        Keyspace keyspace = client.server().keyspace();
        Key key = Args.key(request, 1);
        model(keyspace, key);
        keyspace.delete(key);
        return SimpleStringReply.OK;
    }

    private static Reply scan(ClientSession client, Request request) {
        return StoredExecutables.scanTags(client.server().keyspace(), ModelValue.class);
    }
}
