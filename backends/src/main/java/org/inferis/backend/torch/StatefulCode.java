package org.inferis.backend.torch;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * Whether a TorchScript module's code may keep a tensor from one call to the next: it assigns an attribute
 * ({@code self.prev = x}) or changes a list or dict in place ({@code torch.append}, {@code torch._set_item}, ...), which
 * may be an attribute's. A bound call's input shares its memory with the next call's, so such a model's inputs are never
 * bound: a kept input would show later calls' data. Lists built locally trip it too; those models only run unbound.
 */
final class StatefulCode {
    private static final Pattern KEEPS = Pattern.compile(
            "\\b\\w+\\.\\w+ = |\\btorch\\.(append|extend|insert|_set_item|setdefault|update)\\(");

    private StatefulCode() {
    }

    /** True when the archive's code (file name to text) may keep state, or carries no code that says otherwise. */
    static boolean mayKeepState(Map<String, String> code) {
        if (code.isEmpty()) {
            return true;
        }
        for (String source : code.values()) {
            if (KEEPS.matcher(source).find()) {
                return true;
            }
        }
        return false;
    }
}
