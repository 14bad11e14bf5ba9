package io.salvo.platform.url;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformLimitException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class UrlPlatformDriverTest {

    @Test
    void wrapsAnExistingEndpointAndWaitsForItsReadinessPath() throws Exception {
        AtomicInteger probes = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        // not ready for the first two probes, as a model still loading
        server.createContext("/v2/health/ready", exchange -> {
            exchange.sendResponseHeaders(probes.incrementAndGet() > 2 ? 200 : 503, -1);
            exchange.close();
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/v2/models/m/infer";
            PlatformDriver driver =
                    new UrlPlatformDriver.Factory().create(Map.of("url", url, "ready-path", "/v2/health/ready"));
            URI endpoint = driver.deploy(DeploymentSpec.of("m"));
            assertThat(endpoint).isEqualTo(URI.create(url));
            driver.awaitReady(Duration.ofSeconds(10));
            assertThat(probes.get()).isEqualTo(3);
            assertThat(driver.canForceCold()).isFalse();
            assertThatThrownBy(driver::forceCold).isInstanceOf(UnsupportedOperationException.class);
            assertThat(driver.signals().instances()).isEmpty();
            driver.close();
            assertThatThrownBy(driver::endpoint).isInstanceOf(IllegalStateException.class);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void awaitReadyTimesOutNamingTheLastAnswer() {
        PlatformDriver driver = new UrlPlatformDriver(URI.create("http://127.0.0.1:9/"), "/ready");
        assertThatThrownBy(() -> driver.awaitReady(Duration.ofMillis(300)))
                .isInstanceOf(TimeoutException.class)
                .hasMessageContaining("last:");
    }

    @Test
    void refusesScalingItCannotApplyAndMalformedSettings() {
        PlatformDriver driver = new UrlPlatformDriver.Factory().create(Map.of("url", "http://127.0.0.1:1/"));
        assertThatThrownBy(() -> driver.validate(DeploymentSpec.of("m").withScaling(0, 3, null)))
                .isInstanceOf(PlatformLimitException.class)
                .hasMessageContaining("existing endpoint");
        assertThatThrownBy(() -> new UrlPlatformDriver.Factory().create(Map.of("url", "ftp://x/")))
                .hasMessageContaining("http:// or https://");
        assertThatThrownBy(() -> new UrlPlatformDriver.Factory().create(Map.of("url", "http://x/", "readypath", "/r")))
                .hasMessageContaining("unknown setting(s) [readypath]");
        assertThatThrownBy(() -> new UrlPlatformDriver.Factory().create(Map.of()))
                .hasMessageContaining("'url' is required");
    }
}
