package org.inferis.command;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.inferis.keyspace.Key;
import org.inferis.resp.ArrayReply;
import org.inferis.resp.ErrorReply;
import org.inferis.resp.Reply;
import org.inferis.resp.SimpleStringReply;
import org.inferis.scheduler.QueueFullException;
import org.inferis.server.ClientSession;
import org.inferis.tensor.Tensor;

/**
 * One DAG being run: its steps in order over DAG-local tensors, model and script steps through the
 * scheduler (so batching applies), and PERSIST keys written together only when every step succeeded.
 * Steps follow one another through future callbacks: no thread waits.
 */
final class DagRun {
    private static final Reply NOT_RUN = new SimpleStringReply("NA");

    private final ClientSession client;
    private final List<DagCommand.Step> steps;
    private final Map<String, Tensor> locals;
    private final List<String> persist;
    private final long deadlineNanos;
    private final Reply[] replies;
    private final CompletableFuture<Reply> result = new CompletableFuture<>();
    /** The step's run now queued or running; cancelled with the DAG when the client leaves. */
    private volatile CompletableFuture<List<Tensor>> current;

    DagRun(ClientSession client, List<DagCommand.Step> steps, Map<String, Tensor> loaded, List<String> persist,
           long timeoutMillis) {
        this.client = client;
        this.steps = steps;
        this.locals = new HashMap<>(loaded);
        this.persist = persist;
        this.deadlineNanos = timeoutMillis > 0 ? System.nanoTime() + timeoutMillis * 1_000_000 : 0;
        this.replies = new Reply[steps.size()];
    }

    /** The DAG's reply: one entry per step, or TIMEDOUT. Cancelling it (the client left) stops later steps. */
    CompletableFuture<Reply> start() {
        result.whenComplete((reply, error) -> {
            CompletableFuture<List<Tensor>> running = current;
            if (error != null && running != null) {
                running.cancel(false);
            }
        });
        step(0);
        return result;
    }

    private void step(int index) {
        for (int i = index; i < steps.size(); i++) {
            if (result.isDone()) {
                return;
            }
            DagCommand.Step step = steps.get(i);
            if (step instanceof DagCommand.SetStep set) {
                locals.put(set.name(), set.tensor());
                replies[i] = SimpleStringReply.OK;
            } else if (step instanceof DagCommand.GetStep get) {
                replies[i] = get.format().of(locals.get(get.name()));
            } else {
                run(i, ((DagCommand.RunStep) step).call());
                return;
            }
        }
        finish();
    }

    private void run(int index, RunCall call) {
        long timeout = 0;
        if (deadlineNanos != 0) {
            timeout = Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000);
        }
        List<Tensor> inputs = new ArrayList<>(call.inputs().size());
        call.inputs().forEach(name -> inputs.add(locals.get(name)));
        CompletableFuture<List<Tensor>> outputs;
        try {
            outputs = call.start(client.server().scheduler(), inputs, timeout);
        } catch (QueueFullException e) {
            fail(index, RunReplies.BUSY);
            return;
        } catch (RuntimeException e) {
            fail(index, ErrorReply.err(String.valueOf(e.getMessage())));
            return;
        }
        current = outputs;
        if (result.isDone()) { // cancelled while the run was being queued
            outputs.cancel(false);
        }
        // continue on the client's event loop: engine workers only compute
        outputs.whenCompleteAsync((tensors, error) -> {
            if (error != null) {
                Reply failure = RunReplies.failure(error);
                if (failure == RunReplies.TIMEDOUT) {
                    result.complete(RunReplies.TIMEDOUT);
                } else if (failure != null) {
                    fail(index, failure);
                }
                return;
            }
            if (tensors.size() < call.outputs().size()) {
                fail(index, ErrorReply.err("the run returned " + tensors.size() + " outputs but "
                        + call.outputs().size() + " were given as OUTPUTS"));
                return;
            }
            for (int i = 0; i < call.outputs().size(); i++) {
                locals.put(call.outputs().get(i), tensors.get(i));
            }
            replies[index] = SimpleStringReply.OK;
            step(index + 1);
        }, client.executor());
    }

    /** The failed step holds its error, later steps did not run, and nothing is persisted. */
    private void fail(int index, Reply error) {
        replies[index] = error;
        Arrays.fill(replies, index + 1, replies.length, NOT_RUN);
        result.complete(new ArrayReply(Arrays.asList(replies)));
    }

    private void finish() {
        synchronized (client.server().keyspace()) {
            if (client.server().isStopping()) {
                result.cancel(false); // the server stopped taking writes: never acknowledge one it will not keep
                return;
            }
            for (String key : persist) {
                RunReplies.storeOutput(client.server(), Key.of(key), locals.get(key));
            }
        }
        result.complete(new ArrayReply(Arrays.asList(replies)));
    }
}
