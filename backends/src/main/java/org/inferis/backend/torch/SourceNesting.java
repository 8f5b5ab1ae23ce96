package org.inferis.backend.torch;

import java.util.ArrayDeque;
import org.inferis.backend.BackendException;

/**
 * Refuses TorchScript source nested deeper than libtorch's recursive parser should be asked to go. The limits
 * are CPython's own (200 open brackets, 100 indentation levels), so no valid Python program is refused; the
 * loader threads' large stacks cover whatever recursion remains within them.
 */
final class SourceNesting {
    static final int MAX_BRACKETS = 200;
    static final int MAX_INDENTS = 100;

    private SourceNesting() {
    }

    /** @param where the file named in the error */
    static void check(String source, String where) throws BackendException {
        int brackets = 0;
        ArrayDeque<Integer> indents = new ArrayDeque<>();
        boolean lineStart = true;
        int indent = 0;
        char quote = 0;
        for (int i = 0; i < source.length(); i++) {
            char c = source.charAt(i);
            if (quote != 0) { // inside a string literal: brackets do not count
                if (c == '\\') {
                    i++;
                } else if (c == quote || c == '\n') {
                    quote = 0;
                }
                continue;
            }
            if (lineStart) {
                if (c == ' ' || c == '\t') {
                    indent++;
                    continue;
                }
                lineStart = false;
                if (c != '\n' && c != '#' && brackets == 0) {
                    while (!indents.isEmpty() && indents.peek() > indent) {
                        indents.pop();
                    }
                    if (indent > 0 && (indents.isEmpty() || indents.peek() < indent)) {
                        indents.push(indent);
                        if (indents.size() > MAX_INDENTS) {
                            throw tooDeep(where, "indentation levels", MAX_INDENTS);
                        }
                    }
                }
            }
            switch (c) {
                case '(', '[', '{' -> {
                    if (++brackets > MAX_BRACKETS) {
                        throw tooDeep(where, "nested brackets", MAX_BRACKETS);
                    }
                }
                case ')', ']', '}' -> brackets = Math.max(0, brackets - 1);
                case '"', '\'' -> quote = c;
                case '#' -> {
                    while (i + 1 < source.length() && source.charAt(i + 1) != '\n') {
                        i++;
                    }
                }
                case '\n' -> {
                    lineStart = true;
                    indent = 0;
                }
                default -> {
                }
            }
        }
    }

    private static BackendException tooDeep(String where, String what, int limit) {
        return new BackendException(where + " is nested too deeply: more than " + limit + " " + what
                + " (the limit CPython sets too)");
    }
}
