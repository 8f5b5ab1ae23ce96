package org.inferis.bench;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A closed-loop load driver: each client is a thread with a connection of its own that does one exchange (a
 * request and its reply), then the next. After a warm-up it measures either for {@code --seconds} or until every
 * client has made its share of {@code --requests}, and prints {@code RESULT <operations/s> <p50 ms> <p99 ms>}.
 * The protocols plug in as {@link Exchange}s, so RESP and HTTP are measured the same way.
 */
final class ClosedLoop {
    /** One client's connection; {@link #run()} sends one request and reads its whole reply. */
    interface Exchange extends AutoCloseable {
        void run() throws IOException;
    }

    @FunctionalInterface
    interface Connector {
        Exchange connect(Options options, int client) throws IOException;
    }

    /** The common options; what follows {@code --} is the protocol's own. */
    record Options(int port, int clients, double seconds, long requests, double warmup, byte[] blob, List<String> rest) {
        static Options parse(String[] argv) {
            int port = 6379;
            int clients = 50;
            double seconds = 10;
            long requests = 0;
            double warmup = 3;
            int blobBytes = 0;
            int i = 0;
            for (; i < argv.length && !argv[i].equals("--"); i += 2) {
                switch (argv[i]) {
                    case "--port" -> port = Integer.parseInt(argv[i + 1]);
                    case "--clients" -> clients = Integer.parseInt(argv[i + 1]);
                    case "--seconds" -> seconds = Double.parseDouble(argv[i + 1]);
                    case "--requests" -> requests = Long.parseLong(argv[i + 1]);
                    case "--warmup" -> warmup = Double.parseDouble(argv[i + 1]);
                    case "--blob-bytes" -> blobBytes = Integer.parseInt(argv[i + 1]);
                    default -> throw new IllegalArgumentException("unknown option " + argv[i]);
                }
            }
            List<String> rest = i < argv.length ? Arrays.asList(argv).subList(i + 1, argv.length) : List.of();
            return new Options(port, clients, seconds, requests, warmup, ClosedLoop.blob(blobBytes), rest);
        }
    }

    private ClosedLoop() {
    }

    static void run(Options options, Connector connector) throws Exception {
        AtomicBoolean measuring = new AtomicBoolean();
        AtomicBoolean running = new AtomicBoolean(true);
        long share = options.requests() > 0 ? Math.max(1, options.requests() / options.clients()) : Long.MAX_VALUE;
        List<Worker> workers = new ArrayList<>();
        for (int c = 0; c < options.clients(); c++) {
            Worker worker = new Worker(connector.connect(options, c), measuring, running, share);
            workers.add(worker);
            worker.start();
        }
        Thread.sleep((long) (options.warmup() * 1000));
        long start = System.nanoTime();
        measuring.set(true);
        if (options.requests() > 0) {
            for (Worker worker : workers) {
                worker.join();
            }
        } else {
            Thread.sleep((long) (options.seconds() * 1000));
        }
        measuring.set(false);
        long elapsed = System.nanoTime() - start;
        running.set(false);
        long[] all = new long[0];
        for (Worker worker : workers) {
            worker.join();
            if (worker.failure != null) {
                System.err.println("client failed: " + worker.failure);
                System.exit(1);
            }
            long[] mine = Arrays.copyOf(worker.latencies, worker.count);
            long[] merged = Arrays.copyOf(all, all.length + mine.length);
            System.arraycopy(mine, 0, merged, all.length, mine.length);
            all = merged;
        }
        Arrays.sort(all);
        System.out.printf(Locale.ROOT, "RESULT %.0f %.3f %.3f%n", all.length / (elapsed / 1e9),
                percentile(all, 0.50) / 1e6, percentile(all, 0.99) / 1e6);
    }

    private static double percentile(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) (p * sorted.length))];
    }

    /** Deterministic bytes, the same for every protocol's payload. */
    private static byte[] blob(int size) {
        byte[] blob = new byte[size];
        for (int i = 0; i < size; i++) {
            blob[i] = (byte) (i * 131 + 7);
        }
        return blob;
    }

    /** Reads a CRLF-terminated line (without it). */
    static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) != '\r') {
            if (c < 0) {
                throw new IOException("connection closed");
            }
            line.append((char) c);
        }
        in.read();
        return line.toString();
    }

    /** Reads and drops {@code bytes} bytes. */
    static void skip(InputStream in, long bytes, byte[] scratch) throws IOException {
        while (bytes > 0) {
            int n = in.read(scratch, 0, (int) Math.min(scratch.length, bytes));
            if (n < 0) {
                throw new IOException("connection closed");
            }
            bytes -= n;
        }
    }

    private static final class Worker extends Thread {
        private final Exchange exchange;
        private final AtomicBoolean measuring;
        private final AtomicBoolean running;
        private final long share;
        private long[] latencies = new long[1 << 16];
        private int count;
        private Exception failure;

        Worker(Exchange exchange, AtomicBoolean measuring, AtomicBoolean running, long share) {
            this.exchange = exchange;
            this.measuring = measuring;
            this.running = running;
            this.share = share;
            setDaemon(true);
        }

        @Override
        public void run() {
            try (exchange) {
                while (running.get() && count < share) {
                    long sent = System.nanoTime();
                    exchange.run();
                    if (measuring.get()) {
                        if (count == latencies.length) {
                            latencies = Arrays.copyOf(latencies, count * 2);
                        }
                        latencies[count++] = System.nanoTime() - sent;
                    }
                }
            } catch (Exception e) {
                failure = e;
            }
        }
    }
}
