package org.inferis.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A closed-loop RESP load generator for what redis-benchmark cannot send (a blob argument larger than
 * the 128 KiB a Linux argv string may hold, or a sequence of commands per operation). Each client
 * connection sends an operation's commands one after another, reading each reply before the next, and
 * repeats; after a warm-up it counts operations and their latencies. {@code __blob__} stands for the
 * blob, {@code __client__} for the client's number (so clients can use keys of their own), and
 * {@code ;;} separates the commands of one operation.
 *
 * <pre>java -jar inferis-bench.jar --port 6379 --clients 50 --seconds 10 --warmup 3 --blob-bytes 602112 \
 *     -- AI.TENSORSET t FLOAT 1 3 224 224 BLOB __blob__</pre>
 *
 * Prints {@code RESULT <operations/s> <p50 ms> <p99 ms>}.
 */
public final class RespLoad {
    private static final String BLOB_PLACEHOLDER = "__blob__";

    private RespLoad() {
    }

    public static void main(String[] argv) throws Exception {
        int port = 6379;
        int clients = 50;
        double seconds = 10;
        double warmup = 3;
        int blobBytes = 0;
        int i = 0;
        for (; i < argv.length && !argv[i].equals("--"); i += 2) {
            switch (argv[i]) {
                case "--port" -> port = Integer.parseInt(argv[i + 1]);
                case "--clients" -> clients = Integer.parseInt(argv[i + 1]);
                case "--seconds" -> seconds = Double.parseDouble(argv[i + 1]);
                case "--warmup" -> warmup = Double.parseDouble(argv[i + 1]);
                case "--blob-bytes" -> blobBytes = Integer.parseInt(argv[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + argv[i]);
            }
        }
        List<String> words = Arrays.asList(argv).subList(i + 1, argv.length);
        byte[] blob = blob(blobBytes);

        AtomicBoolean measuring = new AtomicBoolean();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Worker> workers = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            Worker worker = new Worker(port, operation(words, blob, c), measuring, running);
            workers.add(worker);
            worker.start();
        }
        Thread.sleep((long) (warmup * 1000));
        long start = System.nanoTime();
        measuring.set(true);
        Thread.sleep((long) (seconds * 1000));
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
        double opsPerSecond = all.length / (elapsed / 1e9);
        System.out.printf(java.util.Locale.ROOT, "RESULT %.0f %.3f %.3f%n", opsPerSecond,
                percentile(all, 0.50) / 1e6, percentile(all, 0.99) / 1e6);
    }

    private static double percentile(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) (p * sorted.length))];
    }

    private static byte[] blob(int size) {
        byte[] blob = new byte[size];
        for (int i = 0; i < size; i++) {
            blob[i] = (byte) (i * 131 + 7);
        }
        return blob;
    }

    /** The commands of one operation, with the placeholders filled in for client {@code client}. */
    private static List<byte[]> operation(List<String> words, byte[] blob, int client) {
        List<byte[]> commands = new ArrayList<>();
        List<String> command = new ArrayList<>();
        for (String word : words) {
            if (word.equals(";;")) {
                commands.add(encode(command, blob));
                command = new ArrayList<>();
            } else {
                command.add(word.replace("__client__", Integer.toString(client)));
            }
        }
        commands.add(encode(command, blob));
        return commands;
    }

    private static byte[] encode(List<String> words, byte[] blob) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("*" + words.size() + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (String word : words) {
            byte[] arg = word.equals(BLOB_PLACEHOLDER) ? blob : word.getBytes(StandardCharsets.UTF_8);
            out.writeBytes(("$" + arg.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(arg);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        return out.toByteArray();
    }

    private static final class Worker extends Thread {
        private final int port;
        private final List<byte[]> commands;
        private final AtomicBoolean measuring;
        private final AtomicBoolean running;
        private final byte[] scratch = new byte[1 << 16];
        private long[] latencies = new long[1 << 16];
        private int count;
        private Exception failure;

        Worker(int port, List<byte[]> commands, AtomicBoolean measuring, AtomicBoolean running) {
            this.port = port;
            this.commands = commands;
            this.measuring = measuring;
            this.running = running;
            setDaemon(true);
        }

        @Override
        public void run() {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.setTcpNoDelay(true);
                OutputStream out = socket.getOutputStream();
                InputStream in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
                while (running.get()) {
                    long sent = System.nanoTime();
                    for (byte[] command : commands) {
                        out.write(command);
                        readReply(in);
                    }
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

        private void readReply(InputStream in) throws IOException {
            int type = in.read();
            String line = readLine(in);
            switch (type) {
                case '+', ':', ',', '_', '#' -> { }
                case '-' -> throw new IOException("error reply: " + line);
                case '$' -> skip(in, Long.parseLong(line) < 0 ? 0 : Long.parseLong(line) + 2);
                case '*', '~', '%' -> {
                    long items = Long.parseLong(line) * (type == '%' ? 2 : 1);
                    for (long i = 0; i < items; i++) {
                        readReply(in);
                    }
                }
                default -> throw new IOException("unexpected reply type " + type);
            }
        }

        private void skip(InputStream in, long bytes) throws IOException {
            while (bytes > 0) {
                int n = in.read(scratch, 0, (int) Math.min(scratch.length, bytes));
                if (n < 0) {
                    throw new IOException("connection closed");
                }
                bytes -= n;
            }
        }

        private static String readLine(InputStream in) throws IOException {
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
    }
}
