package org.inferis.model;

import org.inferis.backend.IoNames;

/**
 * What AI.MODELSTORE says of a model besides its blob; AI.MODELGET META reports it back.
 *
 * @param maxQueue  (ext) the most runs that may wait for the model; 0 for no limit
 * @param instances (ext) copies of the model that run batches in parallel
 * @param latency   (ext) ms each run may take from queueing to its outputs, within which the scheduler chooses when
 *                  to release batches (0: none)
 * @param io        the graph nodes given as INPUTS and OUTPUTS (TF models), else {@link IoNames#NONE}
 */
public record ModelOptions(String backend, String device, String tag, long batchSize, long minBatchSize,
                           long minBatchTimeout, long maxQueue, int instances, long latency, IoNames io) {
}
