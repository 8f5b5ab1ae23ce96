package org.inferis.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The HTTP/1.1 twin of {@link RespLoad}, measured the same way: each client keeps one connection alive and
 * POSTs the blob to a path, reading the whole response before the next.
 *
 * <pre>java -cp inferis-bench.jar org.inferis.bench.HttpLoad --port 8000 --clients 32 --requests 20000 \
 *     --blob-bytes 3136 -- /predict</pre>
 */
public final class HttpLoad {
    private HttpLoad() {
    }

    public static void main(String[] argv) throws Exception {
        ClosedLoop.run(ClosedLoop.Options.parse(argv), HttpExchange::new);
    }

    private static final class HttpExchange implements ClosedLoop.Exchange {
        private final Socket socket;
        private final OutputStream out;
        private final InputStream in;
        private final byte[] request;
        private final byte[] scratch = new byte[1 << 16];

        HttpExchange(ClosedLoop.Options options, int client) throws IOException {
            String path = options.rest().isEmpty() ? "/" : options.rest().get(0);
            byte[] head = ("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + options.port()
                    + "\r\nContent-Type: application/octet-stream\r\nContent-Length: " + options.blob().length
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            request = new byte[head.length + options.blob().length];
            System.arraycopy(head, 0, request, 0, head.length);
            System.arraycopy(options.blob(), 0, request, head.length, options.blob().length);
            socket = new Socket("127.0.0.1", options.port());
            socket.setTcpNoDelay(true);
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
        }

        @Override
        public void run() throws IOException {
            out.write(request);
            String status = ClosedLoop.readLine(in);
            if (!status.startsWith("HTTP/1.1 200")) {
                throw new IOException("HTTP status: " + status);
            }
            long length = -1;
            boolean chunked = false;
            for (String header = ClosedLoop.readLine(in); !header.isEmpty(); header = ClosedLoop.readLine(in)) {
                String lower = header.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Long.parseLong(lower.substring(15).trim());
                } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                    chunked = true;
                }
            }
            if (chunked) {
                for (long size = Long.parseLong(ClosedLoop.readLine(in).trim(), 16); size > 0;
                     size = Long.parseLong(ClosedLoop.readLine(in).trim(), 16)) {
                    ClosedLoop.skip(in, size + 2, scratch);
                }
                ClosedLoop.readLine(in);
            } else if (length >= 0) {
                ClosedLoop.skip(in, length, scratch);
            } else {
                throw new IOException("a response without a length cannot be kept alive");
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
