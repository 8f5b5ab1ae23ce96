package org.inferis.keyspace;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The single database: typed values with optional expiry. Not thread-safe: every caller holds
 * this object's monitor, which is what makes each command atomic with respect to other clients.
 *
 * <p>Each key gets a sequence number when it is created; SCAN walks keys in that order, so a key
 * present for the whole scan is returned exactly once whatever is added or removed meanwhile.
 */
public final class Keyspace {
    public static final long NO_EXPIRY = -1;

    private static final class Entry {
        final long sequence;
        Value value;
        long expireAt = NO_EXPIRY;

        Entry(long sequence, Value value) {
            this.sequence = sequence;
            this.value = value;
        }
    }

    /** One page of a SCAN. */
    public record ScanPage(long nextCursor, List<Key> keys) {
    }

    private final Map<Key, Entry> entries = new HashMap<>();
    private final NavigableMap<Long, Key> scanOrder = new TreeMap<>();
    private final Clock clock;
    private long nextSequence = 1;
    private int keysWithExpiry;
    private long expiredKeys;
    private long activeExpiryCursor;
    /** Bytes of keys and values stored: what maxmemory limits. */
    private long usedBytes;
    /** While an append-only file is replayed nothing expires, as in Redis: its commands ran when the keys were live. */
    private boolean expiryPaused;
    /** Clients' WATCHes by key: a change to the key marks each of them changed. */
    private final Map<Key, List<KeyWatch>> watches = new HashMap<>();

    public Keyspace(Clock clock) {
        this.clock = clock;
    }

    public long now() {
        return clock.millis();
    }

    /** The live value, or null; an expired key is deleted on the way. */
    public Value get(Key key) {
        Entry entry = liveEntry(key);
        return entry == null ? null : entry.value;
    }

    /** The live value if it has the given class, null if absent; WRONGTYPE if it is of another kind. */
    public <T extends Value> T get(Key key, Class<T> kind) {
        Value value = get(key);
        if (value == null) {
            return null;
        }
        if (!kind.isInstance(value)) {
            throw new WrongTypeException();
        }
        return kind.cast(value);
    }

    public boolean exists(Key key) {
        return liveEntry(key) != null;
    }

    /** Stores a value and drops any expiry, as Redis's SET does. */
    public void put(Key key, Value value) {
        put(key, value, false);
    }

    /** Stores a value; {@code keepExpiry} keeps the key's time to live (SET KEEPTTL). */
    public void put(Key key, Value value, boolean keepExpiry) {
        Entry entry = liveEntry(key);
        touch(key);
        if (entry == null) {
            entry = new Entry(nextSequence++, value);
            entries.put(key, entry);
            scanOrder.put(entry.sequence, key);
            usedBytes += key.bytes().length + value.byteSize();
        } else {
            if (entry.value != value) {
                usedBytes += value.byteSize() - entry.value.byteSize();
                entry.value.discarded();
            }
            entry.value = value;
            if (!keepExpiry) {
                clearExpiry(entry);
            }
        }
    }

    public boolean delete(Key key) {
        Entry entry = liveEntry(key);
        if (entry == null) {
            return false;
        }
        remove(key, entry);
        return true;
    }

    /** Moves a value and its expiry to another key, replacing what was there; false if the source is absent. */
    public boolean rename(Key from, Key to) {
        Entry source = liveEntry(from);
        if (source == null) {
            return false;
        }
        if (from.equals(to)) {
            return true;
        }
        long expireAt = source.expireAt;
        touch(from);
        unlink(from, source);
        usedBytes -= from.bytes().length + source.value.byteSize();
        put(to, source.value);
        if (expireAt != NO_EXPIRY) {
            setExpireAt(to, expireAt);
        }
        return true;
    }

    /** The absolute expiry time in ms, {@link #NO_EXPIRY}, or null when the key is absent. */
    public Long expireAt(Key key) {
        Entry entry = liveEntry(key);
        return entry == null ? null : entry.expireAt;
    }

    /** Sets the absolute expiry; a time already past deletes the key. False when the key is absent. */
    public boolean setExpireAt(Key key, long at) {
        Entry entry = liveEntry(key);
        if (entry == null) {
            return false;
        }
        touch(key);
        if (at <= now() && !expiryPaused) {
            remove(key, entry);
        } else {
            if (entry.expireAt == NO_EXPIRY) {
                keysWithExpiry++;
            }
            entry.expireAt = at;
        }
        return true;
    }

    /** Removes the expiry; true if there was one. */
    public boolean persist(Key key) {
        Entry entry = liveEntry(key);
        if (entry == null || entry.expireAt == NO_EXPIRY) {
            return false;
        }
        touch(key);
        clearExpiry(entry);
        return true;
    }

    /** Keys counted as Redis's DBSIZE does (expired keys not yet reclaimed included). */
    public int size() {
        return entries.size();
    }

    public int keysWithExpiry() {
        return keysWithExpiry;
    }

    public long expiredKeys() {
        return expiredKeys;
    }

    /** Bytes of keys and values stored, what {@code maxmemory} limits. */
    public long usedBytes() {
        return usedBytes;
    }

    /** The key's value changed in place (a list grew or shrank by {@code delta} bytes). */
    public void changedInPlace(Key key, long delta) {
        usedBytes += delta;
        touch(key);
    }

    public void clear() {
        watches.keySet().stream().filter(entries::containsKey).toList().forEach(this::touch);
        usedBytes = 0;
        entries.values().forEach(entry -> entry.value.discarded());
        entries.clear();
        scanOrder.clear();
        keysWithExpiry = 0;
    }

