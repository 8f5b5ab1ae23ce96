package org.inferis.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * An open-loop RESP load: requests start at Poisson arrival times (exponential gaps at the given mean rate), whether
 * or not earlier ones were answered, each on the next of a few pipelining connections; a request's latency counts
 * from its scheduled start, so a server that falls behind shows it (no coordinated omission). {@code __slot__} in the
 * command becomes a number that no pending request on the connection shares (for output keys).
 *
 * <pre>java -cp inferis-bench.jar org.inferis.bench.PoissonLoad PORT RATE SECONDS WARMUP -- AI.MODELEXECUTE ...</pre>
 *
 * Prints {@code RESULT <answered/s> <p50 ms> <p99 ms> <errors>}: answers that arrived within the measured seconds, and
 * the latencies of the requests scheduled within them.
 */
public final class PoissonLoad {
    private static final int CONNECTIONS = 16;
    private static final int SLOTS = 4096;

    private PoissonLoad() {
    }

    /** One connection: requests written in order, answers read in order by its own thread. */
    private static final class Connection extends Thread {
        final Socket socket;
        final OutputStream out;
        final InputStream in;
        final ConcurrentLinkedQueue<Long> scheduled = new ConcurrentLinkedQueue<>();
        final long[] latencies;
        int measured;
        int errors;
        /** Answers that arrived within the measured seconds, whenever sent: the throughput. */
        int answeredInWindow;
        volatile long measureFrom;
        volatile long measureUntil;

        Connection(int port, int capacity) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setTcpNoDelay(true);
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
            latencies = new long[capacity];
            setDaemon(true);
        }

        @Override
        public void run() {
            try {
                while (true) {
                    int type = in.read();
                    if (type < 0) {
                        return;
                    }
                    ClosedLoop.readLine(in);
                    long now = System.nanoTime();
                    long start = scheduled.poll();
                    if (now >= measureFrom && now < measureUntil) {
                        answeredInWindow++;
                    }
                    if (start >= measureFrom && start < measureUntil && measured < latencies.length) {
                        latencies[measured++] = now - start;
                        if (type == '-') {
                            errors++;
                        }
                    }
                }
            } catch (IOException e) {
                // closed at the end
            }
        }
    }

    public static void main(String[] argv) throws Exception {
        int port = Integer.parseInt(argv[0]);
        double rate = Double.parseDouble(argv[1]);
        double seconds = Double.parseDouble(argv[2]);
        double warmup = Double.parseDouble(argv[3]);
        List<String> words = Arrays.asList(argv).subList(5, argv.length);
        int capacity = (int) (rate * seconds * 2 / CONNECTIONS) + 1000;
        List<Connection> connections = new ArrayList<>();
        long begin = System.nanoTime();
        long measureFrom = begin + (long) (warmup * 1e9);
        long measureUntil = measureFrom + (long) (seconds * 1e9);
        for (int i = 0; i < CONNECTIONS; i++) {
            Connection connection = new Connection(port, capacity);
            connection.measureFrom = measureFrom;
            connection.measureUntil = measureUntil;
            connection.start();
            connections.add(connection);
        }
        Random random = new Random(42);
        long next = begin;
        long sent = 0;
        while (next < measureUntil) {
            long wait = next - System.nanoTime();
            if (wait > 20_000) {
                LockSupport.parkNanos(wait - 10_000);
            }
            while (System.nanoTime() < next) {
                Thread.onSpinWait();
            }
            Connection connection = connections.get((int) (sent % CONNECTIONS));
            connection.scheduled.add(next);
            connection.out.write(command(words, (int) (sent / CONNECTIONS % SLOTS)));
            sent++;
            next += (long) (-Math.log(1 - random.nextDouble()) / rate * 1e9);
        }
        // answers to what was sent in the measured window, then stop
        long deadline = System.nanoTime() + 30_000_000_000L;
        for (Connection connection : connections) {
            while (!connection.scheduled.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            connection.socket.close();
            connection.join();
        }
        int total = connections.stream().mapToInt(c -> c.measured).sum();
        int answered = connections.stream().mapToInt(c -> c.answeredInWindow).sum();
        long[] all = new long[total];
        int at = 0;
        int errors = 0;
        for (Connection connection : connections) {
            System.arraycopy(connection.latencies, 0, all, at, connection.measured);
            at += connection.measured;
            errors += connection.errors;
        }
        Arrays.sort(all);
        System.out.printf("RESULT %.0f %.2f %.2f %d%n", answered / seconds, percentile(all, 0.50) / 1e6,
                percentile(all, 0.99) / 1e6, errors);
    }

    private static double percentile(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) (p * sorted.length))];
    }

    private static byte[] command(List<String> words, int slot) {
        StringBuilder out = new StringBuilder("*").append(words.size()).append("\r\n");
        for (String word : words) {
            String arg = word.replace("__slot__", Integer.toString(slot));
            out.append('$').append(arg.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(arg).append("\r\n");
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }
}
