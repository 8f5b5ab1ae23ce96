package org.inferis.backend.tf;

import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.inferis.backend.BackendException;
import org.inferis.backend.Device;
import org.inferis.backend.EngineOptions;
import org.inferis.backend.IoNames;
import org.inferis.backend.LoadedModel;
import org.inferis.backend.ModelBackend;
import org.inferis.tensor.DType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Session;
import org.tensorflow.TensorFlow;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.GraphOptions;
import org.tensorflow.proto.RewriterConfig;

/**
 * TensorFlow frozen graphs (TF1 GraphDefs, as RedisAI's TF backend takes them) through TensorFlow for Java. Its
 * natives (~650 MB unpacked) load on the first TF store or {@code AI.CONFIG LOADBACKEND TF}, never at start-up, and
 * unpack into the directory given, not a home directory.
 */
public final class TfBackend implements ModelBackend {
    private static final Logger LOG = LoggerFactory.getLogger(TfBackend.class);
    /** JavaCPP's setting for where it unpacks natives; read when its loader first runs. */
    private static final String CACHE_DIR_PROPERTY = "org.bytedeco.javacpp.cachedir";

    private final EngineOptions options;
    private final LongSupplier runTimeoutMillis;
    private final Supplier<Path> nativesDir;
    private volatile String version;

    /**
     * @param runTimeoutMillis the longest a run may take (0: no limit), read at each run: TF stops the run itself
     * @param nativesDir       where the natives unpack, asked once, when the engine loads
     */
    public TfBackend(EngineOptions options, LongSupplier runTimeoutMillis, Supplier<Path> nativesDir) {
        this.options = options;
        this.runTimeoutMillis = runTimeoutMillis;
        this.nativesDir = nativesDir;
    }

    @Override
    public String name() {
        return "TF";
    }

    @Override
    public boolean needsIoNames() {
        return true;
    }

    @Override
    public String unavailableReason() {
        String platform = platform();
        if (TfBackend.class.getClassLoader().getResource("org/tensorflow/internal/c_api/" + platform + "/") != null) {
            return null;
        }
        return "this server was built without TensorFlow (mvn install -Dno-tensorflow), or its platform (" + platform
                + ") has none; build it without that option to run TF models";
    }

    @Override
    public boolean isStarted() {
        return version != null;
    }

