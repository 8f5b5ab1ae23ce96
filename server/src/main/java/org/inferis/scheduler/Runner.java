package org.inferis.scheduler;

import java.util.List;
import org.inferis.backend.BackendException;
import org.inferis.tensor.Tensor;

/** Something the device workers run on a batch's inputs: a model instance, or one script call. */
@FunctionalInterface
public interface Runner {
    List<Tensor> run(List<Tensor> inputs) throws BackendException;

    /** Asks the engine to stop the call running on the thread; false when the engine has no way to (the default). */
    default boolean terminate(Thread runningOn) {
        return false;
    }

    /** A call that the engine can be asked to stop, through {@code terminate}. */
    static Runner stoppable(Runner call, java.util.function.Predicate<Thread> terminate) {
        return new Runner() {
            @Override
            public List<Tensor> run(List<Tensor> inputs) throws BackendException {
                return call.run(inputs);
            }

            @Override
            public boolean terminate(Thread runningOn) {
                return terminate.test(runningOn);
            }
        };
    }
}
