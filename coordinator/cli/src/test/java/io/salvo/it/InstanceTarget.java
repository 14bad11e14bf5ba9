package io.salvo.it;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A target that names its instance as the model server does (Salvo-Instance-Id, -Started-At, -Request-Seq), so the
 * coordinator's detectors see a cold start at its first request; {@link io.salvo.target.ControllableTarget} sends the
 * id alone, which the detectors take for an instance already warm before the run. Each answer takes a fixed service
 * time, long beside the jitter a loaded machine adds, so a steady state is reached whatever else the machine runs. JDK
 * only: tens of requests per second need nothing more.
 */
final class InstanceTarget implements AutoCloseable {

    private static final byte[] BODY = "{\"outputs\":[]}".getBytes(StandardCharsets.UTF_8);

    final String instanceId = "instance-" + Long.toHexString(System.nanoTime());
    private final long startedAtMillis = System.currentTimeMillis();
    private final AtomicLong sequence = new AtomicLong();
    private final HttpServer server;
    // One thread per request in service: rate x service time of them.
    private final ExecutorService executor = Executors.newFixedThreadPool(64);
    private final long serviceMillis;
    private volatile int status = 200;

    private InstanceTarget(Duration serviceTime) throws IOException {
        this.serviceMillis = serviceTime.toMillis();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            try (InputStream body = exchange.getRequestBody()) {
                body.readAllBytes();
            }
            // As the model server: the sequence counts arrivals, and what the answer will be is decided on arrival.
            long seq = sequence.incrementAndGet();
            int answer = status;
            try {
                Thread.sleep(serviceMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                exchange.close();
                return;
            }
            var headers = exchange.getResponseHeaders();
            headers.add("Content-Type", "application/json");
            headers.add("Salvo-Instance-Id", instanceId);
            headers.add("Salvo-Instance-Started-At", Long.toString(startedAtMillis));
            headers.add("Salvo-Instance-Request-Seq", Long.toString(seq));
            exchange.sendResponseHeaders(answer, BODY.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(BODY);
            }
        });
        server.start();
    }

    static InstanceTarget start(Duration serviceTime) throws IOException {
        return new InstanceTarget(serviceTime);
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** Requests received so far, answered or not. */
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
