package org.inferis.examples;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Stores the example CNN, classifies an image with it, then runs a two-model pipeline as one AI.DAGEXECUTE.
 * Arguments: the server's URI (default redis://127.0.0.1:6379) and the folder of the example models.
 */
public final class Example {
    private Example() {
    }

    public static void main(String[] args) throws Exception {
        String uri = args.length > 0 ? args[0] : "redis://127.0.0.1:6379";
        Path models = Path.of(args.length > 1 ? args[1] : "backends/src/test/resources/models");
        try (InferisClient inferis = InferisClient.connect(uri)) {
            inferis.modelStore("example:cnn", "TORCH", "CPU", models.resolve("mnist_cnn.pt"), "BATCHSIZE", 16);
            float[] image = new float[28 * 28];
            for (int i = 0; i < image.length; i++) {
                image[i] = (i % 28 > 10 && i % 28 < 17) ? 1f : 0f; // a vertical bar
            }
            inferis.tensorSet("example:image", new long[] {1, 1, 28, 28}, image);
            inferis.modelExecute("example:cnn", List.of("example:image"), List.of("example:scores"));
            InferisClient.Tensor scores = inferis.tensorGet("example:scores");
            System.out.println("CNN scores " + Arrays.toString(scores.shape()) + ": "
                    + Arrays.toString(scores.floats()) + " -> class " + argmax(scores.floats()));

            // Linear(4, 3) + ReLU on ONNX Runtime, its output into a TorchScript model with three outputs
            inferis.modelStore("example:linear", "ONNX", "CPU", models.resolve("linear_relu.onnx"));
            inferis.modelStore("example:heads", "TORCH", "CPU", models.resolve("multi_output.pt"));
            List<Object> replies = inferis.dag()
                    .tensorSet("x", new long[] {2, 4}, 1, 2, 3, 4, -1, -2, -3, -4)
                    .modelExecute("example:linear", List.of("x"), List.of("hidden"))
                    .modelExecute("example:heads", List.of("hidden"), List.of("doubled", "row_sum", "sigmoid"))
                    .tensorGet("row_sum")
                    .execute();
            InferisClient.Tensor rowSum = (InferisClient.Tensor) replies.get(3);
            System.out.println("DAG replies " + replies.subList(0, 3) + ", row_sum " + Arrays.toString(rowSum.shape())
                    + ": " + Arrays.toString(rowSum.floats()));
        }
    }

    private static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
