package io.salvo.platform.cloudrun;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for the model-server behind a Cloud Run URL, on loopback: answers every request 200 with the
 * model-server's instance headers ({@code Salvo-Instance-Id}, {@code Salvo-Instance-Started-At}) of whichever
 * instance the test says is serving, and records the Authorization header of each request.
 */
final class InstanceServer implements AutoCloseable {

    final List<String> authorizations = new CopyOnWriteArrayList<>();
    volatile String instanceId = "instance-a";
    volatile long startedAtMillis = 0;
    private final HttpServer server;

    InstanceServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            authorizations.add(authorization == null ? "" : authorization);
            exchange.getResponseHeaders().add("Salvo-Instance-Id", instanceId);
            exchange.getResponseHeaders().add("Salvo-Instance-Started-At", Long.toString(startedAtMillis));
            byte[] body = "{\"ready\":true}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
