package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.inferis.backend.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Models and scripts loaded at start from load-model, load-script and model-repository. */
class PreloadIT {
    @TempDir
    Path dir;
    @RegisterExtension
    final ProcessServers servers = new ProcessServers();

    @Test
    void loadsEveryDirectiveBeforeServingAndRunsThem() throws Exception {
        Path repository = Files.createDirectories(dir.resolve("repository"));
        Files.copy(Fixtures.MODELS.resolve("int64_affine.onnx"), repository.resolve("affine.onnx"));
        Files.copy(Fixtures.MODELS.resolve("linear_relu.pt"), repository.resolve("linear.pt"));
        Files.writeString(repository.resolve("linear.conf"), "# sidecar\nbatchsize 8\ntag v7\nminbatchsize 2\n");
        Files.writeString(repository.resolve("README.txt"), "not a model");
        Files.copy(Fixtures.MODELS.resolve("tf_mul.pb"), repository.resolve("mul.pb"));
        Files.writeString(repository.resolve("mul.conf"), "inputs a b\noutputs mul\nbatchsize 4\n");
        Path config = dir.resolve("inferis.conf");
        Files.writeString(config, String.join("\n",
                "model-repository " + repository,
                "load-model addmul TORCH CPU " + Fixtures.MODELS.resolve("add_mul.pt") + " MAXQUEUE 100 TAG from-file",
                "load-model cnn ONNX CPU " + Fixtures.MODELS.resolve("mnist_cnn.onnx") + " BATCHSIZE 4",
                "load-model conv TF CPU " + Fixtures.MODELS.resolve("tf_conv.pb") + " INPUTS 1 x OUTPUTS 1 logits",
                "load-script pipeline CPU " + Fixtures.MODELS.resolve("pipeline_script.py") + " pre post", ""));
        try (ServerProcess server = ServerProcess.start(config.toString(), "--dir", dir.toString(),
                "--load-model", "second TORCH CPU " + Fixtures.MODELS.resolve("add_mul.pt"),
                "--natives-dir", System.getProperty("org.bytedeco.javacpp.cachedir"))) {
            StatefulRedisConnection<String, String> c = servers.connect(server);
            List<Object> addMul = Ai.array(c, "AI.MODELGET", "addmul", "META");
            assertEquals("from-file", addMul.get(5));
            assertEquals(100L, addMul.get(addMul.indexOf("maxqueue") + 1));
            List<Object> linear = Ai.array(c, "AI.MODELGET", "linear", "META");
            assertEquals("TORCH", linear.get(1));
            assertEquals("v7", linear.get(5));
            assertEquals(8L, linear.get(7));
            assertEquals(2L, linear.get(9));
            assertEquals("ONNX", Ai.array(c, "AI.MODELGET", "affine", "META").get(1));
            assertEquals(4L, Ai.array(c, "AI.MODELGET", "cnn", "META").get(7));
            assertTrue(Ai.array(c, "AI.MODELGET", "second", "META").contains("TORCH"));
            assertEquals(List.of("pre", "post"), Ai.array(c, "AI.SCRIPTGET", "pipeline", "META").get(5));
            assertEquals(List.of(), Ai.array(c, "KEYS", "README*"));

            Ai.status(c, "AI.TENSORSET", "ids", "INT64", 1, 3, "VALUES", 1, 2, 3);
            assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", "affine", "INPUTS", 1, "ids", "OUTPUTS", 1, "out"));
            assertEquals(List.of(4L, 7L, 10L), Ai.array(c, "AI.TENSORGET", "out", "VALUES"));
            Ai.status(c, "AI.TENSORSET", "a", "FLOAT", 1, 2, "VALUES", 1, 2);
            Ai.status(c, "AI.TENSORSET", "b", "FLOAT", 1, 2, "VALUES", 3, 4);
            assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", "addmul", "INPUTS", 2, "a", "b",
                    "OUTPUTS", 2, "sum", "product"));
            assertEquals(List.of(3.0, 8.0), Ai.array(c, "AI.TENSORGET", "product", "VALUES"));
            List<Object> mul = Ai.array(c, "AI.MODELGET", "mul", "META");
            assertEquals(List.of("a", "b"), mul.get(mul.indexOf("inputs") + 1));
            assertEquals(4L, mul.get(mul.indexOf("batchsize") + 1));
            assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", "mul", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "ab"));
            assertEquals(List.of(3.0, 8.0), Ai.array(c, "AI.TENSORGET", "ab", "VALUES"));
            List<Object> conv = Ai.array(c, "AI.MODELGET", "conv", "META");
            assertEquals(List.of("logits"), conv.get(conv.indexOf("outputs") + 1));
        }
    }

    @Test
    void theFilesVersionReplacesTheAppendOnlyFilesAndIsNotAppended() throws Exception {
        Path aof = servers.appendOnlyFileAfter(dir, c -> {
            TestModels.store(c, "m", "linear_relu.pt", "TAG", "stored-by-client");
            Ai.status(c, "AI.TENSORSET", "t", "FLOAT", 1, "VALUES", 1);
        });
        String directive = "m TORCH CPU " + Fixtures.MODELS.resolve("add_mul.pt") + " TAG from-file";
        try (ServerProcess server = ProcessServers.start(dir, "--appendonly", "yes", "--load-model", directive)) {
            StatefulRedisConnection<String, String> c = servers.connect(server);
            assertEquals("from-file", Ai.array(c, "AI.MODELGET", "m", "META").get(5));
            assertEquals(List.of(1.0), Ai.array(c, "AI.TENSORGET", "t", "VALUES"));
            assertTrue(server.output().contains("Loaded 'm' from " + Fixtures.MODELS.resolve("add_mul.pt")
                    + " in ") && server.output().contains("replacing the version from the snapshot/append-only file"),
                    server.output());
            assertTrue(!new String(Files.readAllBytes(aof), java.nio.charset.StandardCharsets.ISO_8859_1)
                    .contains("from-file"), "a model loaded from a file is configuration, not logged data");
        }
    }

    @Test
    void aFileThatDoesNotLoadStopsStartUpNamingItAndTheEnginesReason() throws Exception {
        Path garbage = Files.write(dir.resolve("garbage.pt"), "not a TorchScript archive".getBytes());
        ServerProcess server = ProcessServers.start(dir, "--load-model", "bad TORCH CPU " + garbage);
        assertEquals(1, server.exitCode());
        assertTrue(server.output().contains("load-model bad TORCH CPU " + garbage + ": cannot load " + garbage + ": ")
                && server.output().contains("PytorchStreamReader"), server.output());
        assertTrue(!server.output().contains("Ready to serve"), server.output());

        ServerProcess missing = ProcessServers.start(dir, "--load-model", "gone ONNX CPU " + dir.resolve("none.onnx"));
        assertEquals(1, missing.exitCode());
        assertTrue(missing.output().contains("cannot read " + dir.resolve("none.onnx")), missing.output());

        ServerProcess badOption = ProcessServers.start(dir, "--load-model",
                "m TORCH CPU " + Fixtures.MODELS.resolve("add_mul.pt") + " BATCHSIZE -1");
        assertEquals(1, badOption.exitCode());
        assertTrue(badOption.output().contains("Invalid argument for BATCHSIZE"), badOption.output());
    }
}
