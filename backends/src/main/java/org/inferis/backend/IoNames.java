package org.inferis.backend;

import java.util.List;

/**
 * The graph nodes a model is fed and fetched by, as AI.MODELSTORE's INPUTS and OUTPUTS name them: required for
 * engines whose format does not say (TF frozen graphs), empty for the others.
 */
public record IoNames(List<String> inputs, List<String> outputs) {
    public static final IoNames NONE = new IoNames(List.of(), List.of());

    public IoNames {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }

    public boolean isEmpty() {
        return inputs.isEmpty() && outputs.isEmpty();
    }
}
