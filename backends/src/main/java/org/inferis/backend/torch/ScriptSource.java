package org.inferis.backend.torch;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Turns TorchScript source (top-level functions, as AI.SCRIPTSTORE takes it) into a TorchScript archive
 * that libtorch compiles when it loads it: the functions stay at top level of {@code code/__torch__.py},
 * calls between them are qualified ({@code __torch__.f(...)}, which that file requires), and a module
 * class gets one method per function that forwards to it. Functions taking
 * {@code (List[Tensor], List[str], List[str])} are forwarded {@code tensors[1:], keys[1:], args[1:]}:
 * the caller prepends a placeholder to each list, since DJL cannot pass an empty list.
 */
final class ScriptSource {
    static final String MODULE = "InferisScript";
    /** A function's head up to its parameters; the rest is searched by hand (see {@link #functions}). */
    private static final Pattern DEF = Pattern.compile("^def\\s+(\\w+)\\s*\\(", Pattern.MULTILINE);
    private static final Pattern IMPORT = Pattern.compile("^(import|from)\\s[^\\n]*$", Pattern.MULTILINE);
    private static final Pattern CALL = Pattern.compile("(?<![\\w.])(\\w+)\\s*\\(");

    /** A top-level function: its name and parameters as (name, type) pairs, untyped ones being Tensor. */
    record Function(String name, List<String[]> parameters) {
        boolean takesExecuteLists() {
            return parameters.size() == 3 && type(0).equals("List[Tensor]") && type(1).equals("List[str]")
                    && type(2).equals("List[str]");
        }

        private String type(int index) {
            return parameters.get(index)[1].replace(" ", "");
        }
    }

    private ScriptSource() {
    }

    /**
     * The top-level functions: {@code def name(parameters) [-> type]:}, the parameters up to the first {@code )}. The
     * closing bracket and colon are found with searches that never scan a character twice, as a pattern tried at
     * every {@code def} would, from each unclosed one to the end (quadratic time on crafted source).
     */
    static Map<String, Function> functions(String source) {
        Map<String, Function> functions = new LinkedHashMap<>();
        NextChar closing = new NextChar(source, ')');
        NextChar colons = new NextChar(source, ':');
        Matcher def = DEF.matcher(source);
        int from = 0;
        while (from <= source.length() && def.find(from)) {
            from = def.start() + 1;
            int close = closing.from(def.end());
            if (close < 0) {
                break; // no later function closes its parameters either
            }
            int at = skipWhitespace(source, close + 1);
            if (source.startsWith("->", at)) {
                int typeEnd = colons.from(at + 2);
                if (typeEnd <= at + 2) { // none, or an empty return type
                    continue;
                }
                at = typeEnd;
            } else if (at >= source.length() || source.charAt(at) != ':') {
                continue;
            }
            from = at + 1;
            List<String[]> parameters = new ArrayList<>();
            for (String parameter : TorchScriptSignature.splitTopLevel(source.substring(def.end(), close))) {
                String text = parameter.trim();
                if (text.isEmpty()) {
                    continue;
                }
                int equals = text.indexOf('=');
                if (equals >= 0) {
                    text = text.substring(0, equals).trim();
                }
                int colon = text.indexOf(':');
                parameters.add(colon < 0 ? new String[] {text, "Tensor"}
                        : new String[] {text.substring(0, colon).trim(), text.substring(colon + 1).trim()});
            }
            functions.put(def.group(1), new Function(def.group(1), parameters));
        }
        return functions;
    }

    private static int skipWhitespace(String source, int at) {
        while (at < source.length() && Character.isWhitespace(source.charAt(at))) {
            at++;
        }
        return at;
    }

    /** The next position of one character, for positions asked in increasing order: each search starts past the last. */
    private static final class NextChar {
        private final String source;
        private final char wanted;
        private int searchedFrom = Integer.MAX_VALUE;
        private int found;

        NextChar(String source, char wanted) {
            this.source = source;
            this.wanted = wanted;
        }

        /** The first position at or after {@code at} holding the character, -1 when there is none. */
        int from(int at) {
            if (at < searchedFrom || found >= 0 && at > found) {
                searchedFrom = at;
                found = source.indexOf(wanted, at);
            }
            return found;
        }
    }

    /** TorchScript's keywords, which its parser names as they are in errors ({@code found 'return'}). */
    private static final java.util.Set<String> KEYWORDS = java.util.Set.of("return", "if", "else", "elif", "while",
            "for", "in", "not", "and", "or", "is", "global", "pass", "break", "continue", "class", "raise", "assert",
            "with", "as", "del", "lambda", "None", "True", "False", "await", "nonlocal", "try", "except", "finally");

