package org.inferis.backend;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;

/** The fixture models of src/test/resources/models and the inputs and outputs make_models.py recorded. */
public final class Fixtures {
    public static final Path MODELS = Path.of(System.getProperty("inferis.models",
            "src/test/resources/models")).toAbsolutePath();

    private Fixtures() {
    }

    public static byte[] model(String file) {
        try {
            return Files.readAllBytes(MODELS.resolve(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonObject expected(String model) {
        try {
            return JsonParser.parseString(Files.readString(MODELS.resolve("expected.json"))).getAsJsonObject()
                    .getAsJsonObject(model);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<Tensor> inputs(String model) {
        return tensors(expected(model).getAsJsonArray("inputs"));
    }

    public static List<Tensor> outputs(String model) {
        return tensors(expected(model).getAsJsonArray("outputs"));
    }

    private static List<Tensor> tensors(JsonArray array) {
        List<Tensor> tensors = new ArrayList<>();
        for (JsonElement element : array) {
            JsonObject spec = element.getAsJsonObject();
            DType dtype = DType.valueOf(spec.get("dtype").getAsString());
            long[] shape = new long[spec.getAsJsonArray("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = spec.getAsJsonArray("shape").get(i).getAsLong();
            }
            JsonArray values = spec.getAsJsonArray("values");
            ByteBuffer data = ByteBuffer.allocate(values.size() * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
            for (JsonElement value : values) {
                if (dtype == DType.FLOAT) {
                    data.putFloat(value.getAsFloat());
                } else {
                    data.putLong(value.getAsLong());
                }
            }
            data.flip();
            tensors.add(new Tensor(dtype, shape, data));
        }
        return tensors;
    }

    /** Float or integer elements of a tensor, as doubles, for comparisons. */
    public static double[] values(Tensor tensor) {
        ByteBuffer data = tensor.data();
        double[] values = new double[(int) tensor.elementCount()];
        for (int i = 0; i < values.length; i++) {
            values[i] = tensor.dtype() == DType.FLOAT ? data.getFloat() : data.getLong();
        }
        return values;
    }
}
