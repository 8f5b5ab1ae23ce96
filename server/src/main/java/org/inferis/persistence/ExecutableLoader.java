package org.inferis.persistence;

import java.util.List;
import org.inferis.keyspace.Key;
import org.inferis.keyspace.Value;
import org.inferis.model.ModelOptions;

/** Re-creates the values a file holds as sources rather than data: models and scripts, loaded on their engines. */
public interface ExecutableLoader {
    /** @throws IllegalStateException with the engine's reason when it cannot load the model */
    Value model(Key key, ModelOptions options, byte[] blob);

    /** @throws IllegalStateException with the engine's reason when it cannot compile the script */
    Value script(Key key, String device, String tag, List<String> entryPoints, String source);
}
