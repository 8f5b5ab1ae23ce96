package org.inferis.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.inferis.backend.Device;
import org.inferis.backend.EngineOptions;
import org.inferis.backend.IoNames;
import org.inferis.backend.LoadedModel;
import org.inferis.backend.ModelBackend;
import org.inferis.backend.onnx.OnnxBackend;
import org.inferis.backend.tf.TfBackend;
import org.inferis.backend.torch.TorchBackend;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;

/**
 * A model's forward time called in-process through the backend interface, input hand-off and output
 * copy included: the floor that a run over RESP is compared against.
 *
 * <pre>java -cp ... org.inferis.bench.InProcessForward TORCH model.pt 20000 1 1 28 28</pre>
 *
 * A TF graph names its input and output nodes: {@code -Dinputs=x -Doutputs=logits ... TF model.pb ...}.
 * Prints {@code RESULT <p50 µs> <p99 µs> <mean µs>} for a zero-filled FLOAT input of the given shape. {@code -Dthreads=n} sets
 * the threads of a forward (default: the engine's own choice).
 */
public final class InProcessForward {
    private InProcessForward() {
    }

    public static void main(String[] args) throws Exception {
        // -Dthreads=n: the intra-op threads of a forward (the server's choice); 0, the default: the engine's own
        int threads = Integer.getInteger("threads", 0);
        EngineOptions options = new EngineOptions(threads, threads == 0 ? 0 : 1);
        IoNames names = IoNames.NONE;
        ModelBackend backend;
        if (args[0].equalsIgnoreCase("TF")) {
            backend = new TfBackend(options, () -> 0, () -> Path.of(System.getProperty("natives", "natives")));
            names = new IoNames(List.of(System.getProperty("inputs").split(",")),
                    List.of(System.getProperty("outputs").split(",")));
        } else {
            backend = args[0].equalsIgnoreCase("TORCH") ? new TorchBackend(options) : new OnnxBackend(options);
        }
        int iterations = Integer.parseInt(args[2]);
        long[] shape = Arrays.stream(args, 3, args.length).mapToLong(Long::parseLong).toArray();
        long elements = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        Tensor input = new Tensor(DType.FLOAT, shape,
                ByteBuffer.allocate((int) elements * 4).order(ByteOrder.LITTLE_ENDIAN));
        try (LoadedModel model = backend.load(Files.readAllBytes(Path.of(args[1])), Device.parse("CPU"), names)) {
            for (int i = 0; i < iterations / 2; i++) {
                model.run(List.of(input)); // warm-up
            }
            long[] times = new long[iterations];
            for (int i = 0; i < iterations; i++) {
                long start = System.nanoTime();
                model.run(List.of(input));
                times[i] = System.nanoTime() - start;
            }
            double mean = Arrays.stream(times).average().orElse(0);
            Arrays.sort(times);
            System.out.printf(Locale.ROOT, "RESULT %.1f %.1f %.1f%n", times[iterations / 2] / 1e3,
                    times[(int) (iterations * 0.99)] / 1e3, mean / 1e3);
        }
    }
}
