package org.inferis.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.inferis.config.ServerConfig;
import org.junit.jupiter.api.Test;

class WorkerSpecTest {

    @Test
    void parsesBothEnginesUris() {
        List<WorkerSpec> specs = WorkerSpec.parseAll(" redis://10.0.0.1:6380/jobs  g1 out1 kafka://k1:9092,k2:9093/topic g2 out2 ");
        assertEquals(List.of(new WorkerSpec(WorkerSpec.Engine.REDIS, "10.0.0.1:6380", "jobs", "g1", "out1"),
                new WorkerSpec(WorkerSpec.Engine.KAFKA, "k1:9092,k2:9093", "topic", "g2", "out2")), specs);
        assertEquals("kafka://k1:9092,k2:9093/topic", specs.get(1).uri());
        assertEquals(List.of(), WorkerSpec.parseAll("  "));
    }

    @Test
    void refusesWhatIsNotAWorker() {
        assertRefused("redis://h:1/s g", "<uri> <group> <results>");
        assertRefused("http://h:1/s g r", "the scheme must be redis or kafka");
        assertRefused("redis://h:1 g r", "is not redis://host:port/<stream>");
        assertRefused("redis://h:1/ g r", "is not redis://host:port/<stream>");
        assertRefused("redis://h/s g r", "'h' is not host:port");
        assertRefused("redis://a:1,b:2/s g r", "one server for redis://");
        assertRefused("kafka://a:1,b/t g r", "'b' is not host:port");
    }

    @Test
    void configFileLinesAddWorkersAndConfigSetReplacesThem() throws Exception {
        ServerConfig config = ServerConfig.fromArguments(new String[] {
                "--stream-worker", "redis://h:1/a", "g", "r", "--stream-worker", "kafka://k:2/b g r2",
                "--load-model", "m TORCH CPU /m.pt", "--load-model", "n ONNX CPU /n.onnx TAG x"});
        assertEquals(2, WorkerSpec.parseAll(config.getString("stream-worker")).size());
        assertEquals(List.of("m TORCH CPU /m.pt", "n ONNX CPU /n.onnx TAG x"), config.directives("load-model"));
        config.set("stream-worker", "redis://h:1/c g r");
        assertEquals("redis://h:1/c g r", config.getString("stream-worker"));
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> config.set("stream-worker", "redis://h:1/c g"));
        assertTrue(refused.getMessage().contains("<uri> <group> <results>"), refused.getMessage());
        assertEquals("redis://h:1/c g r", config.getString("stream-worker"), "a refused value changes nothing");
        assertThrows(IllegalArgumentException.class, () -> config.set("load-model", "x TORCH CPU /x.pt"));
    }

    private static void assertRefused(String value, String reason) {
        String message = assertThrows(IllegalArgumentException.class, () -> WorkerSpec.parseAll(value)).getMessage();
        assertTrue(message.contains(reason), message);
    }
}
