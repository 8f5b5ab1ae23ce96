package org.inferis.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;
import org.junit.jupiter.api.Test;

class SafeTensorsTest {

    @Test
    void readsWhatPythonWritesByNameWhateverTheHeadersOrder() throws Exception {
        List<Tensor> tensors = SafeTensors.decode(Files.readAllBytes(Path.of("src/test/resources/jobs/python_job.safetensors")));
        assertEquals(List.of(DType.FLOAT, DType.INT64, DType.UINT16, DType.FLOAT16, DType.BOOL),
                tensors.stream().map(Tensor::dtype).toList());
        assertArrayEquals(new long[] {2, 3}, tensors.get(0).shape());
        ByteBuffer floats = tensors.get(0).data();
        for (int i = 0; i < 6; i++) {
            assertEquals(i, floats.getFloat(i * 4));
        }
        for (int i = 0; i < 4; i++) {
            assertEquals(i, tensors.get(1).data().getLong(i * 8));
        }
        for (int i = 0; i < 3; i++) {
            assertEquals(i, tensors.get(2).data().getShort(i * 2));
        }
        assertEquals(0x3c00, tensors.get(3).data().getShort(2)); // 1.0 in half precision
        assertEquals(List.of(0, 1, 0, 1), bytes(tensors.get(4)));
    }

    @Test
    void writesEveryDtypeAndReadsItBack() throws Exception {
        List<Tensor> tensors = new ArrayList<>();
        for (DType dtype : DType.values()) {
            if (dtype != DType.STRING) {
                ByteBuffer data = ByteBuffer.allocate(dtype.byteSize() * 6);
                for (int i = 0; i < data.capacity(); i++) {
                    data.put((byte) (i * 7 + dtype.ordinal()));
                }
                tensors.add(new Tensor(dtype, new long[] {2, 3}, data.flip()));
            }
        }
        byte[] file = SafeTensors.encode(tensors);
        assertEquals(0, ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong() % 8, "header padded to 8");
        List<Tensor> back = SafeTensors.decode(file);
        assertEquals(tensors.size(), back.size());
        for (int i = 0; i < tensors.size(); i++) {
            assertEquals(tensors.get(i).dtype(), back.get(i).dtype());
            assertArrayEquals(tensors.get(i).shape(), back.get(i).shape());
            assertEquals(bytes(tensors.get(i)), bytes(back.get(i)));
        }
    }

    @Test
    void aStringTensorCannotBeWritten() {
        Tensor strings = new Tensor(DType.STRING, new long[] {1}, ByteBuffer.wrap("a\0".getBytes(StandardCharsets.UTF_8)));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SafeTensors.encode(List.of(strings)))
                .getMessage().contains("STRING"));
    }

    @Test
    void malformedFilesAreRefusedWithTheirReason() {
        byte[] good = SafeTensors.encode(List.of(new Tensor(DType.FLOAT, new long[] {2}, ByteBuffer.allocate(8))));
        assertRefused(new byte[3], "not a safetensors file");
        assertRefused(Arrays.copyOf(good, 20), "header length");
        assertRefused(Arrays.copyOf(good, good.length - 1), "data_offsets");
        byte[] hugeHeader = good.clone();
        ByteBuffer.wrap(hugeHeader).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1);
        assertRefused(hugeHeader, "header length");
        assertRefused(file("{\"0\": "), "not JSON");
        assertRefused(file("[1, 2]"), "not a JSON object");
        assertRefused(file("{\"x\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}"), "named 0..0");
        assertRefused(file("{\"0\": {\"dtype\": \"C64\", \"shape\": [1], \"data_offsets\": [0, 8]}}"), "unsupported dtype");
        assertRefused(file("{\"0\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}"), "negative");
        assertRefused(file("{\"0\": {\"dtype\": \"F32\", \"shape\": [4611686018427387904, 4], \"data_offsets\": [0, 4]}}"),
                "malformed entry");
        assertRefused(file("{\"0\": {\"dtype\": \"F32\", \"shape\": \"2\", \"data_offsets\": [0, 4]}}"), "malformed entry");
        assertRefused(file("{\"0\": 5}"), "no 0");
    }

    private static void assertRefused(byte[] file, String reason) {
        String message = assertThrows(SafeTensors.MalformedException.class, () -> SafeTensors.decode(file)).getMessage();
        assertTrue(message.contains(reason), message);
    }

    /** A header and 8 bytes of data. */
    private static byte[] file(String header) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + json.length + 8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).put(json)
                .array();
    }

    private static List<Integer> bytes(Tensor tensor) {
        ByteBuffer data = tensor.data();
        List<Integer> bytes = new ArrayList<>();
        for (int i = 0; i < data.limit(); i++) {
            bytes.add((int) data.get(i));
        }
        return bytes;
    }
}
