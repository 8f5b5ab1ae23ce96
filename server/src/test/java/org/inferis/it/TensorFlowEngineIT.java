package org.inferis.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.inferis.backend.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The TF engine in servers of their own: loaded only on demand, kept across restarts, absent from a no-TF build. */
class TensorFlowEngineIT {
    /** Where the test JVM's own servers unpacked TF (see the failsafe configuration): unpacked once for all. */
    private static final String SHARED_NATIVES = System.getProperty("org.bytedeco.javacpp.cachedir");

    @TempDir
    Path dir;
    @RegisterExtension
    final ProcessServers servers = new ProcessServers();

    private static Object[] storeMul(String key) {
        return new Object[] {key, "TF", "CPU", "TAG", "t", "BATCHSIZE", 4, "INPUTS", 2, "a", "b", "OUTPUTS", 1, "mul",
                "BLOB", Fixtures.model("tf_mul.pb")};
    }

    private static void runMul(StatefulRedisConnection<String, String> c, String model) {
        Ai.status(c, "AI.TENSORSET", "a", "FLOAT", 2, "VALUES", 2, 3);
        Ai.status(c, "AI.TENSORSET", "b", "FLOAT", 2, "VALUES", 3, 5);
        assertEquals("OK", Ai.status(c, "AI.MODELEXECUTE", model, "INPUTS", 2, "a", "b", "OUTPUTS", 1, "c"));
        assertEquals(List.of(6.0, 15.0), Ai.array(c, "AI.TENSORGET", "c", "VALUES").stream()
                .map(value -> Double.parseDouble(value.toString())).toList());
    }

    @Test
    void theEngineLoadsOnTheFirstTfModelIntoTheConfiguredDirectory() throws Exception {
        Path natives = dir.resolve("natives");
        try (ServerProcess server = ServerProcess.start("--dir", dir.toString(), "--natives-dir", natives.toString())) {
            StatefulRedisConnection<String, String> c = servers.connect(server);
            String before = c.sync().info("ai");
            assertTrue(before.contains("ai_torch_version:"), before);
            assertFalse(before.contains("ai_tf_version"), "TF is not loaded at start:\n" + before);
            assertFalse(Files.exists(natives), "nothing unpacked before a TF model");
            assertFalse(server.output().contains("TensorFlow"), server.output());

            assertEquals("OK", Ai.status(c, "AI.MODELSTORE", storeMul("m")));
            runMul(c, "m");
            assertTrue(c.sync().info("ai").contains("ai_tf_version:2."));
            try (Stream<Path> files = Files.walk(natives)) {
                assertTrue(files.anyMatch(file -> file.getFileName().toString().startsWith("libtensorflow_cc")),
                        "TF's natives unpacked under natives-dir");
            }
        }
    }

    @Test
    void tfModelsSurviveRestartsFromTheAppendOnlyFileAndTheSnapshot() throws Exception {
        try (ServerProcess server = ServerProcess.start("--dir", dir.toString(), "--appendonly", "yes",
                "--appendfsync", "always", "--natives-dir", SHARED_NATIVES)) {
            StatefulRedisConnection<String, String> c = servers.connect(server);
            assertEquals("OK", Ai.status(c, "AI.MODELSTORE", storeMul("m")));
            server.signal("KILL"); // no save at exit: only the append-only file has the model
            server.exitCode();
        }
        try (ServerProcess server = ServerProcess.start("--dir", dir.toString(), "--appendonly", "yes",
                "--natives-dir", SHARED_NATIVES)) {
            StatefulRedisConnection<String, String> c = servers.connect(server);
            List<Object> meta = Ai.array(c, "AI.MODELGET", "m", "META");
            assertEquals(List.of("a", "b"), meta.get(meta.indexOf("inputs") + 1));
            assertEquals(4L, meta.get(meta.indexOf("batchsize") + 1));
            runMul(c, "m");
            assertEquals("OK", c.sync().save());
        }
        try (ServerProcess server = ServerProcess.start("--dir", dir.toString(), "--natives-dir", SHARED_NATIVES)) {
            StatefulRedisConnection<String, String> c = servers.connect(server);
            List<Object> meta = Ai.array(c, "AI.MODELGET", "m", "META");
            assertEquals(List.of("mul"), meta.get(meta.indexOf("outputs") + 1));
            assertEquals("t", meta.get(meta.indexOf("tag") + 1));
            runMul(c, "m");
        }
    }

    @Test
    void aServerBuiltWithoutTensorFlowSaysHowToGetIt() throws Exception {
        // the runnable jar and its lib/ as -Dno-tensorflow leaves them: everything but TF's native jar
        Path target = Path.of("target");
        Path lib = Files.createDirectories(dir.resolve("lib"));
        try (Stream<Path> jars = Files.list(target.resolve("lib"))) {
            for (Path jar : jars.filter(jar -> !jar.getFileName().toString()
                    .matches("tensorflow-core-native-.*-(linux|macosx|windows).*\\.jar")).toList()) {
                Files.createSymbolicLink(lib.resolve(jar.getFileName()), jar.toAbsolutePath());
            }
        }
        Path jar = Files.copy(target.resolve("inferis-server.jar"), dir.resolve("inferis-server.jar"));
        List<String> withoutTf = List.of("bash", "-c", "shift; exec java -Dai.djl.offline=true -jar " + jar + " \"$@\"",
                "without-tf");
        try (ServerProcess server = ServerProcess.start(withoutTf, "--dir", dir.toString())) {
            StatefulRedisConnection<String, String> c = servers.connect(server);
            String refused = assertThrows(RedisCommandExecutionException.class,
                    () -> Ai.status(c, "AI.MODELSTORE", storeMul("m"))).getMessage();
            assertTrue(refused.startsWith("ERR unsupported backend: this server was built without TensorFlow"),
                    refused);
            assertEquals("ERR error loading backend", assertThrows(RedisCommandExecutionException.class,
                    () -> Ai.status(c, "AI.CONFIG", "LOADBACKEND", "TF", "redisai_tensorflow/redisai_tensorflow.so"))
                    .getMessage());
            assertEquals(0L, c.sync().exists("m"));
            Ai.status(c, "AI.MODELSTORE", "onnx", "ONNX", "CPU", "BLOB", Fixtures.model("add_mul.onnx"));
            assertEquals(1L, c.sync().exists("onnx"), "the other engines serve as before");
        }
    }
}
