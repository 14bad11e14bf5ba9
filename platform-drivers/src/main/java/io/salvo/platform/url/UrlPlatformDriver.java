package io.salvo.platform.url;

import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.DriverConfig;
import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformException;
import io.salvo.platform.PlatformLimitException;
import io.salvo.platform.PlatformSignals;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * An endpoint that already exists: nothing is deployed or torn down, instances are invisible, a cold
 * start cannot be forced. Readiness is a GET on {@code ready-path} answering 2xx, when one is configured.
 *
 * <p>Settings: {@code url} (required, absolute http/https), {@code ready-path} (optional, e.g.
 * {@code /v2/health/ready}).
 */
public final class UrlPlatformDriver implements PlatformDriver {

    public static final String NAME = "url";

    /** Registered through ServiceLoader. */
    public static final class Factory implements PlatformDriver.Factory {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public String description() {
            return "an existing endpoint, no deployment (settings: url, ready-path)";
        }

        @Override
        public PlatformDriver create(Map<String, String> settings) {
            DriverConfig config = new DriverConfig(NAME, settings);
            URI url = parse(config.requiredString("url"));
            String readyPath = config.string("ready-path", null);
            config.rejectUnknownKeys();
            return new UrlPlatformDriver(url, readyPath);
        }
    }

    private final URI url;
    private final String readyPath;
    private boolean deployed;

    public UrlPlatformDriver(URI url, String readyPath) {
        this.url = url;
        this.readyPath = readyPath;
    }

    private static URI parse(String value) {
        URI uri;
        try {
            uri = URI.create(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(NAME + ": '" + value + "' is not a URL: " + e.getMessage());
        }
        if ((!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new IllegalArgumentException(NAME + ": '" + value + "' must be an absolute http:// or https:// URL");
        }
        return uri;
    }

    @Override
    public String label() {
        return "url " + url;
    }

    @Override
    public void validate(DeploymentSpec spec) throws PlatformLimitException {
        List<String> violations = new ArrayList<>();
        // an existing endpoint cannot be resized: asking for scaling it will ignore would mislead the report
        if (spec.minInstances() != null || spec.maxInstances() != null || spec.concurrencyPerInstance() != null) {
            violations.add(
                    "scaling settings (min/max instances, concurrency) cannot be applied to an existing endpoint");
        }
        PlatformLimitException.check(NAME, violations);
    }

    @Override
    public URI deploy(DeploymentSpec spec) throws PlatformLimitException {
        validate(spec);
        deployed = true;
        return url;
    }

    @Override
    public URI endpoint() {
        if (!deployed) {
            throw new IllegalStateException("deploy() first");
        }
        return url;
    }

    @Override
    public void awaitReady(Duration timeout) throws TimeoutException, InterruptedException, PlatformException {
        if (readyPath == null) {
            return;
        }
        URI probe = url.resolve(readyPath);
        HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer yet";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<Void> response = client.send(
                        HttpRequest.newBuilder(probe)
                                .timeout(Duration.ofSeconds(2))
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() / 100 == 2) {
                    return;
                }
                last = "HTTP " + response.statusCode();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(100);
        }
        throw new TimeoutException(probe + " was not ready within " + timeout.toMillis() + " ms (last: " + last + ")");
    }

    @Override
    public boolean canForceCold() {
        return false;
    }

    @Override
    public void forceCold() {
        throw new UnsupportedOperationException(
                "the url platform cannot force a cold start: it does not control " + url);
    }

    @Override
    public PlatformSignals signals() {
        return PlatformSignals.none("none: the url platform sees no instances");
    }

    @Override
    public void teardown() {
        deployed = false;
    }
}
