package org.inferis.backend.torch;

import ai.djl.engine.Engine;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import org.inferis.backend.BackendException;
import org.inferis.backend.Device;
import org.inferis.backend.EngineOptions;
import org.inferis.backend.LoadedModel;
import org.inferis.backend.ModelBackend;

/** TorchScript models on libtorch, through DJL's PyTorch engine, loaded from bytes. */
public final class TorchBackend implements ModelBackend {
    private final EngineOptions options;
    private volatile Engine engine;

    public TorchBackend(EngineOptions options) {
        this.options = options;
    }

    @Override
    public String name() {
        return "TORCH";
    }

    /** Starts libtorch once (about two seconds), applying the thread options before any work runs. */
    private Engine engine() {
        Engine started = engine;
        if (started == null) {
            synchronized (this) {
                started = engine;
                if (started == null) {
                    started = Engine.getEngine("PyTorch");
                    if (options.intraOpThreads() > 0) {
                        JniUtils.setNumThreads(options.intraOpThreads());
                    }
                    if (options.interOpThreads() > 0) {
                        JniUtils.setNumInteropThreads(options.interOpThreads());
                    }
                    engine = started;
                }
            }
        }
        return started;
    }

    @Override
    public LoadedModel load(byte[] blob, Device device) throws BackendException {
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
        PtNDManager manager = (PtNDManager) torch.newBaseManager(target);
        try {
            PtSymbolBlock block = JniUtils.loadModule(manager, new ByteArrayInputStream(blob), true, false);
            return new TorchModel(manager, block, TorchScriptSignature.read(blob));
        } catch (Exception | UnsatisfiedLinkError e) {
            manager.close();
            throw new BackendException("could not load TORCH model: " + BackendException.firstLine(e), e);
        }
    }
}
