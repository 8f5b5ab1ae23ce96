package org.inferis.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A closed-loop RESP load generator for what redis-benchmark cannot send (a blob argument larger than
 * the 128 KiB a Linux argv string may hold, or a sequence of commands per operation). Each client
 * connection sends an operation's commands one after another, reading each reply before the next, and
 * repeats. {@code __blob__} stands for the blob, {@code __client__} for the client's number (so clients
 * can use keys of their own), and {@code ;;} separates the commands of one operation.
 *
 * <pre>java -jar inferis-bench.jar --port 6379 --clients 50 --seconds 10 --warmup 3 --blob-bytes 602112 \
 *     -- AI.TENSORSET t FLOAT 1 3 224 224 BLOB __blob__</pre>
 *
 * Prints {@code RESULT <operations/s> <p50 ms> <p99 ms>}; {@code --requests n} measures n operations instead
 * of a time.
 */
public final class RespLoad {
    private static final String BLOB_PLACEHOLDER = "__blob__";

    private RespLoad() {
    }

    public static void main(String[] argv) throws Exception {
        ClosedLoop.run(ClosedLoop.Options.parse(argv), RespExchange::new);
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

    /** One RESP connection sending the operation's commands, each after the previous reply. */
    private static final class RespExchange implements ClosedLoop.Exchange {
        private final Socket socket;
        private final OutputStream out;
        private final InputStream in;
        private final List<byte[]> commands;
        private final byte[] scratch = new byte[1 << 16];

        RespExchange(ClosedLoop.Options options, int client) throws IOException {
            this.commands = operation(options.rest(), options.blob(), client);
            this.socket = new Socket("127.0.0.1", options.port());
            socket.setTcpNoDelay(true);
            this.out = socket.getOutputStream();
            this.in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
        }

        @Override
        public void run() throws IOException {
            for (byte[] command : commands) {
                out.write(command);
                readReply();
            }
        }

        private void readReply() throws IOException {
            int type = in.read();
            String line = ClosedLoop.readLine(in);
            switch (type) {
                case '+', ':', ',', '_', '#' -> { }
                case '-' -> throw new IOException("error reply: " + line);
                case '$' -> ClosedLoop.skip(in, Long.parseLong(line) < 0 ? 0 : Long.parseLong(line) + 2, scratch);
                case '*', '~', '%' -> {
                    long items = Long.parseLong(line) * (type == '%' ? 2 : 1);
                    for (long i = 0; i < items; i++) {
                        readReply();
                    }
                }
                default -> throw new IOException("unexpected reply type " + type);
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
