package org.inferis.command;

import static org.inferis.command.CommandFlag.DENYOOM;
import static org.inferis.command.CommandFlag.WRITE;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import org.inferis.backend.Device;
import org.inferis.backend.IoNames;
import org.inferis.backend.ModelBackend;
import org.inferis.keyspace.Key;
import org.inferis.keyspace.Value;
import org.inferis.keyspace.WrongTypeException;
import org.inferis.model.ModelOptions;
import org.inferis.model.ModelValue;
import org.inferis.resp.Reply;
import org.inferis.resp.Request;
import org.inferis.resp.RespException;
import org.inferis.server.ClientSession;

/**
 * AI.MODELSTORE and the deprecated AI.MODELSET: arguments are checked here, the blob is loaded on the
 * scheduler's loader threads, and the key changes only once the engine accepted the blob.
 */
final class ModelStoreCommand {
    private static final String GROUP = "ai";
    private static final long MAX_INSTANCES = 64;

    private ModelStoreCommand() {
    }

    static void register(CommandTable table) {
        table.add(CommandSpec.of("AI.MODELSTORE", -6, GROUP, "Stores a model.",
                        (client, request) -> store(client, request, false), WRITE, DENYOOM).keys(1, 1, 1))
                .add(CommandSpec.of("AI.MODELSET", -6, GROUP, "Stores a model (deprecated form).",
                        (client, request) -> store(client, request, true), WRITE, DENYOOM).keys(1, 1, 1));
    }

    /**
     * AI.MODELSTORE key backend device [TAG t] [BATCHSIZE n [MINBATCHSIZE m [MINBATCHTIMEOUT ms]]]
     * [MAXQUEUE q] [INSTANCES k] [LATENCY ms] [INPUTS n name... OUTPUTS n name...] BLOB chunk...; INPUTS and OUTPUTS
     * for TF only. The deprecated AI.MODELSET takes {@code INPUTS a b OUTPUTS c} (no counts) before BLOB.
     */
    private static Reply store(ClientSession client, Request request, boolean deprecated) {
        Key key = Args.key(request, 1);
        Value existing = client.server().keyspace().get(key);
        if (existing != null && !(existing instanceof ModelValue)) {
            throw new WrongTypeException();
        }
        ArgCursor args = new ArgCursor(request, 2);
        String backendName = args.next();
        ModelBackend backend = client.server().backend(backendName);
        if (backend == null) {
            throw RespException.err(backendName.equalsIgnoreCase("TFLITE") ? "unsupported backend: TFLite models "
                    + "cannot run here (TensorFlow for Java has no TFLite interpreter); store the model as a TF frozen "
                    + "graph, ONNX or TorchScript" : "unsupported backend");
        }
        if (backend.unavailableReason() != null) {
            throw RespException.err("unsupported backend: " + backend.unavailableReason());
        }
        Device device = Device.parse(args.next());
        if (device == null) {
            throw RespException.err("Invalid DEVICE");
        }
        String tag = args.nextIs("TAG") ? args.next() : "";
        long batchSize = args.nextIs("BATCHSIZE") ? unsigned(args, "Invalid argument for BATCHSIZE") : 0;
        long minBatchSize = 0;
        if (args.nextIs("MINBATCHSIZE")) {
            minBatchSize = unsigned(args, "Invalid argument for MINBATCHSIZE");
            if (batchSize == 0 && minBatchSize > 0) {
                throw RespException.err("MINBATCHSIZE specified without BATCHSIZE");
            }
        }
        long minBatchTimeout = 0;
        if (args.nextIs("MINBATCHTIMEOUT")) {
            minBatchTimeout = unsigned(args, "Invalid argument for MINBATCHTIMEOUT");
            if (minBatchSize == 0 && minBatchTimeout > 0) {
                throw RespException.err("MINBATCHTIMEOUT specified without MINBATCHSIZE");
            }
        }
        long maxQueue = 0;
        long instances = 1;
        long latency = 0;
        for (boolean more = true; more; ) {
            if (args.nextIs("LATENCY")) {
                latency = args.nextLong("Invalid argument for LATENCY");
                if (latency <= 0) {
                    throw RespException.err("Invalid argument for LATENCY");
                }
                if (batchSize == 0) {
                    throw RespException.err("LATENCY specified without BATCHSIZE");
                }
                if (minBatchSize > 0) {
                    throw RespException.err("LATENCY and MINBATCHSIZE cannot be combined: LATENCY decides when a "
                            + "batch goes");
                }
            } else if (args.nextIs("MAXQUEUE")) {
                maxQueue = unsigned(args, "Invalid argument for MAXQUEUE");
            } else if (args.nextIs("INSTANCES")) {
                instances = args.nextLong("Invalid argument for INSTANCES");
                if (instances < 1 || instances > MAX_INSTANCES) {
                    throw RespException.err("Invalid argument for INSTANCES");
                }
            } else {
                more = false;
            }
        }
        IoNames io = deprecated ? deprecatedIoNames(args, request, backend) : ioNames(args, backend);
        if (!args.nextIs("BLOB")) {
            throw RespException.err("Invalid argument, expected BLOB");
        }
        if (args.atEnd()) {
            throw RespException.err("Insufficient arguments, missing model BLOB");
        }
        byte[] blob = concatenate(request, args.position());
        ModelOptions options = new ModelOptions(backend.name(), device.text(), tag, batchSize, minBatchSize,
                minBatchTimeout, maxQueue, (int) instances, latency, io);
        return StoredExecutables.pending(client, key, StoredExecutables.loadModel(client.server(), key, options, blob));
    }

