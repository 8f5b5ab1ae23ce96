package org.inferis.backend;

import java.util.List;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;

/** The dtypes and shapes of a run's inputs: what a binding's kept tensors were made for. */
public final class InputSignature {
    private final DType[] dtypes;
    private final long[][] shapes;

    public InputSignature(List<Tensor> tensors) {
        dtypes = tensors.stream().map(Tensor::dtype).toArray(DType[]::new);
        shapes = tensors.stream().map(Tensor::shape).toArray(long[][]::new);
    }

    public boolean fits(List<Tensor> tensors) {
        if (tensors.size() != dtypes.length) {
            return false;
        }
        for (int i = 0; i < dtypes.length; i++) {
            Tensor tensor = tensors.get(i);
            if (tensor.dtype() != dtypes[i] || tensor.rank() != shapes[i].length) {
                return false;
            }
            for (int axis = 0; axis < shapes[i].length; axis++) {
                if (tensor.dim(axis) != shapes[i][axis]) {
                    return false;
                }
            }
        }
        return true;
    }
}
