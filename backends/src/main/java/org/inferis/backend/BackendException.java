package org.inferis.backend;

/** A backend could not load or run a model; the message is the engine's reason, for the client. */
public final class BackendException extends Exception {
    private final boolean enginesWords;
    private final boolean crashedTheEngine;

    public BackendException(String message) {
        this(message, null);
    }

    public BackendException(String message, Throwable cause) {
        this(message, cause, false, false);
    }

    private BackendException(String message, Throwable cause, boolean enginesWords, boolean crashedTheEngine) {
        super(message, cause);
        this.enginesWords = enginesWords;
        this.crashedTheEngine = crashedTheEngine;
    }

    /**
     * A model or script the engine refused, in the engine's own words: RedisAI answers those as they are, without an
     * {@code ERR} code, and its clients compare them whole.
     */
    public static BackendException enginesWords(String message, Throwable cause) {
        return new BackendException(message, cause, true, false);
    }

    public boolean isEnginesWords() {
        return enginesWords;
    }

    /** The call ended the engine process (engine-isolation), alone in it: it, not a call beside it, did. */
    public static BackendException crashedTheEngine(String message) {
        return new BackendException(message, null, false, true);
    }

    public boolean hasCrashedTheEngine() {
        return crashedTheEngine;
    }

    /**
     * An engine's whole message on one line (a RESP error cannot hold line breaks): ONNX Runtime's without its
     * {@code Error code - ORT_... - message: } prefix, so a client reads what ONNX Runtime said, details included.
     */
    public static String whole(Throwable error) {
        String message = String.valueOf(error.getMessage());
        int text = message.indexOf(" - message: ");
        if (message.startsWith("Error code - ") && text > 0) {
            message = message.substring(text + " - message: ".length());
        }
        return message.replaceAll("\\s+", " ").trim();
    }

    /** libtorch's message on one line, without the C++ backtrace it may append (its frames or their header). */
    public static String withoutTrace(Throwable error) {
        String message = String.valueOf(error.getMessage());
        for (String traceStart : new String[] {"Exception raised from ", "\nframe #"}) {
            int trace = message.indexOf(traceStart);
            if (trace >= 0) {
                message = message.substring(0, trace);
            }
        }
        return message.replaceAll("\\s+", " ").trim();
    }

    /**
     * The line of an engine's message that says what went wrong: the TorchScript interpreter's
     * {@code RuntimeError: ...} line when there is one, else the first line (libtorch appends traces).
     */
    public static String firstLine(Throwable error) {
        for (String line : String.valueOf(error.getMessage()).split("\n")) {
            String trimmed = line.trim();
            if (trimmed.startsWith("RuntimeError: ")) {
                return trimmed.substring("RuntimeError: ".length());
            }
        }
        String message = String.valueOf(error.getMessage());
        int newline = message.indexOf('\n');
        return (newline < 0 ? message : message.substring(0, newline)).trim();
    }
}
