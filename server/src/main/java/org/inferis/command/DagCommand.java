package org.inferis.command;

import static org.inferis.command.CommandFlag.DENYOOM;
import static org.inferis.command.CommandFlag.READONLY;
import static org.inferis.command.CommandFlag.WRITE;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.inferis.keyspace.Key;
import org.inferis.keyspace.Keyspace;
import org.inferis.keyspace.TensorValue;
import org.inferis.resp.Reply;
import org.inferis.resp.Request;
import org.inferis.resp.RespException;
import org.inferis.server.ClientSession;
import org.inferis.tensor.Tensor;

/**
 * AI.DAGEXECUTE, AI.DAGEXECUTE_RO and the deprecated AI.DAGRUN / AI.DAGRUN_RO: parses and checks every
 * step before anything runs, then hands the plan to a {@link DagRun}.
 */
final class DagCommand {
    private static final String GROUP = "ai";
    private static final String SEPARATOR = "|>";

    /** A step of the DAG. */
    sealed interface Step permits SetStep, GetStep, RunStep {
    }

    record SetStep(String name, Tensor tensor) implements Step {
    }

    record GetStep(String name, TensorCommands.Format format) implements Step {
    }

    record RunStep(RunCall call) implements Step {
    }

    private DagCommand() {
    }

    static void register(CommandTable table) {
        table.add(CommandSpec.of("AI.DAGEXECUTE", -1, GROUP, "Runs a pipeline of tensor, model and script steps.",
                        TransactionCommands.refusedInTransaction((c, r) -> dag(c, r, "AI.DAGEXECUTE", false, false)), WRITE, DENYOOM))
                .add(CommandSpec.of("AI.DAGEXECUTE_RO", -1, GROUP, "Runs a pipeline that writes no keys.",
                        TransactionCommands.refusedInTransaction((c, r) -> dag(c, r, "AI.DAGEXECUTE_RO", true, false)), READONLY))
                .add(CommandSpec.of("AI.DAGRUN", -1, GROUP, "Runs a pipeline (deprecated form).",
                        TransactionCommands.refusedInTransaction((c, r) -> dag(c, r, "AI.DAGRUN", false, true)), WRITE, DENYOOM))
                .add(CommandSpec.of("AI.DAGRUN_RO", -1, GROUP, "Runs a read-only pipeline (deprecated form).",
                        TransactionCommands.refusedInTransaction((c, r) -> dag(c, r, "AI.DAGRUN_RO", true, true)), READONLY));
    }

    private static Reply dag(ClientSession client, Request request, String name, boolean readOnly, boolean deprecated) {
        if (request.size() < 2) {
            throw deprecated ? Args.wrongArity(name) : RespException.err("missing arguments for '" + name + "' command");
        }
        Keyspace keyspace = client.server().keyspace();
        Map<String, Tensor> loaded = new LinkedHashMap<>();
        List<String> persist = new ArrayList<>();
        boolean load = false;
        boolean persistGiven = false;
        boolean routing = false;
        long timeout = 0;
        ArgCursor args = new ArgCursor(request, 1);
        while (!args.atEnd() && !request.is(args.position(), SEPARATOR)) {
            if (args.nextIs("LOAD")) {
                load = true;
                for (String key : counted(args, "LOAD", "keys to LOAD into DAG does not match the number of given arguments")) {
                    loaded.put(key, tensor(keyspace, key));
                }
            } else if (args.nextIs("PERSIST")) {
                if (readOnly) {
                    throw RespException.err("PERSIST cannot be specified in a read-only DAG");
                }
                persistGiven = true;
                for (String key : counted(args, "PERSIST",
                        "keys to PERSIST after DAG execution does not match the number of given arguments")) {
                    if (persist.contains(key)) {
                        throw RespException.err("PERSIST keys must be unique");
                    }
                    persist.add(key);
                }
            } else if (args.nextIs("ROUTING")) {
                if (args.atEnd()) {
                    throw RespException.err("Missing ROUTING value");
                }
                args.next(); // one shard: every key is local
                routing = true;
            } else if (args.nextIs("TIMEOUT")) {
                if (args.atEnd()) {
                    throw RespException.err("No value provided for TIMEOUT");
                }
                timeout = args.nextLong("Invalid value for TIMEOUT");
                if (timeout <= 0) {
                    throw RespException.err("Invalid value for TIMEOUT");
                }
            } else {
                throw RespException.err("Invalid DAG command. Unexpected argument:  " + args.next());
            }
        }
        if (!deprecated && !load && !persistGiven && !routing) {
            throw RespException.err("AI.DAGEXECUTE and AI.DAGEXECUTE_RO commands must contain at least one out of "
                    + "ROUTING, LOAD, PERSIST keywords");
        }
        List<Step> steps = steps(client, request, args.position(), readOnly, deprecated);
        if (steps.isEmpty()) {
            throw RespException.err("DAG is empty");
        }
        check(steps, loaded.keySet(), persist);
        for (String key : persist) {
            RunReplies.checkedOutputs(keyspace, List.of(Key.of(key)));
        }
        CompletableFuture<Reply> run = new DagRun(client, steps, loaded, persist, timeout).start();
        return PendingReply.ofRun(run, run);
    }

