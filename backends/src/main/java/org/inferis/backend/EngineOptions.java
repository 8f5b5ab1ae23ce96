package org.inferis.backend;

/**
 * Thread settings handed to the engines.
 *
 * @param intraOpThreads threads one operator may use (0: the engine's default)
 * @param interOpThreads threads for independent operators (0: the engine's default)
 */
public record EngineOptions(int intraOpThreads, int interOpThreads) {
}
