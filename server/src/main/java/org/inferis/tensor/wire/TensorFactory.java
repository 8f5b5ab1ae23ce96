package org.inferis.tensor.wire;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import org.inferis.resp.Numbers;
import org.inferis.resp.Request;
import org.inferis.resp.RespException;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;

/** Builds tensors from AI.TENSORSET's BLOB or VALUES, with RedisAI's checks and error texts. */
public final class TensorFactory {
    /** A decimal integer as Redis writes one: no sign but minus, no leading zero. */
    private static final Pattern INTEGER_LITERAL = Pattern.compile("-?(0|[1-9][0-9]*)");
    private final LongSupplier maxBytes;

    /** @param maxBytes the largest tensor accepted (the server's proto-max-bulk-len), read at each build */
    public TensorFactory(LongSupplier maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** A zero-filled tensor (empty strings for STRING). */
    public Tensor zeros(DType dtype, long[] shape) {
        long count = checkedCount(dtype, shape);
        int bytes = checkedSize(dtype == DType.STRING ? count : count * dtype.byteSize());
        return new Tensor(dtype, shape, allocate(bytes));
    }

    /** Copies the blob once, from the network buffer into the tensor's storage. */
    public Tensor fromBlob(DType dtype, long[] shape, ByteBuf blob) {
        long count = checkedCount(dtype, shape);
        int length = blob.readableBytes();
        if (dtype == DType.STRING) {
            checkStringBlob(blob, count);
        } else if (length != count * dtype.byteSize()) {
            throw RespException.err("data length does not match tensor shape and type: " + dtype + " "
                    + shapeText(shape) + " takes " + count * dtype.byteSize() + " bytes, the BLOB has " + length);
        } else if (dtype == DType.BOOL && blob.forEachByte(b -> b == 0 || b == 1) != -1) {
            throw RespException.err("BOOL tensor elements must be 0 or 1");
        }
        ByteBuffer data = allocate(checkedSize(length));
        blob.getBytes(blob.readerIndex(), data);
        data.flip();
        return new Tensor(dtype, shape, data);
    }

    /** Parses {@code count} values starting at argument {@code first}; the caller checked the count. */
    public Tensor fromValues(DType dtype, long[] shape, Request request, int first) {
        long count = checkedCount(dtype, shape);
        if (dtype == DType.STRING) {
            return stringsFromValues(shape, request, first, count);
        }
        ByteBuffer data = allocate(checkedSize(count * dtype.byteSize()));
        for (int i = 0; i < count; i++) {
            ByteBuf arg = request.arg(first + i);
            if (dtype.kind() == DType.Kind.FLOAT) {
                putFloat(data, dtype, checkedFloat(arg, dtype, i, count));
            } else {
                putInteger(data, dtype, parseInteger(arg, dtype, i, count));
            }
        }
        data.flip();
        return new Tensor(dtype, shape, data);
    }

    private Tensor stringsFromValues(long[] shape, Request request, int first, long count) {
        long total = 0;
        for (int i = 0; i < count; i++) {
            ByteBuf arg = request.arg(first + i);
            int length = arg.readableBytes();
            int nul = arg.indexOf(arg.readerIndex(), arg.writerIndex(), (byte) 0);
            // a value may carry its own terminating NUL, but no NUL before the end
            if (nul >= 0 && nul != arg.writerIndex() - 1) {
                throw RespException.err("C-string value contains null character");
            }
            total += nul >= 0 ? length : length + 1;
        }
        ByteBuffer data = allocate(checkedSize(total));
        for (int i = 0; i < count; i++) {
            ByteBuf arg = request.arg(first + i);
            data.put(arg.nioBuffer());
            if (arg.readableBytes() == 0 || arg.getByte(arg.writerIndex() - 1) != 0) {
                data.put((byte) 0);
            }
        }
        data.flip();
        return new Tensor(DType.STRING, shape, data);
    }

    private static void checkStringBlob(ByteBuf blob, long count) {
        int length = blob.readableBytes();
        if (length == 0 || blob.getByte(blob.writerIndex() - 1) != 0) {
            throw RespException.err("Number of string elements in data blob does not match tensor length");
        }
        long[] terminators = {0};
        blob.forEachByte(b -> {
            if (b == 0) {
                terminators[0]++;
            }
            return true;
        });
        if (terminators[0] != count) {
            throw RespException.err("Number of string elements in data blob does not match tensor length");
        }
    }

    /**
     * The value of a float VALUES element: RedisAI's {@code invalid value}, then which element and why. {@code inf}
     * and {@code -inf} are taken as written; a finite literal too large for the type (1e999, 70000 as FLOAT16) is
     * refused rather than stored as infinity.
     */
    private static double checkedFloat(ByteBuf arg, DType dtype, int index, long count) {
        double value;
        try {
            value = Numbers.parseDouble(arg);
        } catch (NumberFormatException e) {
            throw invalid(arg, index, count, "is not a number");
        }
        boolean writtenInfinite = Double.isInfinite(value) && arg.toString(StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT)
                .contains("inf");
        if (!writtenInfinite && overflows(dtype, value)) {
            throw invalid(arg, index, count, "overflows " + dtype + " (largest " + largest(dtype) + ")");
        }
        return value;
    }

    private static boolean overflows(DType dtype, double value) {
        return switch (dtype) {
            case DOUBLE -> Double.isInfinite(value);
            case FLOAT -> Float.isInfinite((float) value);
            case FLOAT16 -> Float.isInfinite(Half.fromFloat16(Half.float16((float) value)));
            case BFLOAT16 -> Float.isInfinite(Half.fromBfloat16(Half.bfloat16((float) value)));
            default -> false;
        };
    }

    private static String largest(DType dtype) {
        return switch (dtype) {
            case DOUBLE -> Double.toString(Double.MAX_VALUE);
            case FLOAT -> Float.toString(Float.MAX_VALUE);
            case FLOAT16 -> "65504";
            default -> "3.3895314e38"; // BFLOAT16
        };
    }

    private static long parseInteger(ByteBuf arg, DType dtype, int index, long count) {
        long value;
        try {
            value = Numbers.parseLong(arg);
        } catch (NumberFormatException | ArithmeticException e) {
            // an integer past 64 bits is out of every integer type's range
            throw invalid(arg, index, count, INTEGER_LITERAL.matcher(arg.toString(StandardCharsets.US_ASCII)).matches()
                    ? outOfRange(dtype) : "is not an integer" + (dtype == DType.BOOL ? " (BOOL takes 0 or 1)" : ""));
        }
        if (value < dtype.minValue() || value > dtype.maxValue()) {
            throw invalid(arg, index, count, outOfRange(dtype));
        }
        return value;
    }

    private static String outOfRange(DType dtype) {
        return "is out of range for " + dtype + " (" + dtype.minValue() + " to " + dtype.maxValue() + ")";
    }

    private static RespException invalid(ByteBuf arg, int index, long count, String why) {
        String text = arg.toString(StandardCharsets.UTF_8);
        if (text.length() > 32) {
            text = text.substring(0, 32) + "...";
        }
        return RespException.err("invalid value: VALUES element " + (index + 1) + " of " + count + " ('" + text
                + "') " + why);
    }

    private static String shapeText(long[] shape) {
        StringBuilder text = new StringBuilder();
        for (long dim : shape) {
            text.append(text.length() == 0 ? "" : "x").append(dim);
        }
        return text.toString();
    }

    static void putFloat(ByteBuffer data, DType dtype, double value) {
        switch (dtype) {
            case FLOAT -> data.putFloat((float) value);
            case DOUBLE -> data.putDouble(value);
            case FLOAT16 -> data.putShort(Half.float16((float) value));
            case BFLOAT16 -> data.putShort(Half.bfloat16((float) value));
            default -> throw new IllegalArgumentException(dtype + " is not a float type");
        }
    }

    static void putInteger(ByteBuffer data, DType dtype, long value) {
        switch (dtype.byteSize()) {
            case 1 -> data.put((byte) value);
            case 2 -> data.putShort((short) value);
            case 4 -> data.putInt((int) value);
            case 8 -> data.putLong(value);
            default -> throw new IllegalArgumentException(dtype + " is not an integer type");
        }
    }

    private long checkedCount(DType dtype, long[] shape) {
        try {
            long count = Tensor.elementCount(shape);
            Math.multiplyExact(count, Math.max(1, dtype.byteSize()));
            return count;
        } catch (ArithmeticException e) {
            throw tooLarge(Long.MAX_VALUE);
        }
    }

    private int checkedSize(long bytes) {
        if (bytes > maxBytes.getAsLong() || bytes > Integer.MAX_VALUE - 8) {
            throw tooLarge(bytes);
        }
        return (int) bytes;
    }

    private RespException tooLarge(long bytes) {
        String size = bytes == Long.MAX_VALUE ? "more than 2^63" : Long.toString(bytes);
        return RespException.err("tensor of " + size + " bytes exceeds proto-max-bulk-len (" + maxBytes.getAsLong()
                + " bytes)");
    }

    /**
     * Heap, not direct: a direct buffer is freed only when the GC notices its owner, so a stream of
     * large TENSORSETs would exhaust direct memory and stall in {@code System.gc()} (measured: 12x slower).
     */
    private static ByteBuffer allocate(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }
}
