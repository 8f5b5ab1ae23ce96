package org.inferis.command;

import static org.inferis.command.CommandFlag.DENYOOM;
import static org.inferis.command.CommandFlag.WRITE;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.inferis.keyspace.Keyspace;
import org.inferis.model.ModelValue;
import org.inferis.resp.Reply;
import org.inferis.resp.Request;
import org.inferis.resp.RespException;
import org.inferis.scheduler.QueueFullException;
import org.inferis.scheduler.RunScheduler;
import org.inferis.server.ClientSession;
import org.inferis.tensor.Tensor;

/**
 * AI.MODELEXECUTE and the deprecated AI.MODELRUN: arguments and keys are checked under the keyspace
 * lock, the run goes to the model's device queue, and the outputs are stored when it finishes.
 */
final class ModelExecuteCommand {
    private static final String GROUP = "ai";

    /** A parsed run: the model, the names of its inputs and outputs, and its queue TIMEOUT (0 for none). */
    record Call(ModelValue model, List<String> inputs, List<String> outputs, long timeoutMillis) implements RunCall {
        /** Queues the run on the model's queue; the model is referenced until the run ends. */
        @Override
        public CompletableFuture<List<Tensor>> start(RunScheduler scheduler, List<Tensor> tensors, long timeout)
                throws QueueFullException {
            CompletableFuture<List<Tensor>> run = model.start(scheduler, tensors, null, timeout);
            if (run == null) {
                throw RespException.err("model key is empty");
            }
            return run;
        }
    }

    private ModelExecuteCommand() {
    }

    static void register(CommandTable table) {
        table.add(CommandSpec.of("AI.MODELEXECUTE", -8, GROUP, "Runs a model.", TransactionCommands.refusedInTransaction(ModelExecuteCommand::execute),
                        WRITE, DENYOOM).keys(1, 1, 1))
                .add(CommandSpec.of("AI.MODELRUN", -6, GROUP, "Runs a model (deprecated form).",
                        TransactionCommands.refusedInTransaction(ModelExecuteCommand::run), WRITE, DENYOOM).keys(1, 1, 1));
    }

    private static Reply execute(ClientSession client, Request request) {
        return RunCall.submit(client, parseExecute(client.server().keyspace(), request));
    }

    private static Reply run(ClientSession client, Request request) {
        return RunCall.submit(client, parseRun(client.server().keyspace(), request));
    }

    /** AI.MODELEXECUTE key INPUTS n in... OUTPUTS n out... [TIMEOUT ms], checked in RedisAI's order. */
    static Call parseExecute(Keyspace keyspace, Request request) {
        ModelValue model = ModelCommands.model(keyspace, Args.key(request, 1));
        ArgCursor args = new ArgCursor(request, 2);
        if (!args.nextIs("INPUTS")) {
            throw RespException.err("INPUTS not specified");
        }
        List<String> inputKeys = keys(args, model.model().inputNames().size(), "input", "INPUTS");
        if (!args.nextIs("OUTPUTS")) {
            throw RespException.err("OUTPUTS not specified");
        }
        List<String> outputKeys = keys(args, model.model().outputNames().size(), "output", "OUTPUTS");
        return new Call(model, inputKeys, outputKeys, timeout(args));
    }

    /** AI.MODELRUN key [TIMEOUT ms] INPUTS in... OUTPUTS out... */
    static Call parseRun(Keyspace keyspace, Request request) {
        ModelValue model = ModelCommands.model(keyspace, Args.key(request, 1));
        ArgCursor args = new ArgCursor(request, 2);
        long timeout = args.nextIs("TIMEOUT") ? positiveTimeout(args) : 0;
        if (!args.nextIs("INPUTS")) {
            throw RespException.err("INPUTS not specified");
        }
        List<String> inputKeys = new ArrayList<>();
        boolean outputsGiven = false;
        while (!args.atEnd() && !outputsGiven) {
            outputsGiven = args.nextIs("OUTPUTS");
            if (!outputsGiven) {
                inputKeys.add(args.next());
            }
        }
        if (!outputsGiven) {
            throw RespException.err("OUTPUTS not specified");
        }
        List<String> outputKeys = new ArrayList<>();
        while (!args.atEnd()) {
            outputKeys.add(args.next());
        }
        checkCount(model.model().inputNames().size(), inputKeys.size(), "INPUTS");
        checkCount(model.model().outputNames().size(), outputKeys.size(), "OUTPUTS");
        return new Call(model, inputKeys, outputKeys, timeout);
    }

    /** A count, then that many keys; the count must match the model's signature where it is known. */
    private static List<String> keys(ArgCursor args, int expected, String kind, String keyword) {
        String capitalised = Character.toUpperCase(kind.charAt(0)) + kind.substring(1);
        long count = args.nextLong("Invalid argument for " + kind + "_count");
        if (count <= 0) {
            throw RespException.err(capitalised + " count must be a positive integer");
        }
        checkCount(expected, count, keyword);
        if (count > args.remaining()) {
            throw RespException.err("number of " + kind + " keys to AI.MODELEXECUTE command does not match the "
                    + "number of given arguments");
        }
        List<String> keys = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            keys.add(args.next());
        }
        return keys;
    }

    private static void checkCount(int expected, long given, String keyword) {
        if (expected > 0 && expected != given) {
            // RedisAI sends this one without an error code
            throw new RespException("Number of keys given as " + keyword + " here does not match model definition");
        }
    }

    private static long timeout(ArgCursor args) {
        if (args.atEnd()) {
            return 0;
        }
        String word = args.next();
        if (!word.equalsIgnoreCase("TIMEOUT")) {
            throw RespException.err("Invalid argument: " + word);
        }
        if (args.atEnd()) {
            throw RespException.err("No value provided for TIMEOUT");
        }
        long timeout = positiveTimeout(args);
        if (!args.atEnd()) {
            throw RespException.err("Invalid argument: " + args.next());
        }
        return timeout;
    }

    private static long positiveTimeout(ArgCursor args) {
        long timeout = args.nextLong("Invalid value for TIMEOUT");
        if (timeout <= 0) {
            throw RespException.err("Invalid value for TIMEOUT");
        }
        return timeout;
    }
}