    /**
     * libtorch's error for the first top-level statement that is not a function definition (imports, decorators and
     * comments aside), in its words and layout, or null: a script is only functions, and libtorch's compiler says
     * {@code expected def but found ...} where its archive importer would give an unrelated message.
     */
    static String topLevelStatementError(String source) {
        String[] lines = source.split("\n", -1);
        int depth = 0;
        boolean inTripleQuote = false;
        for (int n = 0; n < lines.length; n++) {
            String line = lines[n];
            boolean startsInside = depth > 0 || inTripleQuote;
            if (!startsInside && !line.isEmpty() && !Character.isWhitespace(line.charAt(0)) && line.charAt(0) != '#'
                    && !line.startsWith("@") && !IMPORT.matcher(line).matches() && !line.matches("def\\s.*")) {
                String token = firstToken(line);
                String found = KEYWORDS.contains(token) ? token : Character.isLetter(token.charAt(0))
                        || token.charAt(0) == '_' ? "ident" : Character.isDigit(token.charAt(0)) ? "number"
                        : token.charAt(0) == '"' || token.charAt(0) == '\'' ? "string" : token;
                return "expected def but found '" + found + "' here:\n  File \"<string>\", line " + (n + 1) + "\n"
                        + line + "\n" + "~".repeat(token.length()) + " <--- HERE\n";
            }
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (line.startsWith("\"\"\"", i) || line.startsWith("'''", i)) {
                    inTripleQuote = !inTripleQuote;
                    i += 2;
                } else if (!inTripleQuote && c == '#') {
                    break;
                } else if (!inTripleQuote && (c == '(' || c == '[' || c == '{')) {
                    depth++;
                } else if (!inTripleQuote && (c == ')' || c == ']' || c == '}') && depth > 0) {
                    depth--;
                }
            }
        }
        return null;
    }

    private static String firstToken(String line) {
        Matcher word = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]*|^[0-9][0-9.]*").matcher(line);
        return word.find() ? word.group() : line.substring(0, 1);
    }

    /** The archive bytes for the source. */
    static byte[] archive(String source, Map<String, Function> functions) {
        StringBuilder code = new StringBuilder(qualifyCalls(IMPORT.matcher(source).replaceAll(""), functions));
        // blank lines keep the wrapper out of the source context libtorch quotes around an error in the user's code
        code.append("\n".repeat(12)).append("class ").append(MODULE).append("(Module):\n")
                .append("  __parameters__ = []\n  __buffers__ = []\n  training : bool\n");
        for (Function function : functions.values()) {
            code.append("  def ").append(function.name()).append("(self: __torch__.").append(MODULE);
            List<String> names = new ArrayList<>();
            for (String[] parameter : function.parameters()) {
                code.append(",\n    ").append(parameter[0]).append(": ").append(parameter[1]);
                names.add(function.takesExecuteLists() ? parameter[0] + "[1:]" : parameter[0]);
            }
            code.append("):\n    return __torch__.").append(function.name()).append('(')
                    .append(String.join(", ", names)).append(")\n");
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            entry(zip, "archive/data.pkl", dataPickle());
            entry(zip, "archive/code/__torch__.py", code.toString().getBytes(StandardCharsets.UTF_8));
            entry(zip, "archive/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
            entry(zip, "archive/version", "3".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** {@code f(} becomes {@code __torch__.f(} for the script's own functions, except in their {@code def}. */
    private static String qualifyCalls(String source, Map<String, Function> functions) {
        if (functions.isEmpty()) {
            return source;
        }
        // any call, then a look-up: an alternation of every function's name is tried name by name at each position
        Matcher matcher = CALL.matcher(source);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            if (functions.containsKey(matcher.group(1))) {
                matcher.appendReplacement(out, Matcher.quoteReplacement(
                        isDefinition(source, matcher.start()) ? matcher.group() : "__torch__." + matcher.group()));
            }
        }
        matcher.appendTail(out);
        return out.toString();
    }

    /** Whether the name at {@code at} follows {@code def} alone on its line (looking back only over white space). */
    private static boolean isDefinition(String source, int at) {
        int end = skipBack(source, at - 1);
        if (end < 2 || !source.startsWith("def", end - 2)) {
            return false;
        }
        int before = skipBack(source, end - 3);
        return before < 0 || source.charAt(before) == '\n';
    }

    /** The last position at or before {@code at} that is not white space within the line. */
    private static int skipBack(String source, int at) {
        while (at >= 0 && source.charAt(at) != '\n' && Character.isWhitespace(source.charAt(at))) {
            at--;
        }
        return at;
    }

    /** A pickle (protocol 2) of a {@code __torch__.InferisScript} whose state is {@code {"training": False}}. */
    private static byte[] dataPickle() {
        ByteArrayOutputStream pickle = new ByteArrayOutputStream();
        pickle.write(0x80);
        pickle.write(2);
        pickle.writeBytes(("c__torch__\n" + MODULE + "\nq\0)\u0081}(X").getBytes(StandardCharsets.ISO_8859_1));
        pickle.writeBytes(new byte[] {8, 0, 0, 0});
        pickle.writeBytes("trainingq\u0001\u0089ubq\u0002.".getBytes(StandardCharsets.ISO_8859_1));
        return pickle.toByteArray();
    }

    private static void entry(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        entry.setCrc(crc.getValue());
        zip.putNextEntry(entry);
        zip.write(data);
        zip.closeEntry();
    }
}
