package org.inferis.command;

import static org.inferis.command.CommandFlag.DENYOOM;
import static org.inferis.command.CommandFlag.WRITE;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.inferis.keyspace.Key;
import org.inferis.keyspace.Keyspace;
import org.inferis.model.ScriptValue;
import org.inferis.resp.Reply;
import org.inferis.resp.Request;
import org.inferis.resp.RespException;
import org.inferis.scheduler.QueueFullException;
import org.inferis.scheduler.Runner;
import org.inferis.server.ClientSession;
import org.inferis.tensor.Tensor;

/** AI.SCRIPTEXECUTE and the deprecated AI.SCRIPTRUN: script calls go through the device's run queue. */
final class ScriptExecuteCommand {
    private static final String GROUP = "ai";
    private static final String COMMAND = "AI.SCRIPTEXECUTE";

    private ScriptExecuteCommand() {
    }

    static void register(CommandTable table) {
        table.add(CommandSpec.of(COMMAND, -5, GROUP, "Runs a script function.", ScriptExecuteCommand::execute,
                        WRITE, DENYOOM).keys(1, 1, 1))
                .add(CommandSpec.of("AI.SCRIPTRUN", -6, GROUP, "Runs a script function (deprecated form).",
                        ScriptExecuteCommand::run, WRITE, DENYOOM).keys(1, 1, 1));
    }

    /** AI.SCRIPTEXECUTE key fn [KEYS n k...] [INPUTS n t...] [ARGS n a...] [OUTPUTS n o...] [TIMEOUT ms]. */
    private static Reply execute(ClientSession client, Request request) {
        Keyspace keyspace = client.server().keyspace();
        ScriptValue script = ScriptCommands.script(keyspace, Args.key(request, 1));
        String function = request.string(2);
        ArgCursor args = new ArgCursor(request, 3);
        if (!request.is(3, "KEYS") && !request.is(3, "INPUTS")) {
            throw RespException.err("KEYS or INPUTS scope must be provided first for AI.SCRIPTEXECUTE command");
        }
        List<String> keys = null;
        List<String> inputs = null;
        List<String> scriptArgs = null;
        List<String> outputs = null;
        long timeout = 0;
        while (!args.atEnd()) {
            String scope = args.next().toUpperCase(java.util.Locale.ROOT);
            switch (scope) {
                case "KEYS" -> keys = scope(args, keys, "KEYS", "keys");
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
        List<Tensor> tensors = RunReplies.tensors(keyspace, keyList(inputs));
        List<Key> outputKeys = RunReplies.checkedOutputs(keyspace, keyList(outputs));
        List<String> keyNames = keys == null ? List.of() : keys;
        List<String> argValues = scriptArgs == null ? List.of() : scriptArgs;
        return submit(client, script, tensors, outputKeys, timeout,
                in -> script.script().execute(function, in, keyNames, argValues));
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
    private static Reply run(ClientSession client, Request request) {
        Keyspace keyspace = client.server().keyspace();
        ScriptValue script = ScriptCommands.script(keyspace, Args.key(request, 1));
        String function = request.string(2);
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
        List<String> positional = new ArrayList<>();
        List<String> variadic = null;
        boolean outputsGiven = false;
        while (!args.atEnd() && !outputsGiven) {
            if (args.nextIs("OUTPUTS")) {
                outputsGiven = true;
            } else if (variadic == null && args.nextIs("$")) {
                variadic = new ArrayList<>();
            } else {
                (variadic == null ? positional : variadic).add(args.next());
            }
        }
        if (!outputsGiven) {
            throw RespException.err("OUTPUTS not specified");
        }
        List<String> outputs = new ArrayList<>();
        while (!args.atEnd()) {
            outputs.add(args.next());
        }
        List<Tensor> positionalTensors = RunReplies.tensors(keyspace, keyList(positional));
        List<Tensor> variadicTensors = variadic == null ? null : RunReplies.tensors(keyspace, keyList(variadic));
        List<Tensor> all = new ArrayList<>(positionalTensors);
        if (variadicTensors != null) {
            all.addAll(variadicTensors);
        }
        int split = positionalTensors.size();
        boolean hasVariadic = variadicTensors != null;
        return submit(client, script, all, RunReplies.checkedOutputs(keyspace, keyList(outputs)), timeout,
                in -> script.script().call(function, in.subList(0, split), hasVariadic ? in.subList(split, in.size()) : null));
    }

    private static List<Key> keyList(List<String> names) {
        return names == null ? List.of() : names.stream().map(Key::of).toList();
    }

    private static Reply submit(ClientSession client, ScriptValue script, List<Tensor> inputs, List<Key> outputKeys,
                                long timeout, Runner call) {
        if (!script.acquire()) {
            throw RespException.err("script key is empty");
        }
        CompletableFuture<List<Tensor>> outputs;
        try {
            outputs = client.server().scheduler().submitCall(script.queue(), inputs, call, timeout, script::release);
        } catch (QueueFullException e) {
            script.release();
            return RunReplies.BUSY;
        }
        return new PendingReply(outputs.handle((tensors, error) -> error == null
                ? RunReplies.stored(client.server().keyspace(), outputKeys, tensors)
                : RunReplies.failure(error)));
    }
}
