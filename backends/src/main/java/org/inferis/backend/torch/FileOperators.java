package org.inferis.backend.torch;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.inferis.backend.BackendException;

/**
 * Refuses TorchScript code that can reach the server's files through libtorch's operators: {@code torch.from_file}
 * maps any file the process may open (a shared mapping writes back to it) and {@code torch.save} writes one. Also
 * refused: {@code getattr} on {@code torch} or {@code ops}, which looks an operator up by a string that can be spelt
 * in pieces. Checked on the text before libtorch sees it (an archive's {@code __setstate__} runs while it loads), and
 * inside strings and comments too, so that no difference between this reading and libtorch's lexer lets a call through.
 */
final class FileOperators {
    /** What may stand between two tokens: white space, a line continuation, a comment inside brackets. */
    private static final String GAP = "(?:\\s|\\\\|#[^\\n]*)*";
    private static final Pattern REACHES = Pattern.compile("\\b(from_file)\\b"
            + "|\\." + GAP + "(save)\\b"
            + "|\\b(getattr)" + GAP + "\\(" + GAP + "(?:\\(" + GAP + ")*(?:torch|ops)\\b");

    private FileOperators() {
    }

    /** @param where the script or archive file named in the error */
    static void check(String source, String where) throws BackendException {
        Matcher matcher = REACHES.matcher(source);
        if (matcher.find()) {
            String what = matcher.group(1) != null ? "torch.from_file, which opens files on the server"
                    : matcher.group(2) != null ? "torch.save, which writes files on the server"
                    : "getattr on torch or ops, which can reach operators that open files on the server";
            throw new BackendException(where + " uses " + what + "; Inferis refuses it");
        }
    }
}
