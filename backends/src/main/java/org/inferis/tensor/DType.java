package org.inferis.tensor;

/** Element types of a tensor, named as RedisAI names them. */
public enum DType {
    FLOAT(4, Kind.FLOAT),
    DOUBLE(8, Kind.FLOAT),
    FLOAT16(2, Kind.FLOAT),
    BFLOAT16(2, Kind.FLOAT),
    INT8(1, Kind.SIGNED),
    INT16(2, Kind.SIGNED),
    INT32(4, Kind.SIGNED),
    INT64(8, Kind.SIGNED),
    UINT8(1, Kind.UNSIGNED),
    UINT16(2, Kind.UNSIGNED),
    BOOL(1, Kind.BOOL),
    /** Elements are NUL-terminated byte strings of any length. */
    STRING(0, Kind.STRING);

    public enum Kind { FLOAT, SIGNED, UNSIGNED, BOOL, STRING }

    private final int byteSize;
    private final Kind kind;

    DType(int byteSize, Kind kind) {
        this.byteSize = byteSize;
        this.kind = kind;
    }

    /** Bytes per element; 0 for STRING, whose elements vary in length. */
    public int byteSize() {
        return byteSize;
    }

    public Kind kind() {
        return kind;
    }

    /** The smallest and largest value an integer element can hold. */
    public long minValue() {
        return kind == Kind.SIGNED ? -(1L << (byteSize * 8 - 1)) : 0;
    }

    public long maxValue() {
        return switch (kind) {
            case SIGNED -> byteSize == 8 ? Long.MAX_VALUE : (1L << (byteSize * 8 - 1)) - 1;
            case UNSIGNED -> (1L << (byteSize * 8)) - 1;
            case BOOL -> 1;
            default -> throw new IllegalStateException(name() + " is not an integer type");
        };
    }
}
