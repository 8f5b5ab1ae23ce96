package org.inferis.command;

import static org.inferis.command.CommandFlag.DENYOOM;
import static org.inferis.command.CommandFlag.WRITE;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import org.inferis.backend.LoadedScript;
import org.inferis.keyspace.Keyspace;
import org.inferis.model.ScriptValue;
import org.inferis.resp.Request;
import org.inferis.resp.RespException;
import org.inferis.scheduler.QueueFullException;
import org.inferis.scheduler.RunScheduler;
import org.inferis.scheduler.Runner;
import org.inferis.tensor.Tensor;

/** AI.SCRIPTEXECUTE and the deprecated AI.SCRIPTRUN: script calls go through the device's run queue. */
final class ScriptExecuteCommand {
    private static final String GROUP = "ai";

    /**
     * A parsed script call: the function, its KEYS and ARGS, the names of its input and output tensors, and
     * for AI.SCRIPTRUN how many inputs are positional ({@code -1} for AI.SCRIPTEXECUTE's list calling) and
     * whether the rest form a {@code $} list.
     */
    record Call(ScriptValue script, String function, List<String> keys, List<String> inputs, List<String> args,
                List<String> outputs, int positional, boolean variadic, long timeoutMillis) implements RunCall {

        private Runner runner() {
            LoadedScript loaded = script.script();
            Runner call = positional < 0 ? in -> loaded.execute(function, in, keys, args)
                    : in -> loaded.call(function, in.subList(0, positional),
                    variadic ? in.subList(positional, in.size()) : null);
            return Runner.stoppable(call, loaded::terminate);
        }

        /** Queues the call on the script's device; the script is referenced until it ends. */
        @Override
        public CompletableFuture<List<Tensor>> start(RunScheduler scheduler, List<Tensor> tensors, long timeout)
                throws QueueFullException {
            CompletableFuture<List<Tensor>> run = script.start(scheduler, tensors, runner(), timeout);
            if (run == null) {
                throw RespException.err("script key is empty");
            }
            return run;
        }
    }

    private ScriptExecuteCommand() {
    }

    static void register(CommandTable table) {
        table.add(CommandSpec.of("AI.SCRIPTEXECUTE", -3, GROUP, "Runs a script function.",
                        TransactionCommands.refusedInTransaction(
                                (c, r) -> RunCall.submit(c, parseExecute(c.server().keyspace(), r))), WRITE, DENYOOM).keys(1, 1, 1))
                .add(CommandSpec.of("AI.SCRIPTRUN", -3, GROUP, "Runs a script function (deprecated form).",
                        TransactionCommands.refusedInTransaction(
                                (c, r) -> RunCall.submit(c, parseRun(c.server().keyspace(), r))), WRITE, DENYOOM).keys(1, 1, 1));
    }

    /** AI.SCRIPTEXECUTE key fn [KEYS n k...] [INPUTS n t...] [ARGS n a...] [OUTPUTS n o...] [TIMEOUT ms]. */
    static Call parseExecute(Keyspace keyspace, Request request) {
        ScriptValue script = ScriptCommands.script(keyspace, Args.key(request, 1));
        if (request.size() < 4 || (!request.is(3, "KEYS") && !request.is(3, "INPUTS"))) {
            throw RespException.err("KEYS or INPUTS scope must be provided first for AI.SCRIPTEXECUTE command");
        }
        ArgCursor args = new ArgCursor(request, 3);
        List<String> keys = null;
        List<String> inputs = null;
        List<String> scriptArgs = null;
        List<String> outputs = null;
        long timeout = 0;
        while (!args.atEnd()) {
            String scope = args.next().toUpperCase(Locale.ROOT);
            switch (scope) {
                case "KEYS" -> {
                    checkKeys(request, args.position());
                    keys = scope(args, keys, "KEYS", "keys");
                }
                case "INPUTS" -> inputs = scope(args, inputs, "INPUTS", "inputs");
                case "ARGS" -> scriptArgs = scope(args, scriptArgs, "ARGS", "args");
                case "OUTPUTS" -> outputs = scope(args, outputs, "OUTPUTS", "outputs");
                case "TIMEOUT" -> {
                    if (args.atEnd()) {
                        throw RespException.err("No value provided for TIMEOUT in AI.SCRIPTEXECUTE");
                    }
                    timeout = args.nextLong("Invalid value for TIMEOUT");
                    if (timeout <= 0) {
                        throw RespException.err("Invalid value for TIMEOUT");
                    }
                    if (!args.atEnd()) {
                        throw RespException.err("Encountered problem parsing AI.SCRIPTEXECUTE");
                    }
                }
                default -> throw RespException.err("Invalid AI.SCRIPTEXECUTE command. Unexpected argument: "
                        + request.string(args.position() - 1));
            }
        }
        return new Call(script, request.string(2), orEmpty(keys), orEmpty(inputs), orEmpty(scriptArgs),
                orEmpty(outputs), -1, false, timeout);
    }

