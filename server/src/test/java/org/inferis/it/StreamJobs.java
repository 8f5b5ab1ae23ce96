package org.inferis.it;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.inferis.backend.Fixtures;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;
import org.inferis.worker.SafeTensors;

/**
 * Jobs for the stream workers' tests: job {@code n} asks {@code int64_affine.pt} (ids*3+1) for a 1x4 INT64 tensor of
 * n*4 .. n*4+3, so each result can be checked against its job's number.
 */
final class StreamJobs {
    static final String MODEL_FILE = "int64_affine.pt";

    private StreamJobs() {
    }

    static byte[] inputs(int job) {
        ByteBuffer data = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 4; i++) {
            data.putLong(job * 4L + i);
        }
        return SafeTensors.encode(List.of(new Tensor(DType.INT64, new long[] {1, 4}, data.flip())));
    }

    /** Whether a result's outputs are the model's answer to job {@code n}. */
    static boolean isAnswerTo(int job, byte[] outputs) throws SafeTensors.MalformedException {
        List<Tensor> tensors = SafeTensors.decode(outputs);
        if (tensors.size() != 1 || tensors.get(0).dtype() != DType.INT64 || tensors.get(0).elementCount() != 4) {
            return false;
        }
        ByteBuffer data = tensors.get(0).data();
        for (int i = 0; i < 4; i++) {
            if (data.getLong(i * 8) != (job * 4L + i) * 3 + 1) {
                return false;
            }
        }
        return true;
    }

    /**
     * A node serving the jobs' models ({@code affine}: {@link #MODEL_FILE} with BATCHSIZE 32; {@code linear}:
     * linear_relu.pt, FLOAT [n, 4]) with one stream worker, started and ready.
     */
    static ServerProcess node(java.nio.file.Path dir, String name, String streamWorker, String... options)
            throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("--dir", dir.toString(), "--save", "",
                "--worker-name", name,
                "--load-model", "affine TORCH CPU " + Fixtures.MODELS.resolve(MODEL_FILE) + " BATCHSIZE 32",
                "--load-model", "linear TORCH CPU " + Fixtures.MODELS.resolve("linear_relu.pt"),
                "--stream-worker", streamWorker));
        args.addAll(List.of(options));
        ServerProcess node = ServerProcess.start(args.toArray(String[]::new));
        org.junit.jupiter.api.Assertions.assertTrue(node.output().contains("Ready to serve"), node.output());
        return node;
    }

    /** A tensor file of one tensor of another dtype or shape than the model takes. */
    static byte[] file(DType dtype, long... shape) {
        int bytes = (int) Tensor.elementCount(shape) * dtype.byteSize();
        return SafeTensors.encode(List.of(new Tensor(dtype, shape, ByteBuffer.allocate(bytes))));
    }
}
