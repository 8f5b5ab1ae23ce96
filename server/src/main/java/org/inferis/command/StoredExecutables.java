package org.inferis.command;

import java.util.ArrayList;
import java.util.List;
import org.inferis.keyspace.Key;
import org.inferis.keyspace.Keyspace;
import org.inferis.keyspace.Value;
import org.inferis.keyspace.WrongTypeException;
import org.inferis.model.ExecutableValue;
import org.inferis.resp.ArrayReply;
import org.inferis.resp.BulkReply;
import org.inferis.resp.ErrorReply;
import org.inferis.resp.Reply;
import org.inferis.resp.SimpleStringReply;
import org.inferis.server.ClientSession;

/** What storing and listing models and scripts have in common. */
final class StoredExecutables {
    private StoredExecutables() {
    }

    /** Stores a loaded model or script, unless its key came to hold another kind of value while it loaded. */
    static Reply install(ClientSession client, Key key, ExecutableValue value) {
        Keyspace keyspace = client.server().keyspace();
        synchronized (keyspace) {
            Value existing = keyspace.get(key);
            if (existing != null && existing.getClass() != value.getClass()) {
                value.release();
                return new ErrorReply(WrongTypeException.MESSAGE);
            }
            keyspace.put(key, value);
        }
        return SimpleStringReply.OK;
    }

    /** {@code [[key, tag], ...]} of every value of the kind, as AI._MODELSCAN and AI._SCRIPTSCAN reply. */
    static Reply scanTags(Keyspace keyspace, Class<? extends ExecutableValue> kind) {
        List<Reply> found = new ArrayList<>();
        for (Key key : keyspace.keys(key -> kind.isInstance(keyspace.get(key)))) {
            ExecutableValue value = kind.cast(keyspace.get(key));
            found.add(ArrayReply.of(BulkReply.of(key.bytes()), BulkReply.of(value.tag())));
        }
        return new ArrayReply(found);
    }
}
