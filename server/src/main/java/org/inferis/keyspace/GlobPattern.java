package org.inferis.keyspace;

import java.nio.charset.StandardCharsets;

/** Redis's glob matching (KEYS, SCAN MATCH, CONFIG GET): {@code * ? [abc] [^a] [a-z] \x}. */
public final class GlobPattern {
    private final byte[] pattern;
    private final boolean matchesAll;

    public GlobPattern(byte[] pattern) {
        this.pattern = pattern;
        this.matchesAll = pattern.length == 1 && pattern[0] == '*';
    }

    public static GlobPattern of(String pattern) {
        return new GlobPattern(pattern.getBytes(StandardCharsets.UTF_8));
    }

    public boolean matches(byte[] text) {
        return matchesAll || match(0, text, 0, false);
    }

    public boolean matchesIgnoreCase(String text) {
        return matchesAll || match(0, text.getBytes(StandardCharsets.UTF_8), 0, true);
    }

    private boolean match(int p, byte[] s, int i, boolean nocase) {
        while (p < pattern.length) {
            byte c = pattern[p];
            switch (c) {
                case '*' -> {
                    while (p + 1 < pattern.length && pattern[p + 1] == '*') {
                        p++;
                    }
                    if (p + 1 == pattern.length) {
                        return true;
                    }
                    for (int k = i; k <= s.length; k++) {
                        if (match(p + 1, s, k, nocase)) {
                            return true;
                        }
                    }
                    return false;
                }
                case '?' -> {
                    if (i >= s.length) {
                        return false;
                    }
                    i++;
                }
                case '[' -> {
                    if (i >= s.length) {
                        return false;
                    }
                    p++;
                    boolean not = p < pattern.length && pattern[p] == '^';
                    if (not) {
                        p++;
                    }
                    boolean found = false;
                    while (p < pattern.length && pattern[p] != ']') {
                        if (pattern[p] == '\\' && p + 1 < pattern.length) {
                            p++;
                            found |= same(pattern[p], s[i], nocase);
                        } else if (p + 2 < pattern.length && pattern[p + 1] == '-' && pattern[p + 2] != ']') {
                            int lo = fold(pattern[p], nocase);
                            int hi = fold(pattern[p + 2], nocase);
                            int ch = fold(s[i], nocase);
                            found |= ch >= Math.min(lo, hi) && ch <= Math.max(lo, hi);
                            p += 2;
                        } else {
                            found |= same(pattern[p], s[i], nocase);
                        }
                        p++;
                    }
                    if (found == not) {
                        return false;
                    }
                    i++;
                }
                case '\\' -> {
                    if (p + 1 < pattern.length) {
                        p++;
                    }
                    if (i >= s.length || !same(pattern[p], s[i], nocase)) {
                        return false;
                    }
                    i++;
                }
                default -> {
                    if (i >= s.length || !same(c, s[i], nocase)) {
                        return false;
                    }
                    i++;
                }
            }
            p++;
        }
        return i == s.length;
    }

    private static boolean same(byte a, byte b, boolean nocase) {
        return fold(a, nocase) == fold(b, nocase);
    }

    private static int fold(byte c, boolean nocase) {
        return nocase ? Character.toLowerCase(c & 0xff) : c & 0xff;
    }
}
