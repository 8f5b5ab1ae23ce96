package org.inferis.backend.isolated;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.inferis.backend.BackendException;
import org.inferis.backend.Device;
import org.inferis.backend.EngineOptions;
import org.inferis.backend.IoNames;
import org.inferis.backend.LoadedModel;
import org.inferis.backend.LoadedScript;
import org.inferis.backend.ModelBackend;
import org.inferis.backend.NativeExit;
import org.inferis.backend.onnx.OnnxBackend;
import org.inferis.backend.tf.TfBackend;
import org.inferis.backend.torch.TorchBackend;
import org.inferis.tensor.Tensor;

/**
 * The engine process (engine-isolation): the engines' models and scripts live here, so that an engine that crashes
 * or takes all memory ends this process, not the server. It serves each connection of the server on a thread of its
 * own, one call at a time, and ends when the server does (its standard input closes).
 * Arguments: socket path, intra-op threads, inter-op threads, natives directory.
 */
public final class EngineHost {
    private final Map<String, ModelBackend> backends;
    private final TorchBackend torch;
    private final Map<Long, AutoCloseable> loaded = new ConcurrentHashMap<>();
    private final AtomicLong nextHandle = new AtomicLong();
    /** The thread running each server connection's call, by the connection's number, for TERMINATE. */
    private final Map<Long, Thread> calls = new ConcurrentHashMap<>();
    /** model-execution-timeout as the latest call carried it: TF stops its runs at it. */
    private volatile long deadlineMillis;

    private EngineHost(EngineOptions options, Path nativesDir) {
        this.torch = new TorchBackend(options);
        this.backends = Map.of("TORCH", torch, "ONNX", new OnnxBackend(options), "TF",
                new TfBackend(options, () -> deadlineMillis, () -> nativesDir));
    }

    public static void main(String[] args) throws IOException {
        Thread parentWatch = new Thread(EngineHost::exitWhenTheServerDoes, "inferis-engine-parent");
        parentWatch.setDaemon(true);
        parentWatch.start();
        EngineHost host = new EngineHost(new EngineOptions(Integer.parseInt(args[1]), Integer.parseInt(args[2])),
                Path.of(args[3]));
        host.torch.start();
        ai.onnxruntime.OrtEnvironment.getEnvironment();
        ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        listener.bind(UnixDomainSocketAddress.of(args[0]));
        for (int served = 1; ; served++) {
            SocketChannel connection = listener.accept();
            Thread thread = new Thread(() -> host.serve(connection), "inferis-engine-" + served);
            thread.setDaemon(true);
            thread.start();
        }
    }

    /** The server holds this process's standard input open; when it ends, however it ends, this process follows. */
    private static void exitWhenTheServerDoes() {
        try {
            while (System.in.read() >= 0) {
                // nothing is sent
            }
        } catch (IOException e) {
            // the same: the server is gone
        }
        NativeExit.now(0); // a call may be inside an engine: see NativeExit
    }

    private void serve(SocketChannel connection) {
        Wire.In in = new Wire.In();
        Wire.Out out = new Wire.Out();
        try (connection) {
            while (true) {
                in.receive(connection);
                out.start().putByte(Wire.OK);
                try {
                    answer(in, out);
                } catch (BackendException e) {
                    out.start().putByte(e.isEnginesWords() ? Wire.REFUSED_IN_ENGINES_WORDS : Wire.REFUSED)
                            .putString(e.getMessage());
                } catch (RuntimeException | OutOfMemoryError e) {
                    out.start().putByte(Wire.FAILED).putString(e.toString());
                }
                out.send(connection);
            }
        } catch (IOException e) {
            // the server closed the connection
        }
    }

    private void answer(Wire.In in, Wire.Out out) throws BackendException {
        Wire.Op op = in.op();
        switch (op) {
            case LOAD -> {
                ModelBackend backend = backends.get(in.getString());
                Device device = Device.parse(in.getString());
                IoNames names = new IoNames(in.getStrings(), in.getStrings());
                LoadedModel model = backend.load(in.getBytes(), device, names);
                out.putLong(keep(model)).putStrings(model.inputNames()).putStrings(model.outputNames());
            }
            case COMPILE -> {
                String source = in.getString();
                LoadedScript script = torch.compile(source, in.getStrings(), Device.parse(in.getString()));
                out.putLong(keep(script)).putStrings(script.functionNames());
            }
            case RUN, EXECUTE, CALL -> {
                AutoCloseable executable = loaded.get(in.getLong());
                long call = in.getLong();
                deadlineMillis = in.getLong();
                calls.put(call, Thread.currentThread());
                try {
                    out.putTensors(run(op, executable, in));
                } finally {
                    calls.remove(call);
                }
            }
            case TERMINATE -> {
                AutoCloseable executable = loaded.get(in.getLong());
                long call = in.getLong();
                Thread running = calls.get(call);
                boolean stopped = running == null || (executable instanceof LoadedModel model
                        ? model.terminate(running) : ((LoadedScript) executable).terminate(running));
                // false only while the call still runs: one that ended meanwhile needs no stopping (nor a kill)
                out.putBoolean(stopped || calls.get(call) != running);
            }
            case CLOSE -> {
                try (AutoCloseable closed = loaded.remove(in.getLong())) {
                    // closed here
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
            case VERSION -> out.putString(backends.get(in.getString()).engineVersion());
            case STARTED -> out.putBoolean(backends.get(in.getString()).isStarted());
        }
    }

    private static List<Tensor> run(Wire.Op op, AutoCloseable executable, Wire.In in) throws BackendException {
        if (op == Wire.Op.RUN) {
            return ((LoadedModel) executable).run(in.getTensors());
        }
        LoadedScript script = (LoadedScript) executable;
        String function = in.getString();
        if (op == Wire.Op.EXECUTE) {
            return script.execute(function, in.getTensors(), in.getStrings(), in.getStrings());
        }
        return script.call(function, in.getTensors(), in.getBoolean() ? in.getTensors() : null);
    }

    private long keep(AutoCloseable value) {
        long handle = nextHandle.incrementAndGet();
        loaded.put(handle, value);
        return handle;
    }
}
