package org.inferis.backend.isolated;

import java.util.List;
import org.inferis.backend.BackendException;
import org.inferis.backend.Device;
import org.inferis.backend.IoNames;
import org.inferis.backend.LoadedModel;
import org.inferis.tensor.Tensor;

/** A model in the engine process; runs send their inputs there and bring the outputs back. */
final class IsolatedModel extends IsolatedExecutable implements LoadedModel {
    private final String backend;
    private final byte[] blob;
    private final Device device;
    private final IoNames names;
    private volatile List<String> inputNames;
    private volatile List<String> outputNames;

    IsolatedModel(EngineProcess engine, String backend, byte[] blob, Device device, IoNames names) {
        super(engine);
        this.backend = backend;
        this.blob = blob;
        this.device = device;
        this.names = names;
    }

    @Override
    long loadOn(EngineProcess.Connection connection) throws BackendException {
        connection.request(Wire.Op.LOAD).putString(backend).putString(device.text()).putStrings(names.inputs())
                .putStrings(names.outputs()).putBytes(blob);
        Wire.In answer = connection.call();
        long handle = answer.getLong();
        inputNames = answer.getStrings();
        outputNames = answer.getStrings();
        return handle;
    }

    @Override
    public List<String> inputNames() {
        return inputNames;
    }

    @Override
    public List<String> outputNames() {
        return outputNames;
    }

    @Override
    public List<Tensor> run(List<Tensor> inputs) throws BackendException {
        return exchange((connection, handle) -> {
            connection.runRequest(Wire.Op.RUN, handle).putTensors(inputs);
            return connection.call().getTensors();
        });
    }
}
