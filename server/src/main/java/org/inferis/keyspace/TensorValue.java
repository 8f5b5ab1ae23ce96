package org.inferis.keyspace;

import org.inferis.tensor.Tensor;

/** A tensor stored under a key. */
public record TensorValue(Tensor tensor) implements Value {
    @Override
    public ValueType type() {
        return ValueType.TENSOR;
    }

    @Override
    public long byteSize() {
        return tensor.byteSize();
    }
}
