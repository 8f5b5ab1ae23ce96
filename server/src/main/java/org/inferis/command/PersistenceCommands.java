package org.inferis.command;

import static org.inferis.command.CommandFlag.ADMIN;
import static org.inferis.command.CommandFlag.FAST;
import static org.inferis.command.CommandFlag.LOADING;
import static org.inferis.command.CommandFlag.STALE;

import java.util.concurrent.CompletableFuture;
import org.inferis.resp.ErrorReply;
import org.inferis.resp.IntegerReply;
import org.inferis.resp.Reply;
import org.inferis.resp.Request;
import org.inferis.resp.SimpleStringReply;
import org.inferis.server.ClientSession;

/** SAVE, BGSAVE, LASTSAVE and BGREWRITEAOF. */
final class PersistenceCommands {
    private static final String GROUP = "server";

    private PersistenceCommands() {
    }

    static void register(CommandTable table) {
        table.add(CommandSpec.of("save", 1, GROUP, "Synchronously saves the database(s) to disk.",
                        PersistenceCommands::save, ADMIN))
                .add(CommandSpec.of("bgsave", -1, GROUP, "Asynchronously saves the database(s) to disk.",
                        PersistenceCommands::bgsave, ADMIN))
                .add(CommandSpec.of("lastsave", 1, GROUP, "Returns the Unix timestamp of the last successful save.",
                        PersistenceCommands::lastsave, FAST, LOADING, STALE))
                .add(CommandSpec.of("bgrewriteaof", 1, GROUP, "Asynchronously rewrites the append-only file to disk.",
                        PersistenceCommands::bgrewriteaof, ADMIN));
    }

    /**
     * Answers once the snapshot is on disk. Unlike Redis's SAVE it does not stop other clients: the snapshot is of
     * the moment SAVE ran, and writes meanwhile go on.
     */
    private static Reply save(ClientSession client, Request request) {
        return new PendingReply(client.server().persistence().save().handle((done, error) -> error == null
                ? SimpleStringReply.OK : failure(error)));
    }

    /** BGSAVE [SCHEDULE]: answers at once; a save already running is an error, as in Redis. */
    private static Reply bgsave(ClientSession client, Request request) {
        if (request.size() > 2 || (request.size() == 2 && !request.is(1, "SCHEDULE"))) {
            throw Args.syntaxError();
        }
        return started(client.server().persistence().save(), "Background saving started");
    }

    private static Reply lastsave(ClientSession client, Request request) {
        return IntegerReply.of(client.server().persistence().lastSaveSeconds());
    }

    private static Reply bgrewriteaof(ClientSession client, Request request) {
        return started(client.server().persistence().appendOnly().rewrite(),
                "Background append only file rewriting started");
    }

    /** The started message, or the error of a job refused at once (one already running, the file off). */
    private static Reply started(CompletableFuture<Void> job, String message) {
        if (job.isCompletedExceptionally()) {
            return failure(job.handle((done, error) -> error).join());
        }
        return new SimpleStringReply(message);
    }

    private static Reply failure(Throwable error) {
        Throwable cause = PendingReply.causeOf(error);
        return ErrorReply.err(cause instanceof IllegalStateException ? cause.getMessage() : "saving failed: " + (cause.getMessage() != null ? cause.getMessage() : "see the server log"));
    }
}
