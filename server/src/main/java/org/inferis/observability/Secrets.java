package org.inferis.observability;

import java.util.Locale;
import java.util.Set;
import org.inferis.resp.Request;

/** Which arguments of a command are secrets, redacted wherever commands are shown (MONITOR, SLOWLOG), as Redis 7. */
final class Secrets {
    static final String REDACTED = "(redacted)";
    /** Options whose values are passwords. */
    private static final Set<String> SECRET_OPTIONS = Set.of("requirepass", "masterauth", "tls-key-file-pass");

    private Secrets() {
    }

    /** Whether argument {@code i} of the request must not be shown. */
    static boolean hidden(Request request, int i) {
        if (i == 0) {
            return false;
        }
        if (request.is(0, "AUTH")) {
            return true;
        }
        if (request.is(0, "HELLO")) { // HELLO [protover [AUTH username password] [SETNAME name]]
            return (i >= 2 && request.is(i - 1, "AUTH")) || (i >= 3 && request.is(i - 2, "AUTH"));
        }
        if (request.is(0, "CONFIG") && request.size() > 2 && request.is(1, "SET")) {
            return i >= 3 && (i - 2) % 2 == 1
                    && SECRET_OPTIONS.contains(request.string(i - 1).toLowerCase(Locale.ROOT));
        }
        return false;
    }
}
