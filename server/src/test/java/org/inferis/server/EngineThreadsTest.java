package org.inferis.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import org.inferis.backend.EngineOptions;
import org.inferis.config.ServerConfig;
import org.junit.jupiter.api.Test;

/** The engines' thread counts chosen from the machine, and the options overriding them. */
class EngineThreadsTest {
    private static EngineOptions threads(int cores, String... options) throws IOException {
        return ServerContext.engineThreads(ServerConfig.fromArguments(options), cores);
    }

    @Test
    void aForwardGetsTheCoresTheEventLoopsLeaveSharedByTheWorkers() throws IOException {
        assertEquals(1, threads(2, "--io-threads", "1").intraOpThreads());
        assertEquals(8, threads(16, "--io-threads", "8").intraOpThreads());
        assertEquals(4, threads(16, "--io-threads", "8", "--threads-per-queue", "2").intraOpThreads());
        assertEquals(1, threads(4, "--io-threads", "4").intraOpThreads(), "never fewer than one");
        assertEquals(1, threads(16, "--io-threads", "8").interOpThreads());
    }

    @Test
    void optionsOverrideTheChoice() throws IOException {
        EngineOptions set = threads(2, "--intra-op-parallelism", "3", "--inter-op-parallelism", "2");
        assertEquals(3, set.intraOpThreads());
        assertEquals(2, set.interOpThreads());
    }
}
