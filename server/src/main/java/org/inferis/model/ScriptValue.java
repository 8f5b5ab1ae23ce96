package org.inferis.model;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import org.inferis.backend.Device;
import org.inferis.backend.LoadedScript;
import org.inferis.keyspace.ValueType;
import org.inferis.scheduler.ModelQueue;
import org.inferis.scheduler.Runner;

/** A TorchScript script stored under a key: its source, entry points and the compiled script. */
public final class ScriptValue extends ExecutableValue {
    private final String device;
    private final String tag;
    private final List<String> entryPoints;
    private final String source;
    private final LoadedScript script;
    private final ModelQueue queue;

    /**
     * @param name        the key it is stored under, for metrics
     * @param concurrency calls of the script that may run at once on its device
     */
    public ScriptValue(String name, Device device, String tag, List<String> entryPoints, String source, LoadedScript script,
                       int concurrency) {
        this.device = device.text();
        this.tag = tag;
        this.entryPoints = List.copyOf(entryPoints);
        this.source = source;
        this.script = script;
        // every script run brings its own call; the instances only bound how many run at once
        Runner unused = inputs -> {
            throw new IllegalStateException("a script run carries its own call");
        };
        this.queue = new ModelQueue(name, device.queueName(), new ModelQueue.Policy(0, 0, 0, 0),
                Collections.nCopies(concurrency, unused));
    }

    @Override
    public String deviceText() {
        return device;
    }

    @Override
    public String tag() {
        return tag;
    }

    public List<String> entryPoints() {
        return entryPoints;
    }

    public String source() {
        return source;
    }

    public LoadedScript script() {
        return script;
    }

    @Override
    public ModelQueue queue() {
        return queue;
    }

    @Override
    protected void free() {
        script.close();
    }

    @Override
    public ValueType type() {
        return ValueType.SCRIPT;
    }

    @Override
    public long byteSize() {
        return source.getBytes(StandardCharsets.UTF_8).length;
    }
}
