package io.salvo.platform.cloudrun;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.run.v2.CreateServiceRequest;
import com.google.cloud.run.v2.DeleteServiceRequest;
import com.google.cloud.run.v2.UpdateServiceRequest;
import io.salvo.platform.ColdStartVerdict;
import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformDrivers;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The driver exactly as the CLI gets it, {@code PlatformDrivers.factory("cloud-run").create(settings)}, with its own
 * Google clients (the {@code endpoint} setting on loopback: plaintext, no credentials) talking HTTP/2 to the fake
 * Cloud Run API on a loopback port, and the service URL pointing at a loopback stand-in for the model-server.
 */
class CloudRunLoopbackTest {

    @Test
    void deployProbeForceColdAndTeardownThroughTheFactory() throws Exception {
        try (FakeCloudRun fake = new FakeCloudRun();
                InstanceServer instances = new InstanceServer()) {
            fake.serviceUrl = instances.url();
            int port = fake.serveOnLoopback();
            PlatformDriver driver = PlatformDrivers.factory("cloud-run")
                    .create(Map.of(
                            "project", "proj-1",
                            "region", "europe-west1",
                            "image", "europe-west1-docker.pkg.dev/proj-1/salvo/model-server:minilm",
                            "invoker", "public",
                            "endpoint", "127.0.0.1:" + port,
                            "operation-poll-ms", "5",
                            "cold-wait-ms", "0"));
            try {
                URI uri = driver.deploy(DeploymentSpec.of("minilm"));
                assertThat(uri).isEqualTo(URI.create(instances.url()));
                driver.awaitReady(Duration.ofSeconds(60));

                instances.instanceId = "instance-b";
                instances.startedAtMillis = System.currentTimeMillis() + 60_000;
                driver.forceCold();
                ((CloudRunPlatformDriver) driver).probe();
                assertThat(driver.coldStartVerdict().state()).isEqualTo(ColdStartVerdict.State.VERIFIED);
            } finally {
                driver.close();
            }

            assertThat(fake.requestsOf(CreateServiceRequest.class)).hasSize(1);
            assertThat(fake.requestsOf(UpdateServiceRequest.class)).hasSize(1);
            assertThat(fake.requestsOf(DeleteServiceRequest.class))
                    .extracting(DeleteServiceRequest::getName)
                    .containsExactly("projects/proj-1/locations/europe-west1/services/salvo-model-server");
            assertThat(fake.services).isEmpty();
        }
    }

    @Test
    void withMonitoringTheColdStartWaitWatchesInstanceCountsOverTheSameEndpoint() throws Exception {
        FakeMonitoring monitoring = new FakeMonitoring();
        // Monitoring answers with a minute that begins after the question and holds no instance: the wait ends at the
        // first look (a minute of margin, since protobuf timestamps here carry whole seconds)
        monitoring.answer = request -> com.google.monitoring.v3.ListTimeSeriesResponse.newBuilder()
                .addTimeSeries(com.google.monitoring.v3.TimeSeries.newBuilder()
                        .addPoints(com.google.monitoring.v3.Point.newBuilder()
                                .setInterval(com.google.monitoring.v3.TimeInterval.newBuilder()
                                        .setEndTime(com.google.protobuf.Timestamp.newBuilder()
                                                .setSeconds(request.getInterval()
                                                                .getEndTime()
                                                                .getSeconds()
                                                        + 120)))
                                .setValue(com.google.monitoring.v3.TypedValue.newBuilder()
                                        .setInt64Value(0))))
                .build();
        try (FakeCloudRun fake = new FakeCloudRun();
                InstanceServer instances = new InstanceServer()) {
            fake.serviceUrl = instances.url();
            int port = fake.serveOnLoopback(monitoring.definition());
            CloudRunPlatformDriver driver = (CloudRunPlatformDriver) PlatformDrivers.factory("cloud-run")
                    .create(Map.of(
                            "project", "proj-1",
                            "region", "europe-west1",
                            "image", "img",
                            "invoker", "public",
                            "monitoring", "true",
                            "endpoint", "localhost:" + port,
                            "operation-poll-ms", "5"));
            try {
                driver.deploy(DeploymentSpec.of("minilm"));
                driver.forceCold();
                assertThat(monitoring.requests).hasSize(1);
                assertThat(monitoring.requests.get(0).getFilter())
                        .contains("run.googleapis.com/container/instance_count")
                        .contains("salvo-model-server");
                assertThat(driver.signals().source()).startsWith("Cloud Monitoring");
            } finally {
                driver.close();
            }
        }
    }
}
