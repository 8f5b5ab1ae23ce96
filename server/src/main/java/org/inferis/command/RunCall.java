package org.inferis.command;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.inferis.keyspace.Key;
import org.inferis.keyspace.Keyspace;
import org.inferis.resp.Reply;
import org.inferis.scheduler.QueueFullException;
import org.inferis.scheduler.RunScheduler;
import org.inferis.server.ClientSession;
import org.inferis.tensor.Tensor;

/** A parsed model or script run: names its input and output tensors and starts on the scheduler. */
interface RunCall {
    List<String> inputs();

    List<String> outputs();

    long timeoutMillis();

    /** Queues the run; the model or script stays referenced until it ends. */
    CompletableFuture<List<Tensor>> start(RunScheduler scheduler, List<Tensor> tensors, long timeout)
            throws QueueFullException;

    /** Runs on keyspace tensors and stores the outputs under their keys: the standalone commands. */
    static Reply submit(ClientSession client, RunCall call) {
        Keyspace keyspace = client.server().keyspace();
        List<Tensor> inputs = RunReplies.tensors(keyspace, RunReplies.keys(call.inputs()));
        List<Key> outputs = RunReplies.checkedOutputs(keyspace, RunReplies.keys(call.outputs()));
        try {
            return RunReplies.pending(client, outputs,
                    call.start(client.server().scheduler(), inputs, call.timeoutMillis()));
        } catch (QueueFullException e) {
            return RunReplies.BUSY;
        }
    }
}
