package org.inferis.backend.isolated;

import java.util.List;
import org.inferis.backend.BackendException;
import org.inferis.backend.Device;
import org.inferis.backend.IoNames;
import org.inferis.backend.LoadedModel;
import org.inferis.backend.LoadedScript;
import org.inferis.backend.ModelBackend;
import org.inferis.backend.ScriptCompiler;

/**
 * An engine run in the engine process: loads and compiles there. What the server knows without the engine (its
 * name, whether it needs io names, whether this build has it) comes from the engine's own backend, never started
 * in the server.
 */
public final class IsolatedBackend implements ModelBackend, ScriptCompiler {
    private final EngineProcess engine;
    private final ModelBackend local;

    public IsolatedBackend(EngineProcess engine, ModelBackend local) {
        this.engine = engine;
        this.local = local;
    }

    @Override
    public String name() {
        return local.name();
    }

    @Override
    public boolean needsIoNames() {
        return local.needsIoNames();
    }

    @Override
    public String unavailableReason() {
        return local.unavailableReason();
    }

    @Override
    public String engineVersion() {
        try {
            return ask(Wire.Op.VERSION, Wire.In::getString);
        } catch (BackendException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    @Override
    public boolean isStarted() {
        try {
            return engine.isRunning() && ask(Wire.Op.STARTED, Wire.In::getBoolean);
        } catch (BackendException e) {
            return false;
        }
    }

    private <T> T ask(Wire.Op op, java.util.function.Function<Wire.In, T> answer) throws BackendException {
        EngineProcess.Connection connection = engine.borrow();
        try {
            connection.request(op).putString(name());
            return answer.apply(connection.call());
        } finally {
            engine.giveBack(connection);
        }
    }

    @Override
    public LoadedModel load(byte[] blob, Device device, IoNames names) throws BackendException {
        IsolatedModel model = new IsolatedModel(engine, name(), blob, device, names);
        model.load();
        return model;
    }

    @Override
    public LoadedScript compile(String source, List<String> entryPoints, Device device) throws BackendException {
        IsolatedScript script = new IsolatedScript(engine, source, entryPoints, device);
        script.load();
        return script;
    }
}
