package org.inferis.model;

/** What AI.MODELSTORE says of a model besides its blob; AI.MODELGET META reports it back. */
public record ModelOptions(String backend, String device, String tag, long batchSize, long minBatchSize,
                           long minBatchTimeout) {
}
