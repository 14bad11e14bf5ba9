package io.salvo.platform.local;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stand-in for the model-server that starts in a fraction of a second: waits {@code FAKE_MODEL_LOAD_MS}
 * (default 300) as if loading a model, serves every path after {@code FAKE_SERVICE_MS} (default 20) with
 * the model-server's instance headers, and prints the model-server's ready line. JDK only, so its JVM
 * starts fast.
 */
public final class FakeModelInstance {

    private FakeModelInstance() {}

    public static void main(String[] args) throws IOException, InterruptedException {
        long startedAt = System.currentTimeMillis();
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "0"));
        long loadMillis = Long.parseLong(System.getenv().getOrDefault("FAKE_MODEL_LOAD_MS", "300"));
        long serviceMillis = Long.parseLong(System.getenv().getOrDefault("FAKE_SERVICE_MS", "20"));
        String model = System.getenv().getOrDefault("SALVO_MODEL", "none");
        String instanceId = "fake-" + UUID.randomUUID().toString().substring(0, 8);
        AtomicLong sequence = new AtomicLong();

        Thread.sleep(loadMillis);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            long seq = sequence.incrementAndGet();
            try (InputStream in = exchange.getRequestBody()) {
                in.readAllBytes();
            }
            long begin = System.nanoTime();
            try {
                Thread.sleep(serviceMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = ("{\"model_name\":\"" + model + "\",\"outputs\":[]}").getBytes(StandardCharsets.UTF_8);
            var headers = exchange.getResponseHeaders();
            headers.add("Content-Type", "application/json");
            headers.add("Salvo-Instance-Id", instanceId);
            headers.add("Salvo-Instance-Started-At", Long.toString(startedAt));
            headers.add("Salvo-Model-Load-Ms", Long.toString(loadMillis));
            headers.add("Salvo-Instance-Request-Seq", Long.toString(seq));
            headers.add("Salvo-Inference-Us", Long.toString((System.nanoTime() - begin) / 1000));
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        System.out.printf(
                "SALVO_READY port=%d instance=%s model=%s model_load_ms=%d%n",
                server.getAddress().getPort(), instanceId, model, loadMillis);
        System.out.flush();
        Thread.currentThread().join();
    }
}
