package io.salvo.platform.knative;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.DriverConfig;
import io.salvo.platform.PlatformException;
import io.salvo.platform.RequestHeaders;
import io.salvo.platform.RunRequests;
import io.salvo.testkit.Await;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The knative driver against fabric8's CRUD mock: the Service as a generic resource, its route URL, scale to zero. */
@EnableKubernetesMockClient(crud = true)
class KnativeDriverMockTest {

    private static final RunRequests REQUESTS =
            new RunRequests("POST", URI.create("http://10.0.0.7/v2/models/m/infer"), Map.of(), List.of());

    static KubernetesClient client;

    private static KnativePlatformDriver driver(String runId, Map<String, String> extra) {
        Map<String, String> config = new HashMap<>(Map.of(
                "image", "registry.example.com/salvo/model-server:1.0",
                "namespace", "serving",
                "run-id", runId,
                "poll-ms", "20"));
        config.putAll(extra);
        return new KnativePlatformDriver(
                KnativePlatformDriver.Settings.read(new DriverConfig("knative", config)),
                client,
                false,
                Clock.systemUTC());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @Test
    @SuppressWarnings("unchecked") // the generic resource's maps, as Jackson read them
    void createsTheServiceWithTheAutoscalingAnnotationsAndUsesItsRouteUrl() throws Exception {
        try (KnativePlatformDriver d = driver(
                "kn1",
                Map.of("initial-scale", "0", "scale-to-zero-retention", "0s", "tolerations", "gpu:NoSchedule"))) {
            CompletableFuture<URI> deployed = CompletableFuture.supplyAsync(() -> {
                try {
                    return d.deploy(new DeploymentSpec("tiny-bert-shape", 2, 1024, 0, 5, 8, Map.of()));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            GenericKubernetesResource ksvc = Await.value(
                    "the Knative Service",
                    () -> client.genericKubernetesResources(KnativePlatformDriver.KSVC)
                            .inNamespace("serving")
                            .withName("salvo-model-kn1")
                            .get());
            assertThat(ksvc.getApiVersion()).isEqualTo("serving.knative.dev/v1");
            assertThat(ksvc.getKind()).isEqualTo("Service");
            assertThat(ksvc.getMetadata().getLabels()).containsEntry("salvo.io/run", "kn1");
            Map<String, Object> template =
                    map(map(ksvc.getAdditionalProperties().get("spec")).get("template"));
            assertThat(map(map(template.get("metadata")).get("annotations")))
                    .containsExactlyInAnyOrderEntriesOf(Map.of(
                            "autoscaling.knative.dev/target", "8",
                            "autoscaling.knative.dev/min-scale", "0",
                            "autoscaling.knative.dev/max-scale", "5",
                            "autoscaling.knative.dev/initial-scale", "0",
                            "autoscaling.knative.dev/scale-to-zero-pod-retention-period", "0s"));
            Map<String, Object> podSpec = map(template.get("spec"));
            assertThat(podSpec.get("containerConcurrency")).isEqualTo(8);
            Map<String, Object> container = map(((List<?>) podSpec.get("containers")).get(0));
            assertThat(container.get("image")).isEqualTo("registry.example.com/salvo/model-server:1.0");
            assertThat(map(container.get("resources")).get("limits")).isEqualTo(Map.of("cpu", "2", "memory", "1024Mi"));
            assertThat(map(map(container.get("readinessProbe")).get("httpGet")).get("path"))
                    .isEqualTo("/v2/health/ready");
            assertThat((List<Object>) container.get("env"))
                    .contains(Map.of(
                            "name",
                            "SALVO_INSTANCE_NAME",
                            "valueFrom",
                            Map.of("fieldRef", Map.of("fieldPath", "metadata.name"))));
            assertThat((List<Object>) podSpec.get("tolerations"))
                    .containsExactly(Map.of("key", "gpu", "operator", "Exists", "effect", "NoSchedule"));

            // deploy returns the route URL once Knative's controller has reported it, before the revision is ready
            Thread.sleep(200);
            assertThat(deployed).as("waits for the route URL").isNotDone();
            ksvc.getAdditionalProperties()
                    .put(
                            "status",
                            Map.of(
                                    "url",
                                    "http://salvo-model-kn1.serving.example.com",
                                    "conditions",
                                    List.of(Map.of("type", "Ready", "status", "Unknown"))));
            ksvc = client.genericKubernetesResources(KnativePlatformDriver.KSVC)
                    .inNamespace("serving")
                    .resource(ksvc)
                    .update();
            assertThat(deployed.get(60, TimeUnit.SECONDS))
                    .isEqualTo(URI.create("http://salvo-model-kn1.serving.example.com"));

            // then readiness
            CompletableFuture<Void> ready = CompletableFuture.runAsync(() -> {
                try {
                    d.awaitReady(Duration.ofSeconds(60));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(200);
            assertThat(ready).as("the revision is not ready yet").isNotDone();
            ksvc.getAdditionalProperties()
                    .put(
                            "status",
                            Map.of(
                                    "url",
                                    "http://salvo-model-kn1.serving.example.com",
                                    "conditions",
                                    List.of(Map.of("type", "Ready", "status", "True"))));
            client.genericKubernetesResources(KnativePlatformDriver.KSVC)
                    .inNamespace("serving")
                    .resource(ksvc)
                    .update();
            ready.get(60, TimeUnit.SECONDS);
            assertThat(d.endpoint()).isEqualTo(URI.create("http://salvo-model-kn1.serving.example.com"));
            assertThat(d.requestHeaders(REQUESTS)).isEqualTo(RequestHeaders.NONE);
            assertThat(d.canForceCold()).isTrue();

            // Scale to zero is Knative's: forceCold returns once its last pod is gone.
            client.pods()
                    .inNamespace("serving")
                    .resource(new PodBuilder()
                            .withNewMetadata()
                            .withName("salvo-model-kn1-00001-deployment-abc")
                            .addToLabels("serving.knative.dev/service", "salvo-model-kn1")
                            .endMetadata()
                            .build())
                    .create();
            CompletableFuture<Void> cold = CompletableFuture.runAsync(() -> {
                try {
                    d.forceCold();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Await.until("the driver saw the pod", () -> !d.signals().instances().isEmpty());
            assertThat(cold).isNotDone();
            client.pods()
                    .inNamespace("serving")
                    .withName("salvo-model-kn1-00001-deployment-abc")
                    .delete();
            cold.get(60, TimeUnit.SECONDS);
        }
        assertThat(client.genericKubernetesResources(KnativePlatformDriver.KSVC)
                        .inNamespace("serving")
                        .list()
                        .getItems())
                .as("teardown by the run's label")
                .isEmpty();
    }

    @Test
    void anIngressAddressGetsTheRoutesHostOrTheGivenOne() throws Exception {
        try (KnativePlatformDriver d =
                driver("kn2", Map.of("endpoint-url", "http://10.0.0.7:80", "host-header", "model.bench.example.com"))) {
            assertThat(d.deploy(DeploymentSpec.of("tiny-bert-shape"))).hasToString("http://10.0.0.7:80");
            assertThat(d.requestHeaders(REQUESTS).shared()).isEqualTo(Map.of("Host", "model.bench.example.com"));
        }
    }

    @Test
    void minScaleAboveZeroCannotBeForcedCold() throws Exception {
        try (KnativePlatformDriver d = driver("kn3", Map.of("endpoint-url", "http://10.0.0.7:80"))) {
            d.deploy(DeploymentSpec.of("tiny-bert-shape").withScaling(1, 2, null));
            assertThat(d.canForceCold()).isFalse();
        }
    }

    @Test
    void aServiceThatGetsNoRouteUrlFailsTheDeployAndIsRemoved() {
        KnativePlatformDriver d = driver("kn4", Map.of("ready-timeout-ms", "300"));
        assertThatThrownBy(() -> d.deploy(DeploymentSpec.of("tiny-bert-shape")))
                .isInstanceOf(PlatformException.class)
                .hasMessageContaining("route URL did not happen within")
                .hasMessageContaining("endpoint-url");
        assertThat(client.genericKubernetesResources(KnativePlatformDriver.KSVC)
                        .inNamespace("serving")
                        .withLabel("salvo.io/run", "kn4")
                        .list()
                        .getItems())
                .as("nothing left behind")
                .isEmpty();
    }
}
