package org.inferis.backend.torch;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The argument names and output count of a TorchScript module's {@code forward}, read from the code
 * that the archive carries ({@code code/__torch__*.py}), which libtorch does not expose through DJL.
 * RedisAI reports both in AI.MODELGET and checks MODELEXECUTE's counts against them.
 *
 * @param inputs  forward's argument names, without {@code self}
 * @param outputs one "" per output; empty when the return type does not fix a count (a list, a dict)
 */
record TorchScriptSignature(List<String> inputs, List<String> outputs) {
    static final TorchScriptSignature UNKNOWN = new TorchScriptSignature(List.of(), List.of());
    private static final Pattern ROOT_CLASS = Pattern.compile("c(__torch__[\\w.]*)\n(\\w+)\n");

    /**
     * @param code    the archive's code files, name to text
     * @param pickles the archive's pickles, name to bytes: data.pkl's first GLOBAL opcode names the root class
     */
    static TorchScriptSignature read(Map<String, String> code, Map<String, byte[]> pickles) {
        String rootClass = null;
        for (Map.Entry<String, byte[]> pickle : pickles.entrySet()) {
            if (pickle.getKey().endsWith("/data.pkl")) {
                Matcher global = ROOT_CLASS.matcher(new String(pickle.getValue(), StandardCharsets.ISO_8859_1));
                if (global.find()) {
                    rootClass = global.group(1) + "." + global.group(2);
                }
                break;
            }
        }
        if (rootClass == null) {
            return UNKNOWN;
        }
        for (String source : code.values()) {
            TorchScriptSignature signature = forward(source, rootClass);
            if (signature != null) {
                return signature;
            }
        }
        return UNKNOWN;
    }

    /**
     * The signature of the root class's {@code def forward(self: <class>, ...) -> ...:}, found by searching
     * forward once from its first occurrence (a pattern tried at every start would take quadratic time on code
     * crafted with many unfinished ones).
     */
    private static TorchScriptSignature forward(String source, String rootClass) {
        String def = "def forward(self: " + rootClass;
        int start = -1;
        for (int at = source.indexOf(def); at >= 0 && start < 0; at = source.indexOf(def, at + 1)) {
            int next = at + def.length();
            if (next < source.length() && (source.charAt(next) == ',' || source.charAt(next) == ')')) {
                start = next;
            }
        }
        if (start < 0) {
            return null;
        }
        int arrow = source.indexOf(") -> ", start);
        int colon = arrow < 0 ? -1 : source.indexOf(":\n", arrow + 5);
        if (colon < 0) {
            return null;
        }
        String arguments = source.substring(source.charAt(start) == ',' ? start + 1 : start, arrow);
        return new TorchScriptSignature(argumentNames(arguments), outputs(source.substring(arrow + 5, colon).trim()));
    }

    private static List<String> argumentNames(String arguments) {
        List<String> names = new ArrayList<>();
        for (String argument : splitTopLevel(arguments)) {
            String trimmed = argument.trim();
            if (!trimmed.isEmpty()) {
                int colon = trimmed.indexOf(':');
                names.add((colon < 0 ? trimmed : trimmed.substring(0, colon)).trim());
            }
        }
        return names;
    }

    private static List<String> outputs(String returnType) {
        if (returnType.equals("Tensor")) {
            return List.of("");
        }
        if (returnType.startsWith("Tuple[") && returnType.endsWith("]")) {
            return Collections.nCopies(splitTopLevel(returnType.substring(6, returnType.length() - 1)).size(), "");
        }
        return List.of();
    }

    /** Splits on commas outside brackets: {@code a: Tensor, b: Tuple[Tensor, Tensor]} is two parts. */
    static List<String> splitTopLevel(String text) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '[' || c == '(') {
                depth++;
            } else if (c == ']' || c == ')') {
                depth--;
            } else if (c == ',' && depth == 0) {
                parts.add(text.substring(start, i));
                start = i + 1;
            }
        }
        if (!text.substring(start).isBlank()) {
            parts.add(text.substring(start));
        }
        return parts;
    }
}
