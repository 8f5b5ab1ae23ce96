package org.inferis.resp;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits an inline command or config line into arguments as Redis's {@code sdssplitargs} does: spaces separate,
 * "double quotes" understand {@code \n \r \t \b \a \\ \" \xHH}, 'single quotes' understand {@code \'}.
 */
public final class ArgumentSplitter {
    private ArgumentSplitter() {
    }

    /** The arguments, or null when quotes are unbalanced. */
    public static List<byte[]> split(byte[] line) {
        List<byte[]> args = new ArrayList<>();
        int i = 0;
        int n = line.length;
        while (true) {
            while (i < n && Character.isWhitespace(line[i])) {
                i++;
            }
            if (i >= n) {
                return args;
            }
            ByteArrayOutputStream current = new ByteArrayOutputStream();
            boolean inDouble = false;
            boolean inSingle = false;
            boolean done = false;
            while (!done) {
                if (i >= n) {
                    if (inDouble || inSingle) {
                        return null;
                    }
                    done = true;
                } else if (inDouble) {
                    byte c = line[i];
                    if (c == '\\' && i + 3 < n && line[i + 1] == 'x' && isHex(line[i + 2]) && isHex(line[i + 3])) {
                        current.write(Character.digit(line[i + 2], 16) * 16 + Character.digit(line[i + 3], 16));
                        i += 3;
                    } else if (c == '\\' && i + 1 < n) {
                        i++;
                        current.write(unescape(line[i]));
                    } else if (c == '"') {
                        if (i + 1 < n && !Character.isWhitespace(line[i + 1])) {
                            return null; // a closing quote must be followed by a space or the end
                        }
                        done = true;
                    } else {
                        current.write(c);
                    }
                    i++;
                } else if (inSingle) {
                    byte c = line[i];
                    if (c == '\\' && i + 1 < n && line[i + 1] == '\'') {
                        i++;
                        current.write('\'');
                    } else if (c == '\'') {
                        if (i + 1 < n && !Character.isWhitespace(line[i + 1])) {
                            return null;
                        }
                        done = true;
                    } else {
                        current.write(c);
                    }
                    i++;
                } else {
                    byte c = line[i];
                    if (Character.isWhitespace(c)) {
                        done = true;
                    } else if (c == '"') {
                        inDouble = true;
                    } else if (c == '\'') {
                        inSingle = true;
                    } else {
                        current.write(c);
                    }
                    i++;
                }
            }
            args.add(current.toByteArray());
        }
    }

    private static boolean isHex(byte c) {
        return Character.digit(c, 16) >= 0;
    }

    private static int unescape(byte c) {
        return switch (c) {
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            case 'b' -> '\b';
            case 'a' -> 7;
            default -> c;
        };
    }
}
