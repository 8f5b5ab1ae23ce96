package org.inferis.backend;

/** A backend could not load or run a model; the message is the engine's reason, for the client. */
public final class BackendException extends Exception {
    public BackendException(String message) {
        super(message);
    }

    public BackendException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The first line of an engine's message (libtorch appends stack traces). */
    public static String firstLine(Throwable error) {
        String message = String.valueOf(error.getMessage());
        int newline = message.indexOf('\n');
        return (newline < 0 ? message : message.substring(0, newline)).trim();
    }
}
