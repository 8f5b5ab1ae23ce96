package org.inferis.persistence;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.inferis.config.ServerConfig;
import org.inferis.keyspace.Key;
import org.inferis.keyspace.Keyspace;
import org.inferis.keyspace.Value;
import org.inferis.model.ModelOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stop saves with the keyspace locked; the cron's scheduled save may have begun just before and be waiting for
 * that lock. Seen in CI: SIGTERM right after "1 changes in 1 seconds. Saving..." and the server never exited, the
 * stop retrying its save while the cron's, claimed but not started, waited for the lock the stop held.
 */
class SaveDuringStopTest {
    @TempDir
    Path dir;

    @Test
    void aScheduledSaveWaitingForTheLockLetsTheStopSave() throws Exception {
        ServerConfig config = ServerConfig.fromArguments(new String[] {"--dir", dir.toString(), "--save", "1 1"});
        Keyspace keyspace = new Keyspace(Clock.systemUTC());
        Persistence persistence = new Persistence(config, keyspace, new NoEngines(), () -> true, reason -> {
            throw new AssertionError(reason);
        });
        CompletableFuture<Boolean> stopSaved = new CompletableFuture<>();
        Thread stop = new Thread(() -> {
            synchronized (keyspace) {
                Thread cron = new Thread(persistence::save, "cron");
                cron.start();
                while (cron.getState() != Thread.State.BLOCKED) { // the cron's save, waiting for the lock
                    Thread.onSpinWait();
                }
                stopSaved.complete(persistence.prepareShutdown(true));
            }
        }, "stop");
        stop.setDaemon(true); // deadlocked, it must not keep the JVM alive; nor is the persistence closed then
        stop.start();
        try {
            assertTrue(stopSaved.get(60, TimeUnit.SECONDS), "the stop's save");
        } catch (TimeoutException e) {
            throw new AssertionError("the stop's save waited for the cron's, which waited for the stop's lock", e);
        }
        assertTrue(Files.exists(dir.resolve(config.getString("dbfilename"))), "the snapshot was written");
        stop.join();
        persistence.close();
    }

    private static final class NoEngines implements ExecutableLoader {
        @Override
        public Value model(Key key, ModelOptions options, byte[] blob) {
            throw new IllegalStateException("no engines here");
        }

        @Override
        public Value script(Key key, String device, String tag, List<String> entryPoints, String source) {
            throw new IllegalStateException("no engines here");
        }
    }
}
