package io.salvo.benchmark;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP server on 127.0.0.1 that answers every request at once the way model-server instances do: 200 with a
 * JSON body and the instance headers ({@code Salvo-Instance-Id}, {@code Salvo-Instance-Request-Seq},
 * {@code Salvo-Model-Load-Ms}), alternating between two made-up instance ids so each one's first response
 * (sequence 1) takes the worker's and detectors' cold-start path. A warm-up target that is not the platform being
 * measured.
 */
final class LoopbackDummyTarget implements AutoCloseable {

    private static final byte[] REPLY = "{\"outputs\": [[0.0, 0.0, 0.0, 0.0]]}".getBytes(StandardCharsets.UTF_8);
    private static final String[] INSTANCE_IDS = {"warmup-instance-a", "warmup-instance-b"};

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(2, runnable -> {
        Thread thread = new Thread(runnable, "salvo-benchmark-warmup-target");
        thread.setDaemon(true);
        return thread;
    });
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong[] sequences = {new AtomicLong(), new AtomicLong()};

    LoopbackDummyTarget() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.createContext("/", this::answer);
        server.setExecutor(executor);
        server.start();
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    private void answer(HttpExchange exchange) throws IOException {
        try (exchange;
                InputStream body = exchange.getRequestBody();
                OutputStream reply = exchange.getResponseBody()) {
            body.readAllBytes();
            int instance = (int) (requests.getAndIncrement() % INSTANCE_IDS.length);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.getResponseHeaders().add("Salvo-Instance-Id", INSTANCE_IDS[instance]);
            exchange.getResponseHeaders()
                    .add("Salvo-Instance-Request-Seq", Long.toString(sequences[instance].incrementAndGet()));
            exchange.getResponseHeaders().add("Salvo-Model-Load-Ms", "0");
            exchange.sendResponseHeaders(200, REPLY.length);
            reply.write(REPLY);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
