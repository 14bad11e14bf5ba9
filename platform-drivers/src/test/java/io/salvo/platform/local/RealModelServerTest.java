package io.salvo.platform.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.InstanceRecord;
import io.salvo.testkit.Prerequisite;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one test with the real model-server jar: it runs under ParentWatch, its ready line is understood, and
 * requests reach it through the router. Skipped when the jar has not been built.
 */
class RealModelServerTest {

    private static final Path JAR = Path.of("..", "model-server", "target", "salvo-model-server.jar");

    @Test
    void servesTheSmallestModelFromZeroThroughTheRouter(@TempDir Path modelDir) throws Exception {
        Prerequisite.require(
                Files.isRegularFile(JAR) && Files.isDirectory(JAR.resolveSibling("lib")),
                "model-server jar not built: " + JAR.toAbsolutePath());
        LocalPlatformDriver.Settings settings = LocalPlatformDriver.Settings.of(
                        LocalProfile.LAMBDA_LIKE, JavaMainLauncher.forJar(JAR, List.of()))
                .withModelDir(modelDir)
                .withTimeouts(Duration.ofSeconds(90), Duration.ofSeconds(90));
        try (LocalPlatformDriver driver = new LocalPlatformDriver(settings)) {
            URI endpoint =
                    driver.deploy(new DeploymentSpec("tiny-bert-shape", 1, 512, null, 1, null, java.util.Map.of()));
            HttpResponse<String> ready = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(endpoint.resolve("/v2/health/ready"))
                                    .timeout(Duration.ofSeconds(90))
                                    .GET()
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode())
                    .as("body: %s; instance log in %s", ready.body(), driver.logDirectory())
                    .isEqualTo(200);
            InstanceRecord instance = driver.instance("local-1");
            assertThat(instance.instanceId())
                    .isNotBlank()
                    .isEqualTo(ready.headers().firstValue("Salvo-Instance-Id").orElseThrow());
            assertThat(instance.modelLoadMillis()).isNotNull();
            assertThat(instance.firstRequestRoutedAt()).isAfterOrEqualTo(instance.readyAt());
        }
    }
}
