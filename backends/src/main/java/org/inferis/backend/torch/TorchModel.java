package org.inferis.backend.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.inferis.backend.BackendException;
import org.inferis.backend.LoadedModel;
import org.inferis.backend.ThreadBindings;
import org.inferis.tensor.Tensor;

/**
 * A loaded TorchScript module. Each run's native tensors live in a sub-manager closed when the run ends; inputs of the
 * shapes a thread runs often go in through its {@link TorchBinding}s.
 */
final class TorchModel implements LoadedModel {
    private final PtNDManager manager;
    private final PtSymbolBlock block;
    private final TorchScriptSignature signature;
    /** Each thread's; a thread's own runs alone use it, {@link #close()} (with no run left) closes them all. */
    private final Map<Thread, ThreadBindings<TorchBinding>> bindings = new ConcurrentHashMap<>();

    TorchModel(PtNDManager manager, PtSymbolBlock block, TorchScriptSignature signature) {
        this.manager = manager;
        this.block = block;
        this.signature = signature;
    }

    @Override
    public List<String> inputNames() {
        return signature.inputs();
    }

    @Override
    public List<String> outputNames() {
        return signature.outputs();
    }

    @Override
    public List<Tensor> run(List<Tensor> inputs) throws BackendException {
        ThreadBindings<TorchBinding> mine = bindings.computeIfAbsent(Thread.currentThread(),
                thread -> new ThreadBindings<>());
        try (PtNDManager runManager = (PtNDManager) manager.newSubManager()) {
            TorchBinding binding = mine.find(inputs);
            List<PtNDArray> arrays = binding != null ? binding.views(runManager, inputs)
                    : TorchTensors.in(runManager, inputs);
            NDList outputs = block.forward(new ParameterStore(runManager, false),
                    new NDList(arrays.toArray(new NDArray[0])), false);
            List<Tensor> results = new ArrayList<>(outputs.size());
            for (NDArray output : outputs) {
                results.add(TorchTensors.out((PtNDArray) output));
            }
            if (binding == null && mine.countUnbound(inputs)) {
                TorchBinding made = TorchBinding.of(manager, inputs);
                if (made != null) {
                    mine.add(made);
                }
            }
            return results;
        } catch (BackendException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new BackendException(BackendException.firstLine(e), e);
        }
    }

    @Override
    public void close() {
        bindings.values().forEach(ThreadBindings::close);
        bindings.clear();
        block.close();
        manager.close();
    }
}