    @Override
    public String engineVersion() {
        try {
            return start();
        } catch (BackendException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** Loads TensorFlow's natives once (a few seconds the first time they unpack); returns TF's version. */
    public synchronized String start() throws BackendException {
        if (version != null) {
            return version;
        }
        String unavailable = unavailableReason();
        if (unavailable != null) {
            throw new BackendException(unavailable);
        }
        Path dir = nativesDir.get().toAbsolutePath();
        if (System.getProperty(CACHE_DIR_PROPERTY) == null) {
            System.setProperty(CACHE_DIR_PROPERTY, dir.toString());
        }
        long start = System.nanoTime();
        try {
            version = TensorFlow.version();
        } catch (LinkageError | RuntimeException e) {
            throw new BackendException("could not load TensorFlow's natives into "
                    + System.getProperty(CACHE_DIR_PROPERTY) + ": " + e, e);
        }
        LOG.info("TensorFlow {} loaded in {} ms (natives in {})", version, (System.nanoTime() - start) / 1_000_000,
                System.getProperty(CACHE_DIR_PROPERTY));
        return version;
    }

    @Override
    public LoadedModel load(byte[] blob, Device device, IoNames names) throws BackendException {
        start();
        if (device.gpu()) {
            throw new BackendException("GPU requested but TF couldn't find CUDA: this server runs TensorFlow's CPU "
                    + "build (tensorflow-core-native " + platform() + ")");
        }
        GraphDef definition;
        try {
            definition = GraphDef.parseFrom(blob);
        } catch (InvalidProtocolBufferException e) {
            // TF's own answer, which RedisAI's clients compare whole; the parser's detail goes to the log
            LOG.warn("Invalid GraphDef ({} bytes): {}", blob.length, BackendException.whole(e));
            throw BackendException.enginesWords("Invalid GraphDef", e);
        }
        FunctionCalls.check(definition);
        FileOps.check(definition);
        TrustingOps.check(definition);
        ArgumentCounts.check(definition);
        ConstantFills.check(definition);
        definition = BoundedSizes.guard(definition);
        DType[] narrowInputs = new DType[names.inputs().size()];
        definition = NarrowTypes.widenInputs(definition, names.inputs(), narrowInputs);
        Graph graph = new Graph();
        try {
            graph.importGraphDef(definition);
            checkNames(graph, names, narrowInputs);
            List<String> feeds = new ArrayList<>();
            for (int i = 0; i < narrowInputs.length; i++) {
                feeds.add(names.inputs().get(i) + (narrowInputs[i] == null ? "" : NarrowTypes.WIDE));
            }
            DType[] narrowOutputs = new DType[names.outputs().size()];
            List<String> fetches = new ArrayList<>();
            for (int i = 0; i < narrowOutputs.length; i++) {
                fetches.add(NarrowTypes.fetchName(graph, names.outputs().get(i), narrowOutputs, i));
            }
            return new TfModel(graph, new Session(graph, sessionConfig()), names,
                    new TfModel.Io(feeds, narrowInputs, fetches, narrowOutputs), runTimeoutMillis);
        } catch (BackendException e) {
            graph.close();
            throw e;
        } catch (RuntimeException e) { // TF's status exceptions and IllegalArgumentException from the import
            graph.close();
            throw BackendException.enginesWords(BackendException.whole(e), e);
        }
    }

    /**
     * RedisAI's rule: each input is a Placeholder of the graph (the widened ones were, before their Cast took their
     * name), each output an operation of it.
     */
    private static void checkNames(Graph graph, IoNames names, DType[] narrowInputs) throws BackendException {
        for (int i = 0; i < narrowInputs.length; i++) {
            String input = names.inputs().get(i);
            GraphOperation operation = graph.operation(input);
            if (narrowInputs[i] == null && (operation == null || !operation.type().equals("Placeholder"))) {
                throw new BackendException("Input node named \"" + input + "\" not found in TF graph.");
            }
        }
        for (String output : names.outputs()) {
            if (graph.operation(output) == null) {
                throw new BackendException("Output node named \"" + output + "\" not found in TF graph");
            }
        }
    }

    /**
     * Grappler's constant folding is off: it computes a graph's constant subgraphs as the first run starts and writes
     * each result back as a constant, a CHECK that aborts the process past 2 GiB of strings (an AsString of two
     * constants with a width of 2^30). Frozen graphs hold their weights as constants already: the reference CNN ran
     * as fast without it (in-process p50 137-168 µs with, 143-152 without; a batch of 16: 413 and 413).
     */
    private ConfigProto sessionConfig() {
        ConfigProto.Builder config = ConfigProto.newBuilder().setAllowSoftPlacement(true)
                .setGraphOptions(GraphOptions.newBuilder().setRewriteOptions(
                        RewriterConfig.newBuilder().setConstantFolding(RewriterConfig.Toggle.OFF)));
        if (options.intraOpThreads() > 0) {
            config.setIntraOpParallelismThreads(options.intraOpThreads());
        }
        if (options.interOpThreads() > 0) {
            config.setInterOpParallelismThreads(options.interOpThreads());
        }
        return config.build();
    }

    /** The classifier of tensorflow-core-native's jar for this machine (JavaCPP's platform name). */
    private static String platform() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        String osName = os.startsWith("mac") ? "macosx" : os.startsWith("windows") ? "windows" : "linux";
        String archName = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64"
                : arch.equals("aarch64") || arch.equals("arm64") ? "arm64" : arch;
        return osName + "-" + archName;
    }
}
