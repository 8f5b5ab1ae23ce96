package org.inferis.backend.isolated;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.inferis.backend.BackendException;
import org.inferis.backend.EngineOptions;

/**
 * The server's side of the engine process ({@link EngineHost}): starts it (again, after it died), and lends
 * connections to it, one call at a time each. A connection belongs to one life of the process, its generation;
 * what was loaded into an earlier one is gone and loads again ({@link IsolatedModel}).
 */
public final class EngineProcess implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EngineProcess.class);
    private static final long START_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(120);
    /**
     * JVM options of the server that must not be repeated in a second process: debuggers, agents, recordings, and the
     * heap's size, which is the server's (the engines' memory is native; the engine process's heap only passes tensors).
     */
    private static final List<String> NOT_INHERITED = List.of("-agentlib", "-agentpath", "-javaagent",
            "-Xrunjdwp", "-XX:StartFlightRecording", "-XX:+FlightRecorder", "-Xms", "-Xmx", "-XX:+AlwaysPreTouch",
            "-XX:InitialHeapSize", "-XX:MaxHeapSize");
    /** System properties the engines read (offline natives, their cache directories), set however the server was. */
    private static final List<String> ENGINE_PROPERTIES = List.of("ai.djl.", "org.bytedeco.", "org.tensorflow.");

    /**
     * @param memoryLimitBytes the engine process's data segment limit (RLIMIT_DATA); 0: none
     */
    public record Settings(EngineOptions options, LongSupplier deadlineMillis, Path nativesDir,
                           long memoryLimitBytes) {
    }

    /** A connection to one generation of the process. */
    final class Connection {
        final long generation;
        /** Its number, by which TERMINATE names the call on it. */
        final long id = connections.incrementAndGet();
        private final SocketChannel channel;
        private final Wire.Out out = new Wire.Out();
        private final Wire.In in = new Wire.In();
        /** The handle of the model or script its request calls; {@link #NO_HANDLE} for other requests. */
        private volatile long calling = NO_HANDLE;

        private Connection(long generation, SocketChannel channel) {
            this.generation = generation;
            this.channel = channel;
        }

        Wire.Out request(Wire.Op op) {
            calling = NO_HANDLE;
            return out.start().op(op);
        }

        /** A call of a model or script: after its handle, the connection's number and the current deadline. */
        Wire.Out runRequest(Wire.Op op, long handle) {
            Wire.Out request = request(op).putLong(handle).putLong(id).putLong(deadlineMillis());
            calling = handle;
            return request;
        }

        /**
         * Sends the request and waits for its answer; the process's death fails it with the reason, as the call that
         * crashed it when it was the only model or script called in the process then.
         */
        Wire.In call() throws BackendException {
            underWay.add(this);
            try {
                out.send(channel);
                return in.receive(channel).answer();
            } catch (IOException e) {
                close();
                Death death = died(generation);
                throw calling != NO_HANDLE && death.blamed() == calling
                        ? BackendException.crashedTheEngine(death.reason()) : new BackendException(death.reason());
            } finally {
                underWay.remove(this);
            }
        }

        void close() {
            try {
                channel.close();
            } catch (IOException e) {
                // closed either way
            }
        }
    }

    private static final String DIRECTORY_PREFIX = "inferis-engine-";
    private static final Pattern LEFT_DIRECTORY =
            Pattern.compile(DIRECTORY_PREFIX + "(\\d{1,18})-\\d+");
    private static final Pattern CRASH_SIGNAL = Pattern.compile("^#\\s+(SIG[A-Z]+) ");
    private static final Pattern CRASH_FRAME =
            Pattern.compile("^# [CVj]\\s+\\[([^+\\]]+)");

    /**
     * Why a generation died, and the handle of the model or script it is blamed on: the one whose calls alone were
     * under way in it (not when the server killed it), else {@link #NO_HANDLE}.
     */
    private record Death(String reason, long blamed) {
    }

    private static final long NO_HANDLE = -1;

    private final Settings settings;
    private final AtomicLong connections = new AtomicLong();
    /** The latest generation that died, by generation. */
    private final Map<Long, Death> deaths = new HashMap<>();
    /** Connections whose request is sent or being sent and not yet answered. */
    private final Set<Connection> underWay = ConcurrentHashMap.newKeySet();
    /**
     * The generation the server killed last (a call it could not stop, shutdown): a death it blames on no call, and a
     * process no call is lent to from the moment the kill begins.
     */
    private volatile long killed = -1;
    private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();
    private Path directory;
    /** Written under this object's lock; read without it, so INFO on an event loop never waits for a start. */
    private volatile Process process;
    private volatile long generation;
    /** A start is under way: what must not wait for it treats the process as not running. */
    private volatile boolean starting;
    private boolean closed;

    public EngineProcess(Settings settings) {
        this.settings = settings;
    }

    /** Starts the process unless it runs, and waits until it takes connections. */
    public synchronized void start() throws BackendException {
        if (closed) {
            throw new BackendException("the server is stopping");
        }
        if (process != null && process.isAlive() && killed != generation) {
            return;
        }
        starting = true;
        try {
            spawn();
        } finally {
            starting = false;
        }
    }

    private void spawn() throws BackendException {
        try {
            if (directory == null) {
                removeLeftDirectories();
                // only this user may enter it; named by the server's pid, so a later server can clear it away
                directory = Files.createTempDirectory(DIRECTORY_PREFIX + ProcessHandle.current().pid() + "-");
            }
            Files.deleteIfExists(socket());
            process = new ProcessBuilder(command()).redirectErrorStream(true).start();
            relayOutput(process);
        } catch (IOException e) {
            throw new BackendException("could not start the engine process: " + e.getMessage(), e);
        }
        generation++;
        LOG.info("Engine process {} started (pid {})", generation, process.pid());
        long deadline = System.nanoTime() + START_TIMEOUT_NANOS;
        while (true) { // until it listens: the engines start first (a few seconds)
            try {
                idle.addFirst(connect());
                return;
            } catch (IOException notYet) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    process.destroyForcibly();
                    throw new BackendException("the engine process did not start (" + ended(process) + "); see "
                            + "the log");
                }
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackendException("interrupted while the engine process started");
            }
        }
    }

    /**
     * Copies the engine process's output (its log, the engines' own lines) to the server's standard output, line by
     * line: inherited, it would write into whatever the server's stream is (a test runner's channel).
     */
    private static void relayOutput(Process engineProcess) {
        Thread relay = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(
                    engineProcess.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    System.out.println(line);
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "inferis-engine-output-" + engineProcess.pid());
        relay.setDaemon(true);
        relay.start();
    }

    private Connection connect() throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(socket()));
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        return new Connection(generation, channel);
    }

    /** The directories of servers that ended without removing theirs (killed): their pid runs no more. */
    private static void removeLeftDirectories() {
        Path temporary = Path.of(System.getProperty("java.io.tmpdir"));
        try (Stream<Path> entries = Files.list(temporary)) {
            for (Path left : (Iterable<Path>) entries::iterator) {
                Matcher name = LEFT_DIRECTORY.matcher(left.getFileName().toString());
                if (name.matches() && ProcessHandle.of(Long.parseLong(name.group(1))).isEmpty()) {
                    removeDirectory(left);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("Could not look for engine directories left in {}: {}", temporary, e.toString());
        }
    }

    private static void removeDirectory(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(file);
            }
        }
        Files.deleteIfExists(directory);
    }

    private Path socket() {
        return directory.resolve("engine.sock");
    }

    /** The same Java, class path and JVM options as the server's, running {@link EngineHost}. */
    private List<String> command() {
        List<String> command = new ArrayList<>();
        if (settings.memoryLimitBytes() > 0) {
            // a shell sets the limit and becomes the process: Java cannot set another process's limits
            command.addAll(List.of("/bin/sh", "-c", "ulimit -d " + settings.memoryLimitBytes() / 1024
                    + " && exec \"$0\" \"$@\""));
        }
        command.add(ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (NOT_INHERITED.stream().noneMatch(option::startsWith)) {
                command.add(option);
            }
        }
        for (String property : System.getProperties().stringPropertyNames()) {
            String option = "-D" + property + "=" + System.getProperty(property);
            if (ENGINE_PROPERTIES.stream().anyMatch(property::startsWith) && !command.contains(option)) {
                command.add(option);
            }
        }
        // a crash leaves its report where the server reads and removes it (died), and no core file
        command.addAll(List.of("-XX:ErrorFile=" + directory.resolve("crash-%p.log"), "-XX:-CreateCoredumpOnCrash"));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), EngineHost.class.getName(),
                socket().toString(), Integer.toString(settings.options().intraOpThreads()),
                Integer.toString(settings.options().interOpThreads()), settings.nativesDir().toString()));
        return command;
    }

    /** An idle connection to the running process, or a new one (starting the process when it is not running). */
    Connection borrow() throws BackendException {
        return lend(true);
    }

    /**
     * A connection when the process runs, else null, never starting it: for what must not wait for a start (INFO on
     * an event loop, freeing a model that went with its process).
     */
    Connection borrowIfRunning() {
        try {
            return lend(false);
        } catch (BackendException e) {
            return null;
        }
    }

    private Connection lend(boolean startIfNeeded) throws BackendException {
        for (Connection connection; (connection = idle.pollFirst()) != null; ) {
            if (connection.generation == currentGeneration()) {
                return connection;
            }
            connection.close();
        }
        if (!startIfNeeded && !isRunning()) {
            return null; // without waiting for a start under way
        }
        long connecting;
        synchronized (this) {
            if (startIfNeeded) {
                start();
            } else if (!isRunning()) {
                return null;
            }
            connecting = generation;
            Connection started = idle.pollFirst(); // the one start() made, or one given back meanwhile
            if (started != null && started.generation == generation) {
                return started;
            }
            if (started != null) {
                started.close();
            }
            try {
                return connect();
            } catch (IOException e) {
                // the process died since it started: said below, outside the lock
            }
        }
        throw new BackendException(died(connecting).reason());
    }

    /** Takes back a connection whose call was answered; the most recently used is lent first. */
    void giveBack(Connection connection) {
        if (connection.generation == currentGeneration() && connection.channel.isOpen()) {
            idle.addFirst(connection);
        } else {
            connection.close();
        }
    }

    private long currentGeneration() {
        return isRunning() ? generation : -1;
    }

    /**
     * Asks the engine to stop the call running on that connection (of that generation), through another connection;
     * false when it cannot (libtorch) or the process did not answer.
     */
    boolean terminate(Connection running, long handle) {
        Connection asking = borrowIfRunning();
        if (asking == null || asking.generation != running.generation) {
            if (asking != null) {
                giveBack(asking);
            }
            return true; // the process that ran it is gone, and the call with it
        }
        try {
            asking.request(Wire.Op.TERMINATE).putLong(handle).putLong(running.id);
            return asking.call().getBoolean();
        } catch (BackendException e) {
            return false;
        } finally {
            giveBack(asking);
        }
    }

    /** model-execution-timeout as it is now, in milliseconds (0: none). */
    long deadlineMillis() {
        return settings.deadlineMillis().getAsLong();
    }

    /**
     * Whether the process runs now and takes calls (engines in it may or may not have started); one being killed does
     * not: a call arriving meanwhile waits for the next one rather than be lent a connection to it.
     */
    public boolean isRunning() {
        Process running = process;
        return !starting && running != null && running.isAlive() && killed != generation;
    }

    /**
     * Ends the process of that generation at once, if it still runs: the only way to stop a call an engine cannot
     * interrupt. Every call under way in it fails; the next call starts a new one.
     */
    synchronized void kill(long ofGeneration, String reason) {
        if (ofGeneration == generation && process != null && process.isAlive()) {
            killed = ofGeneration;
            LOG.warn("Killing engine process {} (pid {}): {}", generation, process.pid(), reason);
            try {
                // gone before the next call is lent a connection to it
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Why a call to that generation got no answer, once its process has ended (it is killed if it has not): found by
     * the first such call and told to every other call that was under way in that process.
     */
    private Death died(long ofGeneration) {
        synchronized (deaths) {
            Death known = deaths.get(ofGeneration);
            if (known != null) {
                return known;
            }
            long blamed = blamed(ofGeneration); // before waiting: the calls under way are still those of the death
            Process ended;
            synchronized (this) {
                ended = ofGeneration == generation ? process : null;
            }
            if (ended == null) {
                return new Death("the engine process died during the call; the next call starts a new one", NO_HANDLE);
            }
            try {
                if (!ended.waitFor(2, TimeUnit.SECONDS)) {
                    ended.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            String crash = crashReport(ended.pid());
            String reason = "the engine process died during the call (" + (crash != null ? crash : ended(ended))
                    + "); the next call starts a new one and loads the models and scripts into it again";
            LOG.error("Engine process {}: {}", ofGeneration, reason);
            Death death = new Death(reason, killed == ofGeneration ? NO_HANDLE : blamed);
            deaths.clear(); // only the latest generation's calls are still coming back
            deaths.put(ofGeneration, death);
            return death;
        }
    }

    /** The one model or script whose calls were under way in that generation, or NO_HANDLE (none, or several). */
    private long blamed(long ofGeneration) {
        long blamed = NO_HANDLE;
        for (Connection connection : underWay) {
            if (connection.generation != ofGeneration) {
                continue;
            }
            long handle = connection.calling;
            if (handle == NO_HANDLE || (blamed != NO_HANDLE && handle != blamed)) {
                return NO_HANDLE; // a load or a close under way, or a second model: no telling which did it
            }
            blamed = handle;
        }
        return blamed;
    }

    /**
     * What the JVM's crash report of that process says failed ({@code SIGFPE in libtorch_cpu.so}), or null when it
     * left none; the report's head goes to the log and the file is removed (crashes on purpose must not fill a disk).
     */
    private String crashReport(long pid) {
        Path report = directory.resolve("crash-" + pid + ".log");
        try {
            if (!Files.exists(report)) {
                return null;
            }
            List<String> lines = Files.readAllLines(report, StandardCharsets.ISO_8859_1);
            Files.delete(report);
            String signal = null;
            String library = null;
            for (String line : lines.subList(0, Math.min(lines.size(), 20))) {
                Matcher signalLine = CRASH_SIGNAL.matcher(line);
                Matcher frameLine = CRASH_FRAME.matcher(line);
                if (signal == null && signalLine.find()) {
                    signal = signalLine.group(1);
                } else if (library == null && frameLine.find()) {
                    library = frameLine.group(1);
                }
            }
            LOG.error("Engine process {} crashed; its report begins:\n{}", pid,
                    String.join("\n", lines.subList(0, Math.min(lines.size(), 12))));
            return signal == null ? null : signal + (library == null ? "" : " in " + library);
        } catch (IOException e) {
            return null;
        }
    }

    private static String ended(Process process) {
        if (process.isAlive()) {
            return "it did not answer";
        }
        int status = process.exitValue();
        return status > 128 ? "killed by signal " + (status - 128) : "exit status " + status;
    }

    @Override
    public synchronized void close() {
        closed = true;
        killed = generation;
        if (process != null) {
            process.destroyForcibly();
        }
        for (Connection connection; (connection = idle.pollFirst()) != null; ) {
            connection.close();
        }
        if (directory != null) {
            try {
                removeDirectory(directory);
            } catch (IOException e) {
                LOG.warn("Could not remove {}: {}", directory, e.getMessage());
            }
        }
    }
}