    /** {@code INPUTS n name... OUTPUTS n name...}: required for TF, refused for engines whose models name them. */
    private static IoNames ioNames(ArgCursor args, ModelBackend backend) {
        if (args.atEnd()) {
            throw RespException.err("Insufficient arguments, missing model BLOB");
        }
        if (!backend.needsIoNames()) {
            if (args.nextIs("INPUTS")) {
                throw RespException.err("INPUTS argument should not be specified for this backend");
            }
            return IoNames.NONE;
        }
        if (!args.nextIs("INPUTS")) {
            throw RespException.err("INPUTS not specified for TF");
        }
        List<String> inputs = names(args, "input");
        if (!args.nextIs("OUTPUTS")) {
            throw RespException.err("OUTPUTS not specified for TF");
        }
        return new IoNames(inputs, names(args, "output"));
    }

    private static List<String> names(ArgCursor args, String kind) {
        String invalid = "Invalid argument for " + kind + "_count";
        long count = args.nextLong(invalid);
        if (count <= 0) {
            throw RespException.err(invalid);
        }
        if (args.remaining() < count) {
            throw RespException.err("number of model " + kind + "s does not match the number of given arguments");
        }
        List<String> names = new ArrayList<>((int) count);
        for (long i = 0; i < count; i++) {
            names.add(args.next());
        }
        return names;
    }

    /**
     * AI.MODELSET's {@code INPUTS a b OUTPUTS c} before BLOB, without counts: TF models need both, and the other
     * engines skip whatever stands there, as RedisAI's parser does.
     */
    private static IoNames deprecatedIoNames(ArgCursor args, Request request, ModelBackend backend) {
        List<String> before = new ArrayList<>();
        while (!args.atEnd() && !request.is(args.position(), "BLOB")) {
            before.add(args.next());
        }
        if (args.atEnd()) {
            throw RespException.err("Insufficient arguments, missing model BLOB");
        }
        if (!backend.needsIoNames()) {
            return IoNames.NONE;
        }
        if (before.isEmpty()) {
            throw RespException.err("Insufficient arguments, INPUTS and OUTPUTS not specified");
        }
        if (!before.get(0).equalsIgnoreCase("INPUTS")) {
            throw RespException.err("INPUTS not specified");
        }
        int outputs = 1;
        while (outputs < before.size() && !before.get(outputs).equalsIgnoreCase("OUTPUTS")) {
            outputs++;
        }
        if (outputs == before.size()) {
            throw RespException.err("OUTPUTS not specified");
        }
        return new IoNames(before.subList(1, outputs), before.subList(outputs + 1, before.size()));
    }

    private static long unsigned(ArgCursor args, String error) {
        long value = args.nextLong(error);
        if (value < 0) {
            throw RespException.err(error);
        }
        return value;
    }

    /** The blob chunks joined: the one copy from the network buffers into the model's storage. */
    private static byte[] concatenate(Request request, int first) {
        long total = 0;
        for (int i = first; i < request.size(); i++) {
            total += request.arg(i).readableBytes();
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw RespException.err("model blob of " + total + " bytes is too large");
        }
        byte[] blob = new byte[(int) total];
        int offset = 0;
        for (int i = first; i < request.size(); i++) {
            ByteBuf chunk = request.arg(i);
            chunk.getBytes(chunk.readerIndex(), blob, offset, chunk.readableBytes());
            offset += chunk.readableBytes();
        }
        return blob;
    }
}