    /** RedisAI's checks of KEYS, made before the scope is read: a count above zero, then that many keys. */
    private static void checkKeys(Request request, int countPosition) {
        if (request.size() - countPosition < 2) {
            throw RespException.err("Missing arguments after KEYS keyword");
        }
        long count;
        try {
            count = Args.integer(request, countPosition);
        } catch (RespException e) {
            count = 0;
        }
        if (count <= 0) {
            throw RespException.err("Invalid or negative value found in number of KEYS");
        }
        if (count > request.size() - countPosition - 1) {
            throw RespException.err("Number of pre declared KEYS to be used in the command does not match the number "
                    + "of given arguments");
        }
    }

    /** A {@code count name...} scope; each may appear once. */
    private static List<String> scope(ArgCursor args, List<String> seen, String keyword, String kind) {
        if (seen != null) {
            throw RespException.err("Already Encountered " + keyword + " scope in AI.SCRIPTEXECUTE command");
        }
        if (args.atEnd()) {
            throw RespException.err("Invalid arguments provided to AI.SCRIPTEXECUTE");
        }
        long count = args.nextLong("Invalid argument for " + kind + " count in AI.SCRIPTEXECUTE");
        if (count < 0) {
            throw RespException.err("Invalid argument for " + kind + " count in AI.SCRIPTEXECUTE");
        }
        if (count > args.remaining()) {
            throw RespException.err("number of " + kind + " to AI.SCRIPTEXECUTE command does not match the number "
                    + "of given arguments");
        }
        List<String> values = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            values.add(args.next());
        }
        return values;
    }

    /** AI.SCRIPTRUN key fn [TIMEOUT ms] INPUTS in... [$ variadic...] OUTPUTS out... */
    static Call parseRun(Keyspace keyspace, Request request) {
        ScriptValue script = ScriptCommands.script(keyspace, Args.key(request, 1));
        ArgCursor args = new ArgCursor(request, 3);
        long timeout = 0;
        if (args.nextIs("TIMEOUT")) {
            timeout = args.nextLong("Invalid value for TIMEOUT");
            if (timeout <= 0) {
                throw RespException.err("Invalid value for TIMEOUT");
            }
        }
        if (!args.nextIs("INPUTS")) {
            throw RespException.err("INPUTS not specified");
        }
        List<String> inputs = new ArrayList<>();
        int positional = -1;
        boolean outputsGiven = false;
        while (!args.atEnd() && !outputsGiven) {
            if (args.nextIs("OUTPUTS")) {
                outputsGiven = true;
            } else if (args.nextIs("$")) {
                if (positional >= 0) {
                    throw RespException.err("Already encountered a variable size list of tensors");
                }
                positional = inputs.size();
            } else {
                inputs.add(args.next());
            }
        }
        if (!outputsGiven) {
            throw RespException.err("OUTPUTS not specified");
        }
        List<String> outputs = new ArrayList<>();
        while (!args.atEnd()) {
            if (args.nextIs("$")) {
                throw RespException.err("Encountered a variable size list of tensors outside of input section");
            }
            outputs.add(args.next());
        }
        boolean variadic = positional >= 0;
        return new Call(script, request.string(2), List.of(), inputs, List.of(), outputs,
                variadic ? positional : inputs.size(), variadic, timeout);
    }

    private static List<String> orEmpty(List<String> names) {
        return names == null ? List.of() : names;
    }
}
