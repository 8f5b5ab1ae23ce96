package org.inferis.backend;

/** One engine: turns a stored model blob into a model that can run. Implementations are thread-safe. */
public interface ModelBackend {
    /** The backend's name as AI.MODELSTORE and AI.MODELGET spell it: {@code TORCH}, {@code ONNX}. */
    String name();

    /** The engine's own version (libtorch's, ONNX Runtime's), starting the engine if it is not yet. */
    String engineVersion();

    /**
     * Loads a model from its serialized bytes, without temporary files; {@code names} are the INPUTS and OUTPUTS
     * given at store time ({@link IoNames#NONE} for engines that read them from the model).
     */
    LoadedModel load(byte[] blob, Device device, IoNames names) throws BackendException;

    /** Whether AI.MODELSTORE must name the graph's inputs and outputs (INPUTS/OUTPUTS), as for TF. */
    default boolean needsIoNames() {
        return false;
    }

    /** Why this server cannot run the backend's models (a build without its engine), or null when it can. */
    default String unavailableReason() {
        return null;
    }

    /** Whether the engine is running in this process (engines loaded on demand are not until first used). */
    default boolean isStarted() {
        return true;
    }
}
