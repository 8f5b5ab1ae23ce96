package org.inferis.keyspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KeyspaceTest {
    private final MutableClock clock = new MutableClock(1_000_000);
    private final Keyspace keyspace = new Keyspace(clock);

    private static StringValue string(String text) {
        return new StringValue(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void expiresLazilyOnAccess() {
        keyspace.put(Key.of("a"), string("1"));
        keyspace.setExpireAt(Key.of("a"), clock.millis() + 100);
        clock.advance(99);
        assertTrue(keyspace.exists(Key.of("a")));
        clock.advance(1);
        assertNull(keyspace.get(Key.of("a")));
        assertEquals(0, keyspace.size());
        assertEquals(1, keyspace.expiredKeys());
    }

    @Test
    void expiresActivelyWithoutAccess() {
        for (int i = 0; i < 50; i++) {
            keyspace.put(Key.of("k" + i), string("v"));
            if (i % 2 == 0) {
                keyspace.setExpireAt(Key.of("k" + i), clock.millis() + 10);
            }
        }
        clock.advance(10);
        keyspace.expireSome(30);
        keyspace.expireSome(30);
        assertEquals(25, keyspace.size());
        assertEquals(0, keyspace.keysWithExpiry());
    }

    @Test
    void setDropsExpiryUnlessKept() {
        Key key = Key.of("a");
        keyspace.put(key, string("1"));
        keyspace.setExpireAt(key, clock.millis() + 1000);
        keyspace.put(key, string("2"), true);
        assertEquals(clock.millis() + 1000, keyspace.expireAt(key));
        keyspace.put(key, string("3"));
        assertEquals(Keyspace.NO_EXPIRY, keyspace.expireAt(key));
        assertEquals(0, keyspace.keysWithExpiry());
    }

    @Test
    void renameCarriesExpiryAndReplacesTheTarget() {
        keyspace.put(Key.of("a"), string("1"));
        keyspace.put(Key.of("b"), string("2"));
        keyspace.setExpireAt(Key.of("a"), clock.millis() + 500);
        assertTrue(keyspace.rename(Key.of("a"), Key.of("b")));
        assertFalse(keyspace.exists(Key.of("a")));
        assertEquals(clock.millis() + 500, keyspace.expireAt(Key.of("b")));
        assertEquals("1", new String(((StringValue) keyspace.get(Key.of("b"))).bytes(), StandardCharsets.UTF_8));
        assertFalse(keyspace.rename(Key.of("missing"), Key.of("c")));
    }

    @Test
    void wrongKindIsWrongType() {
        keyspace.put(Key.of("a"), new ListValue());
        assertThrows(WrongTypeException.class, () -> keyspace.get(Key.of("a"), StringValue.class));
    }

    @Test
    void scanReturnsEveryKeyPresentThroughoutExactlyOnce() {
        for (int i = 0; i < 1000; i++) {
            keyspace.put(Key.of("k" + i), string("v"));
        }
        Set<String> seen = new HashSet<>();
        long cursor = 0;
        int round = 0;
        do {
            Keyspace.ScanPage page = keyspace.scan(cursor, 37, key -> true);
            for (Key key : page.keys()) {
                assertTrue(seen.add(key.toString()), "returned twice: " + key);
            }
            // churn while scanning: delete keys created for churn, add new ones
            keyspace.put(Key.of("new" + round), string("v"));
            keyspace.delete(Key.of("new" + (round - 1)));
            round++;
            cursor = page.nextCursor();
        } while (cursor != 0);
        for (int i = 0; i < 1000; i++) {
            assertTrue(seen.contains("k" + i), "missed k" + i);
        }
    }

    @Test
    void keysAppliesTheFilterToLiveKeysOnly() {
        keyspace.put(Key.of("user:1"), string("a"));
        keyspace.put(Key.of("user:2"), string("b"));
        keyspace.put(Key.of("other"), string("c"));
        keyspace.setExpireAt(Key.of("user:2"), clock.millis() + 1);
        clock.advance(1);
        GlobPattern pattern = GlobPattern.of("user:*");
        List<Key> keys = keyspace.keys(key -> pattern.matches(key.bytes()));
        assertEquals(List.of(Key.of("user:1")), keys);
    }
}
