package io.salvo.bench.shared;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * The benchmarks' HTTP/1.1 client for a model server on this machine: one keep-alive socket with TCP_NODELAY, and
 * each request prepared once as bytes ({@link #jsonPost}) and written in one write, so that the time around
 * {@link #send} is the server's and the loopback's, not the client's.
 *
 * <p>java.net.HttpURLConnection writes headers and body separately without TCP_NODELAY, and Nagle's algorithm then
 * added ~1.2 ms to every POST on loopback here. The figures in bench/model-server/RESULTS.md were measured with this
 * client; another client would move what they include.
 *
 * <p>Not thread-safe: one request in flight, which is what the benchmarks measure (service time without queueing).
 */
public final class ModelServerConnection implements AutoCloseable {

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;

    /** Connects to 127.0.0.1:{@code port}. */
    public ModelServerConnection(int port) throws IOException {
        socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setTcpNoDelay(true);
        out = socket.getOutputStream();
        in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
    }

    /** The complete bytes of a POST of a JSON body, ready for {@link #send}. */
    public static byte[] jsonPost(String path, String body) {
        byte[] content = body.getBytes(StandardCharsets.UTF_8);
        byte[] head = ("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + content.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] request = Arrays.copyOf(head, head.length + content.length);
        System.arraycopy(content, 0, request, head.length, content.length);
        return request;
    }

    /**
     * Sends a prepared request, reads the whole response and returns its Salvo-Inference-Us header (the server's time
     * in the model), or -1 without one.
     *
     * @throws IllegalStateException when the status is not 200, with the response body
     */
    public long send(byte[] request) throws IOException {
        out.write(request);
        out.flush();
        String status = readLine();
        int length = -1;
        long inferenceMicros = -1;
        for (String line = readLine(); !line.isEmpty(); line = readLine()) {
            int colon = line.indexOf(':');
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            if (name.equals("content-length")) {
                length = Integer.parseInt(value);
            } else if (name.equals("salvo-inference-us")) {
                inferenceMicros = Long.parseLong(value);
            }
        }
        byte[] body = in.readNBytes(length);
        if (!status.startsWith("HTTP/1.1 200")) {
            throw new IllegalStateException(status + ": " + new String(body, StandardCharsets.UTF_8));
        }
        return inferenceMicros;
    }

    private String readLine() throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new EOFException("connection closed");
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
