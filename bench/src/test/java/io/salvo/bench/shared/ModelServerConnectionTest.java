package io.salvo.bench.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The benchmarks' client against a scripted server on loopback: requests arrive byte for byte as prepared, several
 * on one connection, and the server's model time is read from its header whatever the header's case.
 */
class ModelServerConnectionTest {

    private static final int TIMEOUT_MILLIS = 10_000;

    @Test
    void sendsPreparedRequestsOnOneConnectionAndReturnsTheServersModelTime() throws Exception {
        byte[] first = ModelServerConnection.jsonPost("/v2/models/m/infer", "{\"inputs\":[]}");
        byte[] second = ModelServerConnection.jsonPost("/v2/models/m/predict", "{\"inputs\":[\"é\"]}");
        try (ServerSocket listener = listen()) {
            CompletableFuture<List<byte[]>> received = serve(
                    listener,
                    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nSalvo-Inference-Us: 1234\r\n\r\nok",
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nSALVO-INFERENCE-US: 56\r\n"
                            + "content-length: 4\r\n\r\n{\"a\"");
            try (ModelServerConnection connection = new ModelServerConnection(listener.getLocalPort())) {
                assertThat(connection.send(first)).isEqualTo(1234);
                assertThat(connection.send(second)).isEqualTo(56);
            }
            assertThat(received.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)).containsExactly(first, second);
        }
    }

    @Test
    void withoutTheModelTimeHeaderReturnsMinusOne() throws Exception {
        try (ServerSocket listener = listen()) {
            CompletableFuture<List<byte[]>> served = serve(listener, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            try (ModelServerConnection connection = new ModelServerConnection(listener.getLocalPort())) {
                assertThat(connection.send(ModelServerConnection.jsonPost("/", "{}")))
                        .isEqualTo(-1);
            }
            assertThat(served.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)).hasSize(1);
        }
    }

    @Test
    void anErrorStatusFailsWithTheResponseBody() throws Exception {
        try (ServerSocket listener = listen()) {
            CompletableFuture<List<byte[]>> served =
                    serve(listener, "HTTP/1.1 400 Bad Request\r\nContent-Length: 13\r\n\r\nno such model");
            try (ModelServerConnection connection = new ModelServerConnection(listener.getLocalPort())) {
                assertThatThrownBy(() -> connection.send(ModelServerConnection.jsonPost("/", "{}")))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessage("HTTP/1.1 400 Bad Request: no such model");
            }
            assertThat(served.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)).hasSize(1);
        }
    }

    private static ServerSocket listen() throws IOException {
        ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        listener.setSoTimeout(TIMEOUT_MILLIS);
        return listener;
    }

    /** Accepts one connection and answers each request on it with the next response; completes with the requests. */
    private static CompletableFuture<List<byte[]>> serve(ServerSocket listener, String... responses) {
        return CompletableFuture.supplyAsync(() -> {
            List<byte[]> requests = new ArrayList<>();
            try (Socket socket = listener.accept()) {
                socket.setSoTimeout(TIMEOUT_MILLIS);
                InputStream in = new BufferedInputStream(socket.getInputStream());
                OutputStream out = socket.getOutputStream();
                for (String response : responses) {
                    requests.add(readRequest(in));
                    out.write(response.getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return requests;
        });
    }

    private static byte[] readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        while (!request.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("closed inside the request head");
            }
            request.write(c);
        }
        String head = request.toString(StandardCharsets.ISO_8859_1);
        int at = head.indexOf("Content-Length: ") + "Content-Length: ".length();
        int length = Integer.parseInt(head.substring(at, head.indexOf("\r\n", at)));
        request.write(in.readNBytes(length));
        return request.toByteArray();
    }
}