    /** {@code count key...} after LOAD or PERSIST, checked as RedisAI does: a count and at least one key. */
    private static List<String> counted(ArgCursor args, String keyword, String mismatch) {
        if (args.remaining() < 2) {
            throw RespException.err("missing arguments after " + keyword + " keyword in DAG command");
        }
        long count = args.nextLong("invalid or negative value found in number of keys to " + keyword);
        if (count <= 0) {
            throw RespException.err("invalid or negative value found in number of keys to " + keyword);
        }
        if (count > args.remaining()) {
            throw RespException.err("number of " + mismatch);
        }
        List<String> keys = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            keys.add(args.next());
        }
        return keys;
    }

    private static Tensor tensor(Keyspace keyspace, String key) {
        TensorValue value = keyspace.get(Key.of(key), TensorValue.class);
        if (value == null) {
            throw RespException.err("tensor key is empty or in a different shard");
        }
        return value.tensor();
    }

    /** The steps between the {@code |>} separators, each parsed by its command's own parser. */
    private static List<Step> steps(ClientSession client, Request request, int start, boolean readOnly,
                                    boolean deprecated) {
        List<Step> steps = new ArrayList<>();
        int i = start;
        while (i < request.size()) {
            if (!request.is(i, SEPARATOR)) {
                throw RespException.err("Invalid DAG command. Unexpected argument:  " + request.string(i));
            }
            int end = i + 1;
            while (end < request.size() && !request.is(end, SEPARATOR)) {
                end++;
            }
            if (end == i + 1) {
                throw RespException.err("DAG is empty");
            }
            steps.add(step(client, request.view(i + 1, end), readOnly, deprecated));
            i = end;
        }
        return steps;
    }

    private static Step step(ClientSession client, Request op, boolean readOnly, boolean deprecated) {
        Keyspace keyspace = client.server().keyspace();
        String command = op.string(0).toUpperCase(java.util.Locale.ROOT);
        String dagName = deprecated ? "AI.DAGRUN" : "AI.DAGEXECUTE";
        CommandSpec spec = client.server().commands().lookup(op.arg(0));
        if (spec != null && !spec.acceptsArgumentCount(op.size())) {
            throw Args.wrongArity(spec.name()); // the step's own arity, as the command alone would be checked
        }
        RunCall call;
        switch (command) {
            case "AI.TENSORSET":
                return new SetStep(op.size() > 1 ? op.string(1) : "", TensorCommands.build(client, op));
            case "AI.TENSORGET":
                TensorCommands.Format format = TensorCommands.format(op);
                return new GetStep(op.string(1), format);
            case "AI.MODELEXECUTE":
                refuseInDeprecated(command, deprecated);
                call = ModelExecuteCommand.parseExecute(keyspace, op);
                break;
            case "AI.SCRIPTEXECUTE":
                refuseInDeprecated(command, deprecated);
                if (readOnly) {
                    throw RespException.err("AI.SCRIPTEXECUTE command cannot be specified in a read-only DAG");
                }
                call = ScriptExecuteCommand.parseExecute(keyspace, op);
                break;
            case "AI.MODELRUN", "AI.SCRIPTRUN":
                if (!deprecated) {
                    throw RespException.err("Deprecated " + command + " cannot be used in " + dagName + " command");
                }
                call = command.equals("AI.MODELRUN") ? ModelExecuteCommand.parseRun(keyspace, op)
                        : ScriptExecuteCommand.parseRun(keyspace, op);
                break;
            default:
                throw new RespException("Unsupported command within DAG");
        }
        if (call.timeoutMillis() > 0) {
            throw RespException.err("TIMEOUT not allowed within a DAG command");
        }
        return new RunStep(call);
    }

    private static void refuseInDeprecated(String command, boolean deprecated) {
        if (deprecated) {
            throw RespException.err(command + " cannot be used in a deprecated AI.DAGRUN command");
        }
    }

    /** Every input is loaded or made by an earlier step, and every PERSIST key exists at the end. */
    private static void check(List<Step> steps, Set<String> loaded, List<String> persist) {
        Set<String> available = new HashSet<>(loaded);
        for (Step step : steps) {
            if (step instanceof SetStep set) {
                available.add(set.name());
            } else if (step instanceof GetStep get) {
                requireInput(available, get.name());
            } else if (step instanceof RunStep run) {
                run.call().inputs().forEach(input -> requireInput(available, input));
                available.addAll(run.call().outputs());
            }
        }
        for (String key : persist) {
            if (!available.contains(key)) {
                throw RespException.err("PERSIST key cannot be found in DAG");
            }
        }
    }

    private static void requireInput(Set<String> available, String name) {
        if (!available.contains(name)) {
            throw RespException.err("INPUT key cannot be found in DAG");
        }
    }
}
