package io.salvo.platform.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.salvo.testkit.Await;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The driver's own port-forward against fabric8's mock API server, which answers the {@code pods/portforward}
 * WebSocket upgrade as the API server does (the port-forward protocol: a data and an error channel announced with the
 * port, then data frames on channel 0). Each loopback connection becomes one forward to one ready pod, round-robin;
 * a connection made while no pod is ready waits for one; none within the wait closes it; close() frees the port.
 */
@EnableKubernetesMockClient
class PortForwardEndpointTest {

    static KubernetesMockServer server;
    static KubernetesClient client;

    private static final String NS = "bench";
    private static final int POD_PORT = 8080;

    /** A port-forward frame: the channel byte (0 data, 1 error), then the payload. */
    private static String frame(int channel, String payload) {
        return (char) channel + payload;
    }

    private static final String REQUEST = "GET /v2/health/ready HTTP/1.1\r\nHost: model\r\n\r\n";

    private static String response(String pod) {
        String body = "served by " + pod;
        return "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    }

    /**
     * The next forward to {@code pod}: the API server announces the port on the data and the error channel (8080 =
     * 0x1f90, little-endian), then (after them: both are sent at once) the pod answers the client's request on the data channel and keeps the stream open
     * (an HTTP keep-alive server). Once per forward: the mock replays a session's frames only for the first connection.
     */
    private static void podAnswers(String pod) {
        server.expect()
                .withPath(path(pod))
                .andUpgradeToWebSocket()
                .open()
                .immediately()
                .andEmit(frame(0, PORT_BYTES))
                .immediately()
                .andEmit(frame(1, PORT_BYTES))
                .expect(frame(0, REQUEST))
                .andEmit(frame(0, response(pod)))
                .once()
                .done()
                .once();
    }

    /** The next forward to {@code pod}: the pod sends a response unasked and closes the stream (the server ends). */
    private static void podAnswersAndCloses(String pod) {
        server.expect()
                .withPath(path(pod))
                .andUpgradeToWebSocket()
                .open()
                .waitFor(10)
                .andEmit(frame(0, PORT_BYTES))
                .waitFor(10)
                .andEmit(frame(1, PORT_BYTES))
                .waitFor(10)
                .andEmit(frame(0, response(pod)))
                .done()
                .once();
    }

    private static final String PORT_BYTES = new String(new char[] {(char) 0x90, (char) 0x1f});

    private static String path(String pod) {
        return "/api/v1/namespaces/" + NS + "/pods/" + pod + "/portforward?ports=" + POD_PORT;
    }

    /** One HTTP exchange over a new connection to the endpoint: the response, read by its Content-Length. */
    private static String exchange(URI endpoint) throws IOException {
        try (Socket socket = connect(endpoint)) {
            socket.getOutputStream().write(REQUEST.getBytes(StandardCharsets.UTF_8));
            InputStream in = socket.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    return head.toString();
                }
                head.append((char) b);
            }
            Matcher m = Pattern.compile("Content-Length: (\\d+)").matcher(head);
            assertThat(m.find()).as(head.toString()).isTrue();
            byte[] body = in.readNBytes(Integer.parseInt(m.group(1)));
            return head + new String(body, StandardCharsets.UTF_8);
        }
    }

    /** A connection that sends nothing: what arrives until the other side closes it. */
    private static String readUntilClosed(URI endpoint) throws IOException {
        try (Socket socket = connect(endpoint)) {
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static Socket connect(URI endpoint) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(endpoint.getHost(), endpoint.getPort()), 5_000);
        socket.setSoTimeout(20_000);
        return socket;
    }

    private static List<String> forwardedPods() throws InterruptedException {
        List<String> pods = new ArrayList<>();
        RecordedRequest r;
        while ((r = server.takeRequest(100, TimeUnit.MILLISECONDS)) != null) {
            if (r.getPath().contains("/portforward")) {
                pods.add(r.getPath().replaceAll(".*/pods/([^/]+)/portforward.*", "$1"));
            }
        }
        return pods;
    }

    private static void drainRequests() throws InterruptedException {
        while (server.takeRequest(10, TimeUnit.MILLISECONDS) != null) {
            // requests of the tests before
        }
    }

    @Test
    void eachConnectionIsForwardedToTheNextReadyPodRoundRobinAndEndsWhenTheClientCloses() throws Exception {
        podAnswers("model-a");
        podAnswers("model-b");
        podAnswers("model-a");
        drainRequests();
        try (PortForwardEndpoint endpoint = new PortForwardEndpoint(
                client, NS, POD_PORT, () -> List.of("model-a", "model-b"), Duration.ofSeconds(5))) {
            URI uri = endpoint.uri();
            assertThat(uri.getScheme()).isEqualTo("http");
            assertThat(uri.getHost()).isEqualTo("127.0.0.1");

            List<String> answers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                answers.add(exchange(uri));
            }
            assertThat(answers)
                    .allSatisfy(a -> assertThat(a).startsWith("HTTP/1.1 200 OK"))
                    .extracting(a -> a.substring(a.indexOf("served by ")))
                    .containsExactly("served by model-a", "served by model-b", "served by model-a");
            assertThat(forwardedPods()).containsExactly("model-a", "model-b", "model-a");
            // the pods kept their streams open; each client's close ended its forward (no WebSocket left behind)
            Await.until(
                    "every forward ended with its client", Duration.ofSeconds(10), () -> endpoint.openForwards() == 0);
        }
    }

    @Test
    void aForwardTheAPIServerClosesClosesTheClientsConnection() throws Exception {
        podAnswersAndCloses("model-c");
        try (PortForwardEndpoint endpoint =
                new PortForwardEndpoint(client, NS, POD_PORT, () -> List.of("model-c"), Duration.ofSeconds(5))) {
            assertThat(readUntilClosed(endpoint.uri()))
                    .startsWith("HTTP/1.1 200 OK")
                    .endsWith("served by model-c");
            Await.until("the forward ended", Duration.ofSeconds(10), () -> endpoint.openForwards() == 0);
        }
    }

    @Test
    void aConnectionWaitsForAPodToBecomeReadyAndNoneInTimeClosesIt() throws Exception {
        podAnswers("model-late");
        AtomicReference<List<String>> ready = new AtomicReference<>(List.of());
        try (PortForwardEndpoint endpoint =
                new PortForwardEndpoint(client, NS, POD_PORT, ready::get, Duration.ofSeconds(20))) {
            URI uri = endpoint.uri();
            CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    return exchange(uri);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(500);
            assertThat(waiting).as("held while no pod is ready").isNotDone();
            ready.set(List.of("model-late"));
            assertThat(waiting.get(30, TimeUnit.SECONDS)).endsWith("served by model-late");
        }

        try (PortForwardEndpoint endpoint =
                new PortForwardEndpoint(client, NS, POD_PORT, List::of, Duration.ofMillis(300))) {
            long start = System.nanoTime();
            assertThat(readUntilClosed(endpoint.uri()))
                    .as("closed without a byte when no pod became ready")
                    .isEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
            assertThat(endpoint.openForwards()).isZero();
        }
    }

    @Test
    void closeFreesTheLoopbackPort() throws Exception {
        PortForwardEndpoint endpoint =
                new PortForwardEndpoint(client, NS, POD_PORT, () -> List.of("model-a"), Duration.ofSeconds(1));
        URI uri = endpoint.uri();
        endpoint.close();
        // binding the port again proves it free; a refused connect would not, since Linux may self-connect a client
        // socket to a free loopback port (source port == destination port), which once made this test fail in CI
        try (ServerSocket rebound = new ServerSocket()) {
            rebound.setReuseAddress(false);
            rebound.bind(new InetSocketAddress("127.0.0.1", uri.getPort()));
            assertThat(rebound.getLocalPort()).isEqualTo(uri.getPort());
        }
    }
}