    /** Live keys accepted by the filter. */
    public List<Key> keys(Predicate<Key> filter) {
        List<Key> result = new ArrayList<>();
        long now = now();
        for (Map.Entry<Key, Entry> e : entries.entrySet()) {
            if (!isExpired(e.getValue(), now) && filter.test(e.getKey())) {
                result.add(e.getKey());
            }
        }
        return result;
    }

    /** Visits up to {@code count} keys from the cursor on; the next cursor is 0 when the walk is done. */
    public ScanPage scan(long cursor, int count, Predicate<Key> filter) {
        List<Key> result = new ArrayList<>();
        long now = now();
        long next = 0;
        int visited = 0;
        for (Map.Entry<Long, Key> e : scanOrder.tailMap(cursor, true).entrySet()) {
            if (visited == count) {
                next = e.getKey();
                break;
            }
            visited++;
            Key key = e.getValue();
            if (!isExpired(entries.get(key), now) && filter.test(key)) {
                result.add(key);
            }
        }
        return new ScanPage(next, result);
    }

    /** Value statistics: counts and bytes of each kind, for INFO. */
    public Map<ValueType, long[]> statsByType() {
        Map<ValueType, long[]> stats = new HashMap<>();
        for (Entry entry : entries.values()) {
            long[] countAndBytes = stats.computeIfAbsent(entry.value.type(), t -> new long[2]);
            countAndBytes[0]++;
            countAndBytes[1] += entry.value.byteSize();
        }
        return stats;
    }

    /** Deletes expired keys among the next {@code budget} keys of a walk that resumes where it stopped. */
    public void expireSome(int budget) {
        if (keysWithExpiry == 0 || expiryPaused) {
            return;
        }
        long now = now();
        var walk = scanOrder.tailMap(activeExpiryCursor, true).entrySet().iterator();
        List<Key> expired = new ArrayList<>();
        long resumeAt = 0;
        while (budget-- > 0) {
            if (!walk.hasNext()) {
                resumeAt = 0;
                break;
            }
            var e = walk.next();
            resumeAt = e.getKey() + 1;
            if (isExpired(entries.get(e.getValue()), now)) {
                expired.add(e.getValue());
            }
        }
        activeExpiryCursor = resumeAt;
        for (Key key : expired) {
            remove(key, entries.get(key));
            expiredKeys++;
        }
    }

    private Entry liveEntry(Key key) {
        Entry entry = entries.get(key);
        // read the clock only for keys that can expire
        if (entry != null && entry.expireAt != NO_EXPIRY && isExpired(entry, now())) {
            remove(key, entry);
            expiredKeys++;
            return null;
        }
        return entry;
    }

    private boolean isExpired(Entry entry, long now) {
        return entry.expireAt != NO_EXPIRY && entry.expireAt <= now && !expiryPaused;
    }

    /** Stops (true) or resumes expiry: keys past their time stay until it resumes. */
    public void pauseExpiry(boolean paused) {
        expiryPaused = paused;
    }

    /**
     * Every key with its value and expiry, as of now: what a snapshot writes. Lists, the one kind changed in
     * place, are copied; the other values are never modified once stored, so they are shared.
     */
    public List<StoredEntry> entries() {
        List<StoredEntry> all = new ArrayList<>(entries.size());
        for (Key key : scanOrder.values()) {
            Entry entry = entries.get(key);
            Value value = entry.value instanceof ListValue list ? list.copy() : entry.value;
            all.add(new StoredEntry(key, value, entry.expireAt));
        }
        return all;
    }

    /**
     * Watches the key for {@code watch}: any change to it from now on (a write, an expiry, a FLUSHALL) marks the
     * watch changed. A key already past its expiry is reclaimed first, so only later changes count.
     */
    public void watch(Key key, KeyWatch watch) {
        liveEntry(key);
        if (watch.add(key)) {
            watches.computeIfAbsent(key, k -> new ArrayList<>(1)).add(watch);
        }
    }

    /** Ends every watch of {@code watch} (UNWATCH, EXEC, DISCARD, a disconnect). */
    public void unwatch(KeyWatch watch) {
        for (Key key : watch.keys()) {
            List<KeyWatch> watchers = watches.get(key);
            if (watchers != null && watchers.remove(watch) && watchers.isEmpty()) {
                watches.remove(key);
            }
        }
        watch.clear();
    }

    /**
     * Whether a watched key changed, or expired since it was watched: its expiry reclaims it now, which counts as
     * a change (Redis 7's rule).
     */
    public boolean changedSinceWatched(KeyWatch watch) {
        watch.keys().forEach(this::liveEntry);
        return watch.changed();
    }

    private void touch(Key key) {
        if (!watches.isEmpty()) {
            List<KeyWatch> watchers = watches.get(key);
            if (watchers != null) {
                watchers.forEach(KeyWatch::markChanged);
            }
        }
    }

    private void remove(Key key, Entry entry) {
        touch(key);
        unlink(key, entry);
        usedBytes -= key.bytes().length + entry.value.byteSize();
        entry.value.discarded();
    }

    /** Takes the entry out of the keyspace without discarding its value (RENAME moves it). */
    private void unlink(Key key, Entry entry) {
        entries.remove(key);
        scanOrder.remove(entry.sequence);
        if (entry.expireAt != NO_EXPIRY) {
            keysWithExpiry--;
        }
    }

    private void clearExpiry(Entry entry) {
        if (entry.expireAt != NO_EXPIRY) {
            entry.expireAt = NO_EXPIRY;
            keysWithExpiry--;
        }
    }
}
