package org.inferis.keyspace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class GlobPatternTest {
    private static boolean match(String pattern, String text) {
        return GlobPattern.of(pattern).matches(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void matchesAsRedisDoes() {
        assertEquals(true, match("*", ""));
        assertEquals(true, match("h?llo", "hello"));
        assertEquals(false, match("h?llo", "hllo"));
        assertEquals(true, match("h*llo", "heeeello"));
        assertEquals(true, match("h[ae]llo", "hallo"));
        assertEquals(false, match("h[^e]llo", "hello"));
        assertEquals(true, match("h[a-b]llo", "hbllo"));
        assertEquals(false, match("h[a-b]llo", "hcllo"));
        assertEquals(true, match("a\\*b", "a*b"));
        assertEquals(false, match("a\\*b", "axb"));
        assertEquals(true, match("tensor:*:in", "tensor:42:in"));
        assertEquals(false, match("tensor:*:in", "tensor:42:out"));
        assertEquals(true, GlobPattern.of("PROTO-*").matchesIgnoreCase("proto-max-bulk-len"));
    }
}
