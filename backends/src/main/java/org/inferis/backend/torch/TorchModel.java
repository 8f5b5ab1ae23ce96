package org.inferis.backend.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import org.inferis.backend.BackendException;
import org.inferis.backend.LoadedModel;
import org.inferis.tensor.Tensor;

/**
 * A loaded TorchScript module. Each run's native tensors live in a sub-manager closed when the run ends; inputs go in
 * through {@link TorchInputs}.
 */
final class TorchModel implements LoadedModel {
    private final PtNDManager manager;
    private final PtSymbolBlock block;
    private final TorchScriptSignature signature;
    private final TorchInputs inputs;

    /** @param keepsState whether the module's code may keep a tensor from call to call ({@link StatefulCode}) */
    TorchModel(PtNDManager manager, PtSymbolBlock block, TorchScriptSignature signature, boolean keepsState) {
        this.manager = manager;
        this.block = block;
        this.signature = signature;
        this.inputs = new TorchInputs(manager, !keepsState);
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
    public List<Tensor> run(List<Tensor> tensors) throws BackendException {
        try (PtNDManager runManager = (PtNDManager) manager.newSubManager()) {
            List<PtNDArray> arrays = inputs.in(runManager, tensors);
            NDList outputs = block.forward(new ParameterStore(runManager, false),
                    new NDList(arrays.toArray(new NDArray[0])), false);
            List<Tensor> results = new ArrayList<>(outputs.size());
            for (NDArray output : outputs) {
                results.add(TorchTensors.out((PtNDArray) output));
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
        block.close();
        inputs.close();
        manager.close();
    }
}
