package org.inferis.keyspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KeyTest {
    @Test
    void equalBytesAreEqualKeysWithOneHash() {
        byte[] bytes = "a key longer than eight bytes".getBytes();
        assertEquals(new Key(bytes), new Key(bytes.clone()));
        assertEquals(new Key(bytes).hashCode(), new Key(bytes.clone()).hashCode());
        assertEquals(0, new Key(bytes).compareTo(new Key(bytes.clone())));
        assertNotEquals(new Key(bytes), new Key("a key longer than eight byteS".getBytes()));
    }

    @Test
    void keysOrderAsUnsignedBytesAsRedisDoes() {
        Key high = new Key(new byte[] {(byte) 0xFF});
        Key low = new Key(new byte[] {0x01});
        assertTrue(high.compareTo(low) > 0, "0xFF sorts after 0x01, as memcmp has it");
        assertTrue(new Key(new byte[] {1}).compareTo(new Key(new byte[] {1, 0})) < 0, "a prefix sorts first");
        assertTrue(new Key(new byte[0]).compareTo(low) < 0);
    }
}
