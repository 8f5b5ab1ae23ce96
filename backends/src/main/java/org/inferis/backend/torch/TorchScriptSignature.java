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
    private static final Pattern FORWARD = Pattern.compile("def forward\\(self: ([\\w.]+),?(.*?)\\) -> (.*?):\n",
            Pattern.DOTALL);

    static TorchScriptSignature read(byte[] archive) {
        String rootClass = null;
        List<String> code = new ArrayList<>();
        Map<String, byte[]> entries = ArchiveEntries.entries(archive,
                name -> name.endsWith("/data.pkl") || (name.contains("/code/__torch__") && name.endsWith(".py")));
        for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
            if (entry.getKey().endsWith("/data.pkl") && rootClass == null) {
                // the pickle's first GLOBAL opcode names the root module's class
                Matcher global = ROOT_CLASS.matcher(new String(entry.getValue(), StandardCharsets.ISO_8859_1));
                if (global.find()) {
                    rootClass = global.group(1) + "." + global.group(2);
                }
            } else if (entry.getKey().endsWith(".py")) {
                code.add(new String(entry.getValue(), StandardCharsets.UTF_8));
            }
        }
        for (String source : code) {
            Matcher forward = FORWARD.matcher(source);
            while (forward.find()) {
                if (forward.group(1).equals(rootClass)) {
                    return new TorchScriptSignature(argumentNames(forward.group(2)), outputs(forward.group(3).trim()));
                }
            }
        }
        return UNKNOWN;
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
