package io.salvo.modelserver;

import io.salvo.modelserver.catalog.ModelCatalog;
import io.salvo.modelserver.catalog.ModelStore;
import io.salvo.modelserver.config.ServerConfig;
import io.salvo.modelserver.http.HttpTransport;
import io.salvo.modelserver.serving.ModelSource;
import io.salvo.modelserver.serving.ServingCore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Shared fixtures: a model cache under target/ (prepared once, reused across test classes and runs, never committed)
 * and helpers to run a server in-process on a free loopback port.
 */
public final class TestModels {

    public static final Path CACHE = Path.of("target", "test-models").toAbsolutePath();
    private static final HttpClient CLIENT =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private TestModels() {}

    public static ModelStore store() {
        return new ModelStore(CACHE);
    }

    public static ModelStore.PreparedModel prepared(String name) {
        try {
            return store().prepare(new ModelCatalog().require(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A configuration for {@code model} on a free loopback port; {@code overrides} are extra environment variables. */
    public static ServerConfig config(String model, Map<String, String> overrides) {
        Map<String, String> env = new HashMap<>();
        env.put("PORT", "0");
        env.put("SALVO_MODEL", model);
        env.put("SALVO_MODEL_DIR", CACHE.toString());
        env.putAll(overrides);
        return ServerConfig.fromEnvironment(env);
    }

    /** A running in-process server: the core plus its HTTP transport. */
    public record RunningServer(ServingCore core, HttpTransport transport) implements AutoCloseable {
        public String url(String path) {
            return "http://127.0.0.1:" + transport.port() + path;
        }

        @Override
        public void close() {
            transport.close();
            core.close();
        }
    }

    public static RunningServer start(ServerConfig config, ModelSource source, boolean awaitReady) throws Exception {
        ServingCore core = new ServingCore(config, source);
        core.startLoading();
        HttpTransport transport = HttpTransport.start(core);
        if (awaitReady) {
            core.loaded().get(60, TimeUnit.SECONDS);
        }
        return new RunningServer(core, transport);
    }

    public static RunningServer start(String model, Map<String, String> overrides) throws Exception {
        prepared(model);
        ServerConfig config = config(model, overrides);
        return start(config, ModelSource.fromConfig(config), true);
    }

    public static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return CLIENT.send(
                HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(30))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public static HttpResponse<String> post(String url, String body) throws IOException, InterruptedException {
        return CLIENT.send(
                HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A POST whose response body is kept as bytes (binary tensor data is not text). */
    public static HttpResponse<byte[]> postForBytes(String url, String body) throws IOException, InterruptedException {
        return CLIENT.send(
                HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    public static HttpResponse<String> post(String url, byte[] body) throws IOException, InterruptedException {
        return CLIENT.send(
                HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(30))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
