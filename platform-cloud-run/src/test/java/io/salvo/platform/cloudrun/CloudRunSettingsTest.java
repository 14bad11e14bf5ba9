package io.salvo.platform.cloudrun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformDrivers;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CloudRunSettingsTest {

    @Test
    void theFactoryIsRegisteredUnderCloudRun() {
        PlatformDriver.Factory factory = PlatformDrivers.factory("cloud-run");
        assertThat(factory).isInstanceOf(CloudRunPlatformDriver.Factory.class);
        assertThat(factory.description()).contains("project", "region", "image", "invoker", "monitoring", "keep");
        PlatformDriver driver = factory.create(Map.of("project", "p", "region", "r", "image", "img"));
        assertThat(driver.label()).isEqualTo("cloud-run salvo-model-server (p, r)");
        driver.teardown(); // nothing deployed: no API call
    }

    @Test
    void defaultsAndEnvironmentFallbacks() {
        CloudRunSettings s = CloudRunSettings.parse(
                Map.of("image", "img"),
                Map.of("GOOGLE_CLOUD_PROJECT", "env-proj", "CLOUDSDK_RUN_REGION", "us-central1"));
        assertThat(s.project()).isEqualTo("env-proj");
        assertThat(s.region()).isEqualTo("us-central1");
        assertThat(s.service()).isEqualTo("salvo-model-server");
        assertThat(s.publicInvoker()).isFalse();
        assertThat(s.monitoring()).isFalse();
        assertThat(s.keep()).isFalse();
        assertThat(s.cpuAlwaysAllocated()).isFalse();
        assertThat(s.requestTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(s.coldWait()).isEqualTo(Duration.ofMinutes(16));
        assertThat(s.serviceName()).isEqualTo("projects/env-proj/locations/us-central1/services/salvo-model-server");
    }

    @Test
    void everyKeyIsRead() {
        CloudRunSettings s = CloudRunSettings.parse(
                Map.ofEntries(
                        Map.entry("project", "p"),
                        Map.entry("region", "r"),
                        Map.entry("service", "svc"),
                        Map.entry("image", "img"),
                        Map.entry("cpu", "0.5"),
                        Map.entry("memory-mib", "1024"),
                        Map.entry("concurrency", "1"),
                        Map.entry("min-instances", "1"),
                        Map.entry("max-instances", "3"),
                        Map.entry("startup-cpu-boost", "yes"),
                        Map.entry("cpu-always-allocated", "false"),
                        Map.entry("execution-environment", "GEN1"),
                        Map.entry("timeout-seconds", "60"),
                        Map.entry("env", "A=1, B=x=y"),
                        Map.entry("invoker", "public"),
                        Map.entry("monitoring", "true"),
                        Map.entry("keep", "true"),
                        Map.entry("endpoint", "localhost:9999"),
                        Map.entry("service-account", "sa@p.iam.gserviceaccount.com"),
                        Map.entry("port", "9000"),
                        Map.entry("gpus", "0"),
                        Map.entry("cold-wait-ms", "1000"),
                        Map.entry("operation-poll-ms", "10"),
                        Map.entry("operation-timeout-ms", "2000")),
                Map.of());
        assertThat(s.cpu()).isEqualTo(0.5);
        assertThat(s.executionEnvironment()).isEqualTo("gen1");
        assertThat(s.env()).containsExactly(Map.entry("A", "1"), Map.entry("B", "x=y"));
        assertThat(s.publicInvoker()).isTrue();
        assertThat(s.startupCpuBoost()).isTrue();
        assertThat(s.containerPort()).isEqualTo(9000);
        assertThat(CloudRunClients.isLoopback(s.endpoint())).isTrue();
        assertThat(CloudRunClients.isLoopback("run.googleapis.com:443")).isFalse();
    }

    @Test
    void malformedMissingAndUnknownSettingsAreNamed() {
        assertThatThrownBy(() -> CloudRunSettings.parse(Map.of("project", "p", "region", "r"), Map.of()))
                .hasMessageContaining("'image' is required");
        assertThatThrownBy(() -> CloudRunSettings.parse(Map.of("image", "i", "region", "r"), Map.of()))
                .hasMessageContaining("'project' is required");
        assertThatThrownBy(() -> CloudRunSettings.parse(Map.of("image", "i", "project", "p"), Map.of()))
                .hasMessageContaining("'region' is required");
        assertThatThrownBy(() -> CloudRunSettings.parse(
                        Map.of("image", "i", "project", "p", "region", "r", "max-instance", "3"), Map.of()))
                .hasMessageContaining("unknown setting(s) [max-instance]");
        assertThatThrownBy(() -> CloudRunSettings.parse(
                        Map.of("image", "i", "project", "p", "region", "r", "invoker", "anyone"), Map.of()))
                .hasMessageContaining("'invoker' must be public or id-token");
        assertThatThrownBy(() -> CloudRunSettings.parse(
                        Map.of("image", "i", "project", "p", "region", "r", "cpu", "two"), Map.of()))
                .hasMessageContaining("'cpu' must be a number");
        assertThatThrownBy(() -> CloudRunSettings.parse(
                        Map.of("image", "i", "project", "p", "region", "r", "keep", "maybe"), Map.of()))
                .hasMessageContaining("'keep' must be true or false");
        assertThatThrownBy(() -> CloudRunSettings.parse(
                        Map.of("image", "i", "project", "p", "region", "r", "env", "NOVALUE"), Map.of()))
                .hasMessageContaining("NAME=value");
    }

    @Test
    void missingCredentialsGetOneMessageWithTheFix() {
        CloudRunErrors.CloudRunException e = CloudRunErrors.missingCredentials(new java.io.IOException(
                "Your default credentials were not found. To set up Application Default Credentials, see"
                        + " https://cloud.google.com/docs/authentication/external/set-up-adc for more information."));
        assertThat(e.kind()).isEqualTo(CloudRunErrors.Kind.CREDENTIALS);
        assertThat(e.getMessage())
                .contains("gcloud auth application-default login")
                .contains("GOOGLE_APPLICATION_CREDENTIALS")
                .doesNotContain("\n");
        // what ServicesClient.create() throws without Application Default Credentials takes the same path
        CloudRunSettings settings =
                CloudRunSettings.parse(Map.of("project", "p", "region", "r", "image", "i"), Map.of());
        CloudRunErrors.CloudRunException translated = CloudRunErrors.translate(
                "connecting to the Cloud Run Admin API",
                new java.io.IOException("Your default credentials were not found. To set up Application Default"
                        + " Credentials, see https://cloud.google.com/docs/authentication/external/set-up-adc"),
                settings);
        assertThat(translated.kind()).isEqualTo(CloudRunErrors.Kind.CREDENTIALS);
        assertThat(translated.getMessage()).contains("gcloud auth application-default login");
    }
}
