package org.inferis.command;

import static org.inferis.command.CommandFlag.DENYOOM;
import static org.inferis.command.CommandFlag.READONLY;
import static org.inferis.command.CommandFlag.WRITE;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.inferis.keyspace.Key;
import org.inferis.keyspace.Keyspace;
import org.inferis.keyspace.TensorValue;
import org.inferis.resp.ArrayReply;
import org.inferis.resp.BulkReply;
import org.inferis.resp.ErrorReply;
import org.inferis.resp.IntegerReply;
import org.inferis.resp.Numbers;
import org.inferis.resp.Reply;
import org.inferis.resp.Request;
import org.inferis.resp.RespException;
import org.inferis.resp.SimpleStringReply;
import org.inferis.server.ClientSession;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;
import org.inferis.tensor.wire.TensorFactory;
import org.inferis.tensor.wire.TensorValues;

/** AI.TENSORSET and AI.TENSORGET, with RedisAI's syntax, reply shapes and error texts. */
final class TensorCommands {
    private static final String GROUP = "ai";
    static final ErrorReply EMPTY_KEY = ErrorReply.err("tensor key is empty or in a different shard");
    private static final DType[] DTYPES = DType.values();

    private TensorCommands() {
    }

    static void register(CommandTable table) {
        table.add(CommandSpec.of("AI.TENSORSET", -4, GROUP, "Stores a tensor.", TensorCommands::tensorSet,
                        WRITE, DENYOOM).keys(1, 1, 1))
                .add(CommandSpec.of("AI.TENSORGET", -2, GROUP, "Returns a tensor's metadata and data.",
                        TensorCommands::tensorGet, READONLY).keys(1, 1, 1));
    }

    /** AI.TENSORSET key type dim... [BLOB data | VALUES v...]. */
    private static Reply tensorSet(ClientSession client, Request request) {
        Keyspace keyspace = client.server().keyspace();
        Key key = Args.key(request, 1);
        keyspace.get(key, TensorValue.class); // WRONGTYPE comes before any other argument error, as in RedisAI
        keyspace.put(key, new TensorValue(build(client, request)));
        return SimpleStringReply.OK;
    }

    /** The tensor an AI.TENSORSET request describes (its key unused): also a DAG's TENSORSET step. */
    static Tensor build(ClientSession client, Request request) {
        if (request.size() < 4) {
            throw Args.wrongArity("AI.TENSORSET");
        }
        DType dtype = dtype(request, 2);
        if (dtype == null) {
            throw RespException.err("invalid data type");
        }
        long[] dims = new long[request.size() - 3];
        int i = 3;
        for (; i < request.size() && !request.is(i, "BLOB") && !request.is(i, "VALUES"); i++) {
            long dim;
            try {
                dim = Numbers.parseLong(request.arg(i));
            } catch (NumberFormatException | ArithmeticException e) {
                dim = -1;
            }
            if (dim <= 0) {
                throw RespException.err("invalid or negative value found in tensor shape");
            }
            dims[i - 3] = dim;
        }
        long[] shape = Arrays.copyOf(dims, i - 3);
        TensorFactory factory = client.server().tensors();
        if (i == request.size()) {
            return factory.zeros(dtype, shape);
        }
        if (request.is(i, "BLOB")) {
            if (request.size() - i - 1 != 1) {
                throw RespException.err("a single binary string should come after the BLOB argument in "
                        + "'AI.TENSORSET' command");
            }
            return factory.fromBlob(dtype, shape, request.arg(i + 1));
        }
        if (request.size() - i - 1 != elementCountOrMax(shape)) {
            throw RespException.err("wrong number of values was given in 'AI.TENSORSET' command");
        }
        return factory.fromValues(dtype, shape, request, i + 1);
    }

    /** The type an argument names in any case, or null: compared in place, as every AI.TENSORSET does this. */
    private static DType dtype(Request request, int index) {
        for (DType dtype : DTYPES) {
            if (request.is(index, dtype.name())) {
                return dtype;
            }
        }
        return null;
    }

    private static long elementCountOrMax(long[] shape) {
        try {
            return Tensor.elementCount(shape);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** What AI.TENSORGET returns: the metadata, the data as a blob or as values, or both. */
    record Format(boolean meta, boolean blob, boolean values) {
        Reply of(Tensor tensor) {
            return reply(tensor, meta, blob, values);
        }
    }

    /** AI.TENSORGET key [META] [BLOB | VALUES]. */
    private static Reply tensorGet(ClientSession client, Request request) {
        if (request.size() > 4) {
            throw Args.wrongArity("AI.TENSORGET");
        }
        TensorValue stored = client.server().keyspace().get(Args.key(request, 1), TensorValue.class);
        if (stored == null) {
            return EMPTY_KEY;
        }
        return format(request).of(stored.tensor());
    }

    /** The reply format an AI.TENSORGET request asks for (also a DAG's TENSORGET step). */
    static Format format(Request request) {
        if (request.size() < 2 || request.size() > 4) {
            throw Args.wrongArity("AI.TENSORGET");
        }
        boolean meta = request.size() == 2;
        boolean blob = request.size() == 2;
        boolean values = false;
        for (int i = 2; i < request.size(); i++) {
            if (request.is(i, "META")) {
                meta = true;
            } else if (request.is(i, "BLOB")) {
                blob = true;
            } else if (request.is(i, "VALUES")) {
                values = true;
            } else {
                throw RespException.err("unsupported data format");
            }
        }
        if (blob && values) {
            throw RespException.err("both BLOB and VALUES specified");
        }
        return new Format(meta, blob, values);
    }

    static Reply reply(Tensor tensor, boolean meta, boolean blob, boolean values) {
        Reply data = blob ? new BulkReply(tensor.data()) : values ? new ArrayReply(TensorValues.of(tensor)) : null;
        if (!meta) {
            return data;
        }
        List<Reply> items = new ArrayList<>(6);
        items.add(BulkReply.of("dtype"));
        items.add(BulkReply.of(tensor.dtype().name()));
        items.add(BulkReply.of("shape"));
        List<Reply> dims = new ArrayList<>(tensor.rank());
        for (long dim : tensor.shape()) {
            dims.add(IntegerReply.of(dim));
        }
        items.add(new ArrayReply(dims));
        if (data != null) {
            items.add(BulkReply.of(blob ? "blob" : "values"));
            items.add(data);
        }
        return new ArrayReply(items);
    }
}
