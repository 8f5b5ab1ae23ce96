package org.inferis.backend;

import java.util.Locale;

/**
 * Where a model runs: {@code CPU}, {@code GPU} or {@code GPU:<n>} (and {@code CPU:<n>}, which RedisAI
 * accepts and treats as the CPU).
 *
 * @param text the device as the client wrote it, which MODELGET echoes
 */
public record Device(String text, boolean gpu, int index) {

    /** The device named, or null when the text is not a valid device (RedisAI's {@code Invalid DEVICE}). */
    public static Device parse(String text) {
        String upper = text.toUpperCase(Locale.ROOT);
        if (upper.equals("CPU") || upper.equals("GPU")) {
            return new Device(text, upper.equals("GPU"), 0);
        }
        if ((upper.startsWith("CPU:") || upper.startsWith("GPU:")) && upper.length() > 4 && upper.length() < 10
                && upper.substring(4).chars().allMatch(Character::isDigit)) {
            return new Device(text, upper.startsWith("GPU"), Integer.parseInt(upper.substring(4)));
        }
        return null;
    }

    /** The run-queue name: one queue per physical device. */
    public String queueName() {
        return gpu ? "GPU:" + index : "CPU";
    }
}
