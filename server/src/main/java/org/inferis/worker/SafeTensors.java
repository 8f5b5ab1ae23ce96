package org.inferis.worker;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;

/**
 * The <a href="https://github.com/huggingface/safetensors">safetensors</a> files of stream jobs: tensors named
 * {@code 0}, {@code 1}, ... in any order of the header. Our own codec rather than DJL's: DJL has no I16/U16, decodes
 * BF16 only without an engine, and orders tensors by its hash map; this one covers every dtype our tensors have but
 * STRING (safetensors has none), copies each tensor once, and turns any malformed file into an exception with the
 * reason.
 */
public final class SafeTensors {
    /** Headers above this are refused: Python's reader caps them at 100 MB too. */
    private static final long MAX_HEADER_BYTES = 100L << 20;
    private static final Map<DType, String> NAMES = new EnumMap<>(Map.ofEntries(
            Map.entry(DType.FLOAT, "F32"), Map.entry(DType.DOUBLE, "F64"), Map.entry(DType.FLOAT16, "F16"),
            Map.entry(DType.BFLOAT16, "BF16"), Map.entry(DType.INT8, "I8"), Map.entry(DType.INT16, "I16"),
            Map.entry(DType.INT32, "I32"), Map.entry(DType.INT64, "I64"), Map.entry(DType.UINT8, "U8"),
            Map.entry(DType.UINT16, "U16"), Map.entry(DType.BOOL, "BOOL")));

    /** Why a file was refused. */
    public static final class MalformedException extends Exception {
        MalformedException(String message) {
            super(message, null, false, false);
        }
    }

    private SafeTensors() {
    }

    /** The tensors {@code 0..n-1} of a file, in that order. */
    public static List<Tensor> decode(byte[] file) throws MalformedException {
        if (file.length < 8) {
            throw new MalformedException("not a safetensors file: " + file.length + " bytes");
        }
        ByteBuffer buffer = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = buffer.getLong(0);
        if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || headerLength > file.length - 8) {
            throw new MalformedException("not a safetensors file: header length " + Long.toUnsignedString(headerLength)
                    + " in a file of " + file.length + " bytes");
        }
        JsonObject header;
        try {
            JsonElement parsed = JsonParser.parseString(new String(file, 8, (int) headerLength, StandardCharsets.UTF_8));
            if (!parsed.isJsonObject()) {
                throw new MalformedException("safetensors header is not a JSON object");
            }
            header = parsed.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new MalformedException("safetensors header is not JSON: " + e.getMessage());
        }
        header.remove("__metadata__");
        int dataStart = 8 + (int) headerLength;
        int count = header.size();
        List<Tensor> tensors = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            JsonElement entry = header.get(Integer.toString(i));
            if (entry == null || !entry.isJsonObject()) {
                throw new MalformedException("the tensors must be named 0.." + (count - 1) + "; there is no " + i);
            }
            tensors.add(tensor(Integer.toString(i), entry.getAsJsonObject(), file, dataStart));
        }
        return tensors;
    }

    private static Tensor tensor(String name, JsonObject entry, byte[] file, int dataStart) throws MalformedException {
        try {
            DType dtype = dtypeNamed(entry.get("dtype").getAsString());
            if (dtype == null) {
                throw new MalformedException("tensor " + name + ": unsupported dtype " + entry.get("dtype"));
            }
            JsonArray dims = entry.getAsJsonArray("shape");
            long[] shape = new long[dims.size()];
            for (int d = 0; d < shape.length; d++) {
                shape[d] = dims.get(d).getAsLong();
                if (shape[d] < 0) {
                    throw new MalformedException("tensor " + name + ": negative dimension");
                }
            }
            JsonArray offsets = entry.getAsJsonArray("data_offsets");
            long begin = offsets.get(0).getAsLong();
            long end = offsets.get(1).getAsLong();
            long bytes = Math.multiplyExact(Tensor.elementCount(shape), dtype.byteSize());
            if (offsets.size() != 2 || begin < 0 || end < begin || end > file.length - dataStart || end - begin != bytes) {
                throw new MalformedException("tensor " + name + ": data_offsets " + offsets + " do not hold "
                        + bytes + " bytes of its shape within the file");
            }
            ByteBuffer data = ByteBuffer.allocate((int) bytes);
            data.put(file, dataStart + (int) begin, (int) bytes).flip();
            return new Tensor(dtype, shape, data);
        } catch (NullPointerException | IllegalStateException | UnsupportedOperationException
                 | IndexOutOfBoundsException | ArithmeticException | NumberFormatException | ClassCastException e) {
            throw new MalformedException("tensor " + name + ": malformed entry (dtype, shape, data_offsets)");
        }
    }

    private static DType dtypeNamed(String name) {
        for (Map.Entry<DType, String> entry : NAMES.entrySet()) {
            if (entry.getValue().equals(name)) {
                return entry.getKey();
            }
        }
        return null;
    }

    /** A file of the tensors named {@code 0..n-1}; the header padded to 8 bytes, as Python's writer does. */
    public static byte[] encode(List<Tensor> tensors) {
        JsonObject header = new JsonObject();
        long offset = 0;
        for (int i = 0; i < tensors.size(); i++) {
            Tensor tensor = tensors.get(i);
            String dtype = NAMES.get(tensor.dtype());
            if (dtype == null) {
                throw new IllegalArgumentException("output " + i + " is a " + tensor.dtype()
                        + " tensor, which safetensors cannot hold");
            }
            JsonObject entry = new JsonObject();
            entry.addProperty("dtype", dtype);
            JsonArray shape = new JsonArray();
            for (long dim : tensor.shape()) {
                shape.add(dim);
            }
            entry.add("shape", shape);
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offset += tensor.byteSize();
            offsets.add(offset);
            entry.add("data_offsets", offsets);
            header.add(Integer.toString(i), entry);
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer file = ByteBuffer.allocate(Math.toIntExact(8 + padded + offset)).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(padded).put(json);
        for (int i = json.length; i < padded; i++) {
            file.put((byte) ' ');
        }
        for (Tensor tensor : tensors) {
            file.put(tensor.data().duplicate().rewind());
        }
        return file.array();
    }
}
