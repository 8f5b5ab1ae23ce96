package org.inferis.command;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import org.inferis.backend.BackendException;
import org.inferis.keyspace.Key;
import org.inferis.keyspace.Keyspace;
import org.inferis.keyspace.TensorValue;
import org.inferis.keyspace.Value;
import org.inferis.keyspace.WrongTypeException;
import org.inferis.persistence.RecreateCommands;
import org.inferis.resp.ErrorReply;
import org.inferis.resp.Reply;
import org.inferis.resp.RespException;
import org.inferis.resp.SimpleStringReply;
import org.inferis.scheduler.RunScheduler;
import org.inferis.server.ClientSession;
import org.inferis.tensor.Tensor;
import org.slf4j.LoggerFactory;

/** What model and script runs share: their input tensors, output keys, and replies once they end. */
final class RunReplies {
    static final Reply TIMEDOUT = new SimpleStringReply("TIMEDOUT");
    static final Reply BUSY = new ErrorReply("BUSY model queue is full");

    private RunReplies() {
    }

    /** The tensors under the keys, or RedisAI's error for a missing one. */
    static List<Tensor> tensors(Keyspace keyspace, List<Key> keys) {
        List<Tensor> tensors = new ArrayList<>(keys.size());
        for (Key key : keys) {
            TensorValue value = keyspace.get(key, TensorValue.class);
            if (value == null) {
                throw RespException.err("tensor key is empty or in a different shard");
            }
            tensors.add(value.tensor());
        }
        return tensors;
    }

    /** The output keys, once none holds a value of another kind. */
    static List<Key> checkedOutputs(Keyspace keyspace, List<Key> keys) {
        for (Key key : keys) {
            Value value = keyspace.get(key);
            if (value != null && !(value instanceof TensorValue)) {
                throw new WrongTypeException();
            }
        }
        return keys;
    }

    /** Stores a run's outputs under its output keys, all at once. */
    static Reply stored(CommandContext server, List<Key> outputKeys, List<Tensor> outputs) {
        if (outputs.size() < outputKeys.size()) {
            return ErrorReply.err("the run returned " + outputs.size() + " outputs but " + outputKeys.size()
                    + " were given as OUTPUTS");
        }
        synchronized (server.keyspace()) {
            if (server.isStopping()) {
                return null; // the server stopped taking writes: this one is neither stored nor acknowledged
            }
            for (int i = 0; i < outputKeys.size(); i++) {
                storeOutput(server, outputKeys.get(i), outputs.get(i));
            }
        }
        return SimpleStringReply.OK;
    }

    /**
     * Stores a run's output tensor and logs it as its effect, so the append-only file does not re-run the model.
     * The caller holds the keyspace lock.
     */
    static void storeOutput(CommandContext server, Key key, Tensor tensor) {
        TensorValue value = new TensorValue(tensor);
        server.keyspace().put(key, value);
        server.persistence().changes().propagate(RecreateCommands.of(key, value));
    }

    /** Keys of the names. */
    static List<Key> keys(List<String> names) {
        return names.stream().map(Key::of).toList();
    }

    /**
     * The reply once the run ends: its outputs stored, or why it did not run. Storing happens on the client's event
     * loop, not on the engine worker; the run itself is what a client that leaves cancels.
     */
    static Reply pending(ClientSession client, List<Key> outputKeys, CompletableFuture<List<Tensor>> outputs) {
        return PendingReply.ofRun(outputs.handleAsync((tensors, error) -> error == null
                ? stored(client.server(), outputKeys, tensors)
                : failure(error), client.executor()), outputs);
    }

    /** The reply for a run that failed, timed out in its queue, or whose client left (null: nobody to answer). */
    static Reply failure(Throwable error) {
        Throwable cause = PendingReply.causeOf(error);
        if (cause instanceof RunScheduler.TimedOutException) {
            return TIMEDOUT;
        }
        if (cause instanceof CancellationException) {
            return null; // the client has gone; nobody to answer
        }
        if (cause instanceof BackendException) {
            return ErrorReply.err(cause.getMessage());
        }
        LoggerFactory.getLogger(RunReplies.class).warn("a run failed", cause);
        return ErrorReply.err("internal error while running (the server log has the details)");
    }
}
