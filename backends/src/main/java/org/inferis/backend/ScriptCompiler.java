package org.inferis.backend;

import java.util.List;

/** Compiles TorchScript scripts: libtorch in this process, or in the engine process. */
public interface ScriptCompiler {
    /**
     * Compiles TorchScript source; every entry point must exist and take
     * {@code (tensors: List[Tensor], keys: List[str], args: List[str])}, as RedisAI requires.
     */
    LoadedScript compile(String source, List<String> entryPoints, Device device) throws BackendException;
}
