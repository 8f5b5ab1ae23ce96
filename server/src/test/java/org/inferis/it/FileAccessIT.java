package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.CodedOutputStream;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.inferis.backend.Fixtures;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Models and scripts are code a client sends: none may read or write the server's files. Each case below did, through
 * libtorch's file operators or ONNX Runtime's external data, before it was refused; each must now be refused at store,
 * leave the key as it was and leave the file alone. (TensorFlow's file ops: {@code TensorFlowIT}.)
 */
class FileAccessIT {
    private static final String SECRET = "what only the server may read";
    private static final String ENTRY = "def f(tensors: List[Tensor], keys: List[str], args: List[str]):\n    return ";
    /** Where the TorchScript fixtures of make_file_access.py write, relative to the server's working directory. */
    private static final Path FIXTURE_TARGET = Path.of("inferis-file-access-fixture.out");

    @RegisterExtension
    static final RunningServer server = new RunningServer();

    @TempDir
    Path dir;
    private Path secret;
    private StatefulRedisConnection<String, String> c;

    @BeforeEach
    void setUp() throws IOException {
        c = server.connect(ProtocolVersion.RESP2);
        c.sync().flushall();
        secret = Files.writeString(dir.resolve("secret.txt"), SECRET);
        Ai.status(c, "AI.TENSORSET", "x", "FLOAT", 1, "VALUES", 1);
    }

    private String refusal(String command, Object... args) {
        String error = assertThrows(RedisCommandExecutionException.class, () -> Ai.status(c, command, args))
                .getMessage();
        assertTrue(error.contains("Inferis refuses it"), error);
        return error;
    }

    @Test
    void scriptsThatReachTheServersFilesAreRefused() {
        assertEquals("OK", Ai.status(c, "AI.SCRIPTSTORE", "s", "CPU", "ENTRY_POINTS", 1, "f", "SOURCE",
                ENTRY + "tensors[0] * 2\n"));
        Path written = dir.resolve("written.pt");
        String read = "\"" + secret + "\", False, " + SECRET.length() + ", dtype=0";
        String write = "tensors[0], \"" + written + "\"";
        for (String body : List.of("torch.from_file(" + read + ")",
                "getattr(torch, \"from_\" \"file\")(" + read + ")", // a name in pieces, joined by the parser
                "(torch.save(" + write + "), tensors[0])[1]",
                "(torch.  # a comment between the parts\n        save(" + write + "), tensors[0])[1]",
                "(getattr((torch), \"sa\" \"ve\")(" + write + "), tensors[0])[1]")) {
            refusal("AI.SCRIPTSTORE", "s", "CPU", "ENTRY_POINTS", 1, "f", "SOURCE", ENTRY + body + "\n");
        }
        assertEquals("OK", Ai.status(c, "AI.SCRIPTEXECUTE", "s", "f", "INPUTS", 1, "x", "OUTPUTS", 1, "y"));
        assertEquals(List.of("2"), Ai.array(c, "AI.TENSORGET", "y", "VALUES"), "the stored script is the first");
        assertFalse(Files.exists(written));
    }

    @Test
    void torchModelsThatWriteFilesAreRefusedHoweverTheirCodeIsHidden() throws IOException {
        Files.deleteIfExists(FIXTURE_TARGET);
        assertEquals("OK", Ai.status(c, "AI.MODELSTORE", "m", "TORCH", "CPU", "BLOB", Fixtures.model("add_mul.pt")));
        // from __setstate__, which runs while libtorch loads; from a code file named .PY; behind a zip64 directory
        for (String fixture : List.of("save_on_load.pt", "save_in_upper_case.pt", "save_behind_zip64.pt")) {
            String error = refusal("AI.MODELSTORE", "m", "TORCH", "CPU", "BLOB", Fixtures.model(fixture));
            assertTrue(error.contains("torch.save"), fixture + ": " + error);
            assertFalse(Files.exists(FIXTURE_TARGET), fixture + " wrote its file");
        }
        List<Object> meta = Ai.array(c, "AI.MODELGET", "m", "META");
        assertEquals(List.of("a", "b"), meta.get(meta.indexOf("inputs") + 1), "the stored model is add_mul's");
    }

    @Test
    void onnxModelsWithExternalDataAreRefused() {
        byte[] inline = identity(tensor(SECRET.length()).bytes(9, SECRET.getBytes(StandardCharsets.UTF_8)));
        assertEquals("OK", Ai.status(c, "AI.MODELSTORE", "m", "ONNX", "CPU", "BLOB", inline));
        assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", "m", "INPUTS", 1, "x", "OUTPUTS", 1, "y"));
        assertEquals(SECRET, new String(Ai.bytes(c, "AI.TENSORGET", "y", "BLOB"), StandardCharsets.UTF_8),
                "the hand-written model runs when its tensor is inside it");

        Proto external = tensor(SECRET.length()).message(13, entry("location", secret.toString()))
                .message(13, entry("length", Integer.toString(SECRET.length()))).varint(14, 1);
        for (byte[] model : List.of(identity(external), constant(external))) {
            assertTrue(refusal("AI.MODELSTORE", "m", "ONNX", "CPU", "BLOB", model).contains("external data"));
        }
        byte[] ortFormat = "\0\0\0\0ORTM and a flatbuffer".getBytes(StandardCharsets.UTF_8);
        assertTrue(assertThrows(RedisCommandExecutionException.class,
                () -> Ai.status(c, "AI.MODELSTORE", "m", "ONNX", "CPU", "BLOB", ortFormat)).getMessage()
                .contains("ORT format"));
        assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", "m", "INPUTS", 1, "x", "OUTPUTS", 1, "z"));
        assertEquals(SECRET, new String(Ai.bytes(c, "AI.TENSORGET", "z", "BLOB"), StandardCharsets.UTF_8),
                "the stored model is the first");
    }

    /** A UINT8 tensor named W of {@code length} elements, its data still to add. */
    private static Proto tensor(int length) {
        return new Proto().varint(1, length).varint(2, 2).string(8, "W");
    }

    private static Proto entry(String key, String value) {
        return new Proto().string(1, key).string(2, value);
    }

    /** A model whose output y is its initializer W; its input x goes unused. */
    private static byte[] identity(Proto weights) {
        return model(new Proto().string(1, "W").string(2, "y").string(4, "Identity"), weights);
    }

    /** A model whose output y is a Constant node's tensor attribute. */
    private static byte[] constant(Proto value) {
        Proto attribute = new Proto().string(1, "value").message(5, value).varint(20, 4);
        return model(new Proto().string(2, "y").string(4, "Constant").message(5, attribute), null);
    }

    /** onnx.proto's fields by number: ir_version 8, opset 17, one node, inputs x (FLOAT) and output y (UINT8). */
    private static byte[] model(Proto node, Proto initializer) {
        Proto graph = new Proto().message(1, node).string(2, "g");
        if (initializer != null) {
            graph.message(5, initializer);
        }
        graph.message(11, valueInfo("x", 1)).message(12, valueInfo("y", 2));
        return new Proto().varint(1, 8).message(8, new Proto().string(1, "").varint(2, 17)).message(7, graph)
                .toBytes();
    }

    private static Proto valueInfo(String name, int elementType) {
        return new Proto().string(1, name).message(2, new Proto().message(1, new Proto().varint(1, elementType)));
    }

    /** A protobuf message written field by field. */
    private static final class Proto {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final CodedOutputStream out = CodedOutputStream.newInstance(bytes);

        Proto varint(int field, long value) {
            return write(() -> out.writeInt64(field, value));
        }

        Proto string(int field, String value) {
            return write(() -> out.writeString(field, value));
        }

        Proto bytes(int field, byte[] value) {
            return write(() -> out.writeByteArray(field, value));
        }

        Proto message(int field, Proto inner) {
            return bytes(field, inner.toBytes());
        }

        byte[] toBytes() {
            write(out::flush);
            return bytes.toByteArray();
        }

        private interface Write {
            void run() throws IOException;
        }

        private Proto write(Write write) {
            try {
                write.run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }
    }
}
