package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.inferis.backend.Fixtures;
import org.inferis.backend.OnnxProto;
import org.inferis.backend.OnnxProto.Proto;
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

        Proto external = tensor(SECRET.length()).message(13, OnnxProto.entry("location", secret.toString()))
                .message(13, OnnxProto.entry("length", Integer.toString(SECRET.length()))).varint(14, 1);
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
        return OnnxProto.tensor("W", OnnxProto.UINT8, length);
    }

    /** A model whose output y is its initializer W; its input x goes unused. */
    private static byte[] identity(Proto weights) {
        return OnnxProto.model(List.of(OnnxProto.node("Identity", "", List.of("W"), List.of("y"))), List.of(weights),
                OnnxProto.UINT8, new long[0]);
    }

    /** A model whose output y is a Constant node's tensor attribute. */
    private static byte[] constant(Proto value) {
        Proto attribute = new Proto().string(1, "value").message(5, value).varint(20, 4);
        return OnnxProto.model(List.of(OnnxProto.node("Constant", "", List.of(), List.of("y")).message(5, attribute)),
                List.of(), OnnxProto.UINT8, new long[0]);
    }
}
