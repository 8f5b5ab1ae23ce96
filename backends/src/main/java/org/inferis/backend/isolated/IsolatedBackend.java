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

    /** The engine's version once it started in the engine process (the same in every generation: the same jars). */
    private volatile String version;

    @Override
    public String engineVersion() {
        String known = version;
        if (known != null) {
            return known;
        }
        try {
            EngineProcess.Connection connection = engine.borrow();
            try {
                return askVersion(connection);
            } finally {
                engine.giveBack(connection);
            }
        } catch (BackendException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /**
     * Whether the engine started in the engine process, once: INFO asks on an event loop, so this never starts the
     * process or waits for it to start.
     */
    @Override
    public boolean isStarted() {
        if (version != null) {
            return true;
        }
        EngineProcess.Connection connection = engine.borrowIfRunning();
        if (connection == null) {
            return false;
        }
        try {
            connection.request(Wire.Op.STARTED).putString(name());
            if (connection.call().getBoolean()) {
                askVersion(connection);
                return true;
            }
            return false;
        } catch (BackendException e) {
            return false;
        } finally {
            engine.giveBack(connection);
        }
    }

    private String askVersion(EngineProcess.Connection connection) throws BackendException {
        connection.request(Wire.Op.VERSION).putString(name());
        String asked = connection.call().getString();
        version = asked;
        return asked;
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
