package org.inferis.backend;

/** One engine: turns a stored model blob into a model that can run. Implementations are thread-safe. */
public interface ModelBackend {
    /** The backend's name as AI.MODELSTORE and AI.MODELGET spell it: {@code TORCH}, {@code ONNX}. */
    String name();

    /** The engine's own version (libtorch's, ONNX Runtime's), starting the engine if it is not yet. */
    String engineVersion();

    /** Loads a model from its serialized bytes, without temporary files. */
    LoadedModel load(byte[] blob, Device device) throws BackendException;
}
