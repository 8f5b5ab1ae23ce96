package org.inferis.keyspace;

import java.util.ArrayList;
import java.util.List;

/** One client's WATCHed keys and whether any of them changed since; the keyspace marks it (under its lock). */
public final class KeyWatch {
    private final List<Key> keys = new ArrayList<>();
    private boolean changed;

    boolean add(Key key) {
        if (keys.contains(key)) {
            return false;
        }
        keys.add(key);
        return true;
    }

    List<Key> keys() {
        return keys;
    }

    void markChanged() {
        changed = true;
    }

    boolean changed() {
        return changed;
    }

    void clear() {
        keys.clear();
        changed = false;
    }
}
