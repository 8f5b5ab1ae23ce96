package org.inferis.server;

import java.util.ArrayList;
import java.util.List;
import org.inferis.resp.Request;

/**
 * The keys of an {@code AI.MODELEXECUTE} that may start while the same connection's earlier runs are still pending,
 * so that a client pipelining runs gets them batched together. It may when it reads nothing those runs will write
 * and writes nothing they read or write: then running it early is indistinguishable from running it after them
 * (Redis's read-after-write order on one connection). Any other command waits for the replies before it, as before.
 */
record PipelinedRun(List<String> reads, List<String> writes) {

    /** The run's keys, or null when the request is not a well-formed AI.MODELEXECUTE (it then waits its turn). */
    static PipelinedRun of(Request request) {
        if (request.size() < 8 || !request.is(0, "AI.MODELEXECUTE") || !request.is(2, "INPUTS")) {
            return null;
        }
        List<String> reads = new ArrayList<>();
        reads.add(request.string(1)); // the model: a later store of it must not overtake
        int outputsAt = keys(request, 3, reads);
        if (outputsAt < 0 || outputsAt >= request.size() || !request.is(outputsAt, "OUTPUTS")) {
            return null;
        }
        List<String> writes = new ArrayList<>();
        int end = keys(request, outputsAt + 1, writes);
        return end == request.size() ? new PipelinedRun(reads, writes) : null; // TIMEOUT or junk: not pipelined
    }

    /** {@code count key...} at {@code at}: adds the keys, returns the position after them, or -1. */
    private static int keys(Request request, int at, List<String> into) {
        int count;
        try {
            count = Integer.parseInt(request.string(at));
        } catch (NumberFormatException e) {
            return -1;
        }
        if (count <= 0 || at + 1 + count > request.size()) {
            return -1;
        }
        for (int i = at + 1; i <= at + count; i++) {
            into.add(request.string(i));
        }
        return at + 1 + count;
    }

    /** Whether this run may start before {@code earlier} has ended. */
    boolean independentOf(PipelinedRun earlier) {
        return reads.stream().noneMatch(earlier.writes::contains)
                && writes.stream().noneMatch(key -> earlier.writes.contains(key) || earlier.reads.contains(key));
    }
}
