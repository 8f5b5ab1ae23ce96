package org.inferis.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.inferis.resp.Request;
import org.junit.jupiter.api.Test;

class PipelinedRunTest {
    private static PipelinedRun run(String command) {
        Request request = new Request(Arrays.stream(command.split(" "))
                .map(arg -> Unpooled.copiedBuffer(arg, StandardCharsets.UTF_8)).toArray(io.netty.buffer.ByteBuf[]::new));
        try {
            return PipelinedRun.of(request);
        } finally {
            request.release();
        }
    }

    @Test
    void aWellFormedModelExecuteNamesWhatItReadsAndWrites() {
        PipelinedRun run = run("AI.MODELEXECUTE m INPUTS 2 a b OUTPUTS 1 y");
        assertEquals(List.of("m", "a", "b"), run.reads());
        assertEquals(List.of("y"), run.writes());
    }

    @Test
    void anythingElseWaitsItsTurn() {
        assertNull(run("AI.TENSORGET y VALUES"));
        assertNull(run("AI.MODELEXECUTE m INPUTS 1 a OUTPUTS 1 y TIMEOUT 5"), "options: not pipelined");
        assertNull(run("AI.MODELEXECUTE m INPUTS 2 a OUTPUTS 1 y"), "a wrong count answers its error in turn");
        assertNull(run("AI.MODELEXECUTE m INPUTS x a OUTPUTS 1 y"));
    }

    @Test
    void independentUnlessItReadsTheirOutputsOrWritesTheirKeys() {
        PipelinedRun earlier = run("AI.MODELEXECUTE m INPUTS 1 a OUTPUTS 1 y");
        assertTrue(run("AI.MODELEXECUTE m INPUTS 1 a OUTPUTS 1 z").independentOf(earlier));
        assertFalse(run("AI.MODELEXECUTE m INPUTS 1 y OUTPUTS 1 z").independentOf(earlier), "reads its output");
        assertFalse(run("AI.MODELEXECUTE m INPUTS 1 b OUTPUTS 1 y").independentOf(earlier), "writes its output");
        assertFalse(run("AI.MODELEXECUTE m INPUTS 1 b OUTPUTS 1 a").independentOf(earlier), "writes its input");
    }
}
