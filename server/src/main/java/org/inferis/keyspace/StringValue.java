package org.inferis.keyspace;

/** A Redis string. */
public record StringValue(byte[] bytes) implements Value {
    @Override
    public ValueType type() {
        return ValueType.STRING;
    }

    @Override
    public long byteSize() {
        return bytes.length;
    }
}
