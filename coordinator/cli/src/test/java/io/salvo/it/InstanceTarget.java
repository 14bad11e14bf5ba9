package io.salvo.it;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A target that names its instance as the model server does (Salvo-Instance-Id, -Started-At, -Request-Seq), so the
 * coordinator's detectors see a cold start at its first request; {@link io.salvo.target.ControllableTarget} sends the
 * id alone, which the detectors take for an instance already warm before the run. JDK only: a handful of requests
 * per second need nothing more.
 */
final class InstanceTarget implements AutoCloseable {

    private static final byte[] BODY = "{\"outputs\":[]}".getBytes(StandardCharsets.UTF_8);

    final String instanceId = "instance-" + Long.toHexString(System.nanoTime());
    private final long startedAtMillis = System.currentTimeMillis();
    private final AtomicLong sequence = new AtomicLong();
    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(4);
    private volatile int status = 200;

    private InstanceTarget() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            try (InputStream body = exchange.getRequestBody()) {
                body.readAllBytes();
            }
            var headers = exchange.getResponseHeaders();
            headers.add("Content-Type", "application/json");
            headers.add("Salvo-Instance-Id", instanceId);
            headers.add("Salvo-Instance-Started-At", Long.toString(startedAtMillis));
            headers.add("Salvo-Instance-Request-Seq", Long.toString(sequence.incrementAndGet()));
            exchange.sendResponseHeaders(status, BODY.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(BODY);
            }
        });
        server.start();
    }

    static InstanceTarget start() throws IOException {
        return new InstanceTarget();
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** Requests answered so far, whatever their status. */
    long requestsReceived() {
        return sequence.get();
    }

    void setStatus(int status) {
        this.status = status;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
