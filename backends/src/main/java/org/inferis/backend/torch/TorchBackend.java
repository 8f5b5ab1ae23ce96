package org.inferis.backend.torch;

import ai.djl.engine.Engine;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.inferis.backend.BackendException;
import org.inferis.backend.Device;
import org.inferis.backend.EngineOptions;
import org.inferis.backend.IoNames;
import org.inferis.backend.LoadedModel;
import org.inferis.backend.LoadedScript;
import org.inferis.backend.ModelBackend;
import org.inferis.backend.ScriptCompiler;

/** TorchScript models on libtorch, through DJL's PyTorch engine, loaded from bytes. */
public final class TorchBackend implements ModelBackend, ScriptCompiler {
    private final EngineOptions options;
    private volatile Engine engine;

    public TorchBackend(EngineOptions options) {
        this.options = options;
    }

    @Override
    public String name() {
        return "TORCH";
    }

    private static final java.util.regex.Pattern REDIS_CALLS = java.util.regex.Pattern.compile("\\bredis(AI)?\\.\\w+\\s*\\(");

    /** libtorch's thread pools are per process and can be sized only once, before any work runs. */
    private static final AtomicBoolean THREADS_CONFIGURED = new AtomicBoolean();

    @Override
    public String engineVersion() {
        return engine().getVersion();
    }

    @Override
    public boolean isStarted() {
        return engine != null;
    }

    /** Starts libtorch now rather than at the first model (about two seconds). */
    public void start() {
        engine();
    }

    /** Starts libtorch once, applying the thread options first. */
    private Engine engine() {
        Engine started = engine;
        if (started == null) {
            synchronized (this) {
                started = engine;
                if (started == null) {
                    started = Engine.getEngine("PyTorch");
                    if (THREADS_CONFIGURED.compareAndSet(false, true)) {
                        if (options.intraOpThreads() > 0) {
                            JniUtils.setNumThreads(options.intraOpThreads());
                        }
                        if (options.interOpThreads() > 0) {
                            JniUtils.setNumInteropThreads(options.interOpThreads());
                        }
                    }
                    engine = started;
                }
            }
        }
        return started;
    }

    @Override
    public LoadedScript compile(String source, List<String> entryPoints, Device device) throws BackendException {
        if (REDIS_CALLS.matcher(source).find()) {
            throw new BackendException("the script calls redis.* or redisAI.*, which need RedisAI's native "
                    + "TorchScript extensions; Inferis does not provide them");
        }
        SourceNesting.check(source, "the script");
        RefusedOperators.check(source, "the script");
        String notAFunction = ScriptSource.topLevelStatementError(source);
        if (notAFunction != null) {
            throw BackendException.enginesWords(oneLine(notAFunction), null);
        }
        Map<String, ScriptSource.Function> functions = ScriptSource.functions(source);
        PtNDManager manager = newManager(device);
        PtSymbolBlock block;
        try {
            // compiled first, as RedisAI does: a syntax error is reported as such, not as a missing entry point
            block = JniUtils.loadModule(manager, new ByteArrayInputStream(ScriptSource.archive(source, functions)),
                    true, false);
        } catch (Exception | UnsatisfiedLinkError e) {
            manager.close();
            throw BackendException.enginesWords(compileError(e), e);
        }
        try {
            checkEntryPoints(entryPoints, functions);
        } catch (BackendException e) {
            manager.close();
            throw e;
        }
        return new TorchScript(manager, block, functions);
    }

    private static void checkEntryPoints(List<String> entryPoints, Map<String, ScriptSource.Function> functions)
            throws BackendException {
        for (String entryPoint : entryPoints) {
            ScriptSource.Function function = functions.get(entryPoint);
            if (function == null) {
                throw new BackendException("Function " + entryPoint + " does not exist in the given script.");
            }
            if (function.parameters().size() != 3) {
                throw new BackendException("Wrong number of inputs in function " + entryPoint + ". Expected 3 but was "
                        + function.parameters().size());
            }
            if (!function.takesExecuteLists()) {
                throw new BackendException("Wrong inputs type in function " + entryPoint + ". Expected signature "
                        + "similar to: def " + entryPoint + "(tensors: List[Tensor], keys: List[str], args: List[str])");
            }
        }
    }

    /**
     * libtorch's compile error with the line it names in the user's source (which comes first in the archive), as
     * RedisAI answers it: on one line, file {@code <string>}, without the trace through the generated wrapper.
     */
    private static String compileError(Throwable error) {
        StringBuilder text = new StringBuilder();
        for (String line : String.valueOf(error.getMessage()).split("\n")) {
            if (line.contains("is being compiled since it was called from")) {
                break;
            }
            text.append(line.replace("code/__torch__.py", "<string>").replace("__torch__.", "")).append('\n');
        }
        return oneLine(text.toString());
    }

    /** A multi-line engine message as one error line: RedisAI's form, each line break a space, blank lines dropped. */
    private static String oneLine(String message) {
        StringBuilder text = new StringBuilder();
        for (String line : message.split("\n")) {
            if (!line.isBlank()) {
                text.append(line.stripTrailing()).append(' ');
            }
        }
        return text.toString();
    }

    @Override
    public LoadedModel load(byte[] blob, Device device, IoNames names) throws BackendException {
        Map<String, String> code = ArchiveEntries.code(blob);
        for (Map.Entry<String, String> file : code.entrySet()) {
            SourceNesting.check(file.getValue(), file.getKey());
            RefusedOperators.check(file.getValue(), file.getKey());
        }
        Map<String, byte[]> pickles = ArchiveEntries.readable(blob, ArchiveEntries::isPickle);
        for (Map.Entry<String, byte[]> pickle : pickles.entrySet()) {
            RefusedOperators.checkPickle(pickle.getValue(), pickle.getKey());
        }
        PtNDManager manager = newManager(device);
        try {
            PtSymbolBlock block = JniUtils.loadModule(manager, new ByteArrayInputStream(blob), true, false);
            return new TorchModel(manager, block, TorchScriptSignature.read(code, pickles), StatefulCode.mayKeepState(code));
        } catch (Exception | UnsatisfiedLinkError e) {
            manager.close();
            throw BackendException.enginesWords(BackendException.withoutTrace(e), e); // libtorch's, as RedisAI answers
        }
    }

    private PtNDManager newManager(Device device) throws BackendException {
        Engine torch = engine();
        ai.djl.Device target = ai.djl.Device.cpu();
        if (device.gpu()) {
            if (torch.getGpuCount() <= device.index()) {
                throw new BackendException("GPU requested but libtorch sees " + torch.getGpuCount()
                        + " CUDA device(s): this server runs the CPU build of libtorch (pytorch-native-cpu); "
                        + "a GPU host needs a CUDA libtorch " + torch.getVersion() + " (see README)");
            }
            target = ai.djl.Device.gpu(device.index());
        }
        return (PtNDManager) torch.newBaseManager(target);
    }
}
