package org.inferis.command;

import static org.inferis.command.CommandFlag.ADMIN;
import static org.inferis.command.CommandFlag.READONLY;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.inferis.backend.ModelBackend;
import org.inferis.config.ServerConfig;
import org.inferis.keyspace.Keyspace;
import org.inferis.model.ExecutableValue;
import org.inferis.model.ModelValue;
import org.inferis.scheduler.RunStats;
import org.inferis.resp.ArrayReply;
import org.inferis.resp.BulkReply;
import org.inferis.resp.DoubleReply;
import org.inferis.resp.ErrorReply;
import org.inferis.resp.IntegerReply;
import org.inferis.resp.NullReply;
import org.inferis.resp.Reply;
import org.inferis.resp.Request;
import org.inferis.resp.RespException;
import org.inferis.resp.SimpleStringReply;
import org.inferis.server.ClientSession;

/** AI.INFO (run statistics) and AI.CONFIG (RedisAI's module settings). */
final class AiAdminCommands {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AiAdminCommands.class);
    private static final String GROUP = "ai";

    private AiAdminCommands() {
    }

    static void register(CommandTable table) {
        table.add(CommandSpec.of("AI.INFO", -2, GROUP, "Returns run statistics of a model or script.",
                        AiAdminCommands::info, READONLY).keys(1, 1, 1))
                .add(CommandSpec.of("AI.CONFIG", -2, GROUP, "Gets or sets RedisAI settings.",
                        AiAdminCommands::config, ADMIN));
    }

    /** AI.INFO key [RESETSTAT | EXTENDED]. */
    private static Reply info(ClientSession client, Request request) {
        if (request.size() > 3) {
            throw Args.wrongArity("AI.INFO");
        }
        boolean extended = request.size() == 3 && request.is(2, "EXTENDED");
        if (request.size() == 3 && !extended && !request.is(2, "RESETSTAT")) {
            throw Args.syntaxError();
        }
        Keyspace keyspace = client.server().keyspace();
        if (!(keyspace.get(Args.key(request, 1)) instanceof ExecutableValue value)) {
            return ErrorReply.err("cannot find run info for key");
        }
        RunStats stats = value.stats();
        if (request.size() == 3 && !extended) {
            stats.reset();
            return SimpleStringReply.OK;
        }
        boolean isModel = value instanceof ModelValue;
        List<Reply> items = new ArrayList<>(List.of(
                BulkReply.of("key"), BulkReply.of(request.bytes(1)),
                BulkReply.of("type"), BulkReply.of(isModel ? "MODEL" : "SCRIPT"),
                BulkReply.of("backend"), BulkReply.of(isModel ? ((ModelValue) value).options().backend() : "TORCH"),
                BulkReply.of("device"), BulkReply.of(value.deviceText()),
                BulkReply.of("tag"), BulkReply.of(value.tag()),
                BulkReply.of("duration"), IntegerReply.of(stats.durationMicros()),
                // scripts report -1 samples, as in RedisAI
                BulkReply.of("samples"), IntegerReply.of(isModel ? stats.samples() : -1),
                BulkReply.of("calls"), IntegerReply.of(stats.calls()),
                BulkReply.of("errors"), IntegerReply.of(stats.errors())));
        if (extended) { // (ext) batching and latency, asked for, after RedisAI's fields
            items.addAll(List.of(
                BulkReply.of("batches"), IntegerReply.of(stats.batches()),
                BulkReply.of("avg_batch_size"), new DoubleReply(stats.batches() == 0 ? 0
                        : Math.round(100.0 * stats.samples() / stats.batches()) / 100.0),
                BulkReply.of("queue_depth"), IntegerReply.of(value.queue().depth()),
                BulkReply.of("p50_us"), IntegerReply.of(stats.latencyPercentile(0.50)),
                BulkReply.of("p99_us"), IntegerReply.of(stats.latencyPercentile(0.99))));
            if (value instanceof ModelValue model) { // what LATENCY works from: the target and the scheduler's estimates
                items.addAll(List.of(
                    BulkReply.of("latency_target_ms"), IntegerReply.of(model.options().latency()),
                    BulkReply.of("full_batch_forward_us"), IntegerReply.of(value.queue().fullBatchForwardMicros()),
                    BulkReply.of("sample_forward_us"), new DoubleReply(value.queue().sampleForwardMicros()),
                    BulkReply.of("arrivals_per_second"), new DoubleReply(model.options().latency() == 0 ? 0
                            : Math.round(value.queue().arrivalsPerSecond()))));
            }
        }
        return new ArrayReply(items);
    }

    /**
     * AI.CONFIG LOADBACKEND: TORCH and ONNX are built in and started with the server (OK); TF is built in and starts
     * now when the path is where RedisAI's own default load looks ({@code redisai_tensorflow/redisai_tensorflow.so}
     * under BACKENDSPATH), answering OK only once the engine runs. Anything else gets RedisAI's exact words (its
     * clients compare them); the reason goes to the log.
     */
    private static Reply loadBackend(ClientSession client, String name, String path) {
        ModelBackend backend = client.server().backend(name);
        if (backend == null && !name.equalsIgnoreCase("TFLITE")) {
            throw RespException.err("unsupported backend");
        }
        String refusal = backend == null ? "this server has no TFLite engine (TensorFlow for Java has no TFLite "
                + "interpreter)" : backend.unavailableReason();
        if (refusal == null && backend.name().equals("TF")
                && !atDefaultLocation(client.server().config().getString("backends-path"), path)) {
            refusal = "Inferis runs TF on its built-in engine; LOADBACKEND TF takes the path of RedisAI's default "
                    + "TF backend, redisai_tensorflow/redisai_tensorflow.so, not " + path;
        }
        if (refusal != null) {
            LOG.warn("AI.CONFIG LOADBACKEND {} {}: {}", name, path, refusal);
            throw RespException.err("error loading backend");
        }
        if (backend.isStarted()) {
            return SimpleStringReply.OK;
        }
        return new PendingReply(client.server().scheduler().load(backend::engineVersion).handleAsync(
                (version, error) -> {
                    if (error != null) {
                        LOG.warn("AI.CONFIG LOADBACKEND {}: {}", name, PendingReply.causeOf(error).getMessage());
                        return ErrorReply.err("error loading backend");
                    }
                    return SimpleStringReply.OK;
                }, client.executor()));
    }

    private static boolean atDefaultLocation(String backendsPath, String path) {
        try {
            Path base = Path.of(backendsPath);
            return base.resolve(path).normalize()
                    .equals(base.resolve(Path.of("redisai_tensorflow", "redisai_tensorflow.so")).normalize());
        } catch (java.nio.file.InvalidPathException e) {
            return false;
        }
    }

    /** AI.CONFIG MODEL_CHUNK_SIZE n | BACKENDSPATH path | LOADBACKEND backend path | GET name. */
    private static Reply config(ClientSession client, Request request) {
        ServerConfig config = client.server().config();
        String sub = request.string(1);
        if (sub.equalsIgnoreCase("LOADBACKEND")) {
            if (request.size() != 4) {
                throw Args.wrongArity("AI.CONFIG");
            }
            return loadBackend(client, request.string(2), request.string(3));
        }
        if (sub.equalsIgnoreCase("BACKENDSPATH")) {
            if (request.size() < 3) {
                throw RespException.err("BACKENDSPATH: missing path argument");
            }
            config.set("backends-path", request.string(2));
            return SimpleStringReply.OK;
        }
        if (sub.equalsIgnoreCase("MODEL_CHUNK_SIZE")) {
            if (request.size() < 3) {
                throw RespException.err("MODEL_CHUNK_SIZE: missing chunk size");
            }
            try {
                config.set("model-chunk-size", Long.toString(Args.integer(request, 2)));
            } catch (RespException | IllegalArgumentException e) {
                throw RespException.err("MODEL_CHUNK_SIZE: invalid chunk size");
            }
            return SimpleStringReply.OK;
        }
        if (sub.equalsIgnoreCase("GET") && request.size() == 3) {
            if (request.is(2, "MODEL_CHUNK_SIZE")) {
                return IntegerReply.of(config.getLong("model-chunk-size"));
            }
            if (request.is(2, "BACKENDSPATH")) {
                return BulkReply.of(config.getString("backends-path"));
            }
            return NullReply.BULK;
        }
        throw RespException.err("unsupported subcommand");
    }
}
