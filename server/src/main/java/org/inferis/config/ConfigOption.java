package org.inferis.config;

import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * One server option: its default, whether CONFIG SET may change it at run time, and a normaliser that
 * checks a value and returns its canonical text (or throws {@link IllegalArgumentException} with the reason).
 * {@code repeatSeparator} is null when a second setting at start-up replaces the first; else each setting (a config
 * file line, a command-line option) is added after the earlier ones with it in between.
 */
public record ConfigOption(String name, String defaultValue, boolean mutable, UnaryOperator<String> normaliser,
                           String repeatSeparator) {

    public ConfigOption(String name, String defaultValue, boolean mutable, UnaryOperator<String> normaliser) {
        this(name, defaultValue, mutable, normaliser, null);
    }

    /** A start-up directive given any number of times, as redis-server's {@code loadmodule}: one per line. */
    public static ConfigOption directive(String name) {
        return new ConfigOption(name, "", false, String::trim, "\n");
    }

    /**
     * Groups of words, given any number of times at start-up (each adds its groups) and replaced as a
     * whole by CONFIG SET, as Redis's {@code save}; "" for none. {@code check} throws with the reason for a bad value.
     */
    public static ConfigOption wordGroups(String name, java.util.function.Consumer<String> check) {
        return new ConfigOption(name, "", true, text -> {
            String words = String.join(" ", text.trim().split("\\s+"));
            check.accept(words);
            return words;
        }, " ");
    }

    public static ConfigOption integer(String name, long defaultValue, long min, long max, boolean mutable) {
        return new ConfigOption(name, Long.toString(defaultValue), mutable, text -> {
            long value;
            try {
                value = Long.parseLong(text.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("argument couldn't be parsed into an integer");
            }
            return Long.toString(inRange(value, min, max));
        });
    }

    /** A size in bytes, accepting Redis's units: {@code 1k 1kb 1m 1mb 1g 1gb}. */
    public static ConfigOption bytes(String name, long defaultValue, long min, long max, boolean mutable) {
        return new ConfigOption(name, Long.toString(defaultValue), mutable,
                text -> Long.toString(inRange(parseBytes(text), min, max)));
    }

    public static ConfigOption string(String name, String defaultValue, boolean mutable) {
        return new ConfigOption(name, defaultValue, mutable, text -> text);
    }

    /** A file name inside {@code dir}: a path separator would let it write elsewhere (Redis refuses it too). */
    public static ConfigOption fileName(String name, String defaultValue) {
        return new ConfigOption(name, defaultValue, false, text -> {
            if (text.isEmpty() || text.contains("/") || text.contains("\\") || text.equals(".") || text.equals("..")) {
                throw new IllegalArgumentException(name + " can't be a path, just a filename");
            }
            return text;
        });
    }

    public static ConfigOption oneOf(String name, String defaultValue, boolean mutable, List<String> allowed) {
        return new ConfigOption(name, defaultValue, mutable, text -> {
            String lower = text.toLowerCase(Locale.ROOT);
            if (!allowed.contains(lower)) {
                throw new IllegalArgumentException("argument(s) must be one of the following: " + String.join(", ", allowed));
            }
            return lower;
        });
    }

    /** Redis's {@code save}: pairs of seconds and changes, or "" for none. Changeable at run time. */
    public static ConfigOption savePoints(String name, String defaultValue) {
        return new ConfigOption(name, defaultValue, true, text -> {
            String trimmed = text.trim();
            if (trimmed.isEmpty()) {
                return "";
            }
            String[] numbers = trimmed.split("\\s+");
            if (numbers.length % 2 != 0) {
                throw new IllegalArgumentException("Invalid save parameters");
            }
            for (String number : numbers) {
                try {
                    if (Long.parseLong(number) < 0) {
                        throw new IllegalArgumentException("Invalid save parameters");
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("Invalid save parameters");
                }
            }
            return String.join(" ", numbers);
        });
    }

    static long parseBytes(String text) {
        String lower = text.trim().toLowerCase(Locale.ROOT);
        long multiplier = 1;
        String[][] units = {{"kb", "1024"}, {"mb", "1048576"}, {"gb", "1073741824"},
                {"k", "1000"}, {"m", "1000000"}, {"g", "1000000000"}, {"b", "1"}};
        for (String[] unit : units) {
            if (lower.endsWith(unit[0])) {
                multiplier = Long.parseLong(unit[1]);
                lower = lower.substring(0, lower.length() - unit[0].length());
                break;
            }
        }
        try {
            return Math.multiplyExact(Long.parseLong(lower), multiplier);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("argument must be a memory value");
        }
    }

    private static long inRange(long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException("argument must be between " + min + " and " + max + " inclusive");
        }
        return value;
    }
}
