package org.inferis.backend.isolated;

import java.util.List;
import java.util.Set;
import org.inferis.backend.BackendException;
import org.inferis.backend.Device;
import org.inferis.backend.LoadedScript;
import org.inferis.tensor.Tensor;

/** A TorchScript script compiled in the engine process; calls send their tensors and strings there. */
final class IsolatedScript extends IsolatedExecutable implements LoadedScript {
    private final String source;
    private final List<String> entryPoints;
    private final Device device;
    private volatile Set<String> functionNames;

    IsolatedScript(EngineProcess engine, String source, List<String> entryPoints, Device device) {
        super(engine);
        this.source = source;
        this.entryPoints = List.copyOf(entryPoints);
        this.device = device;
    }

    @Override
    long loadOn(EngineProcess.Connection connection) throws BackendException {
        connection.request(Wire.Op.COMPILE).putString(source).putStrings(entryPoints).putString(device.text());
        Wire.In answer = connection.call();
        long handle = answer.getLong();
        functionNames = Set.copyOf(answer.getStrings());
        return handle;
    }

    @Override
    public Set<String> functionNames() {
        return functionNames;
    }

    @Override
    public List<Tensor> execute(String fn, List<Tensor> tensors, List<String> keys, List<String> args)
            throws BackendException {
        return exchange((connection, handle) -> {
            connection.runRequest(Wire.Op.EXECUTE, handle).putString(fn).putTensors(tensors).putStrings(keys)
                    .putStrings(args);
            return connection.call().getTensors();
        });
    }

    @Override
    public List<Tensor> call(String fn, List<Tensor> positional, List<Tensor> variadic) throws BackendException {
        return exchange((connection, handle) -> {
            Wire.Out request = connection.runRequest(Wire.Op.CALL, handle).putString(fn).putTensors(positional)
                    .putBoolean(variadic != null);
            if (variadic != null) {
                request.putTensors(variadic);
            }
            return connection.call().getTensors();
        });
    }
}
