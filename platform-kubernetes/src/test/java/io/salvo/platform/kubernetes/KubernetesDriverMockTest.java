package io.salvo.platform.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.LimitRangeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuotaBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.DriverConfig;
import io.salvo.platform.PlatformDrivers;
import io.salvo.platform.PlatformException;
import io.salvo.platform.PlatformLimitException;
import io.salvo.testkit.Await;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The kubernetes driver against fabric8's mock API server in CRUD mode (with expectations for the failures). */
@EnableKubernetesMockClient(crud = true)
class KubernetesDriverMockTest {

    static KubernetesMockServer server;
    static KubernetesClient client;

    private static KubernetesPlatformDriver driver(String namespace, String runId, Map<String, String> extra) {
        Map<String, String> config = new HashMap<>(Map.of(
                "image", "registry.example.com/salvo/model-server:1.0",
                "namespace", namespace,
                "run-id", runId,
                "endpoint-url", "http://127.0.0.1:9",
                "poll-ms", "20"));
        config.putAll(extra);
        return new KubernetesPlatformDriver(
                KubernetesPlatformDriver.Settings.read(new DriverConfig("kubernetes", config)),
                client,
                false,
                Clock.systemUTC());
    }

    private static final DeploymentSpec SPEC =
            new DeploymentSpec("distilbert-shape", 1.5, 768, 1, 4, null, Map.of("SALVO_MAX_BATCH", "8"));

    @Test
    void bothFactoriesAreRegistered() {
        assertThat(PlatformDrivers.factory("kubernetes").name()).isEqualTo("kubernetes");
        assertThat(PlatformDrivers.factory("knative").name()).isEqualTo("knative");
        assertThatThrownBy(() -> PlatformDrivers.factory("kubernetes").create(Map.of("image", "x", "replica", "2")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown setting(s) [replica]");
    }

    @Test
    void createsTheDeploymentServiceAndHpaExactly() throws Exception {
        try (KubernetesPlatformDriver d = driver(
                "objects",
                "obj1",
                Map.of(
                        "hpa", "cpu",
                        "hpa-target", "60",
                        "node-selector", "cloud.google.com/gke-nodepool=bench,kubernetes.io/arch=amd64",
                        "tolerations", "dedicated=bench:NoSchedule,gpu:NoExecute"))) {
            assertThat(d.deploy(SPEC)).hasToString("http://127.0.0.1:9");

            Deployment deployment = client.apps()
                    .deployments()
                    .inNamespace("objects")
                    .withName("salvo-model-obj1")
                    .get();
            assertThat(deployment.getMetadata().getLabels())
                    .containsEntry("app.kubernetes.io/managed-by", "salvo")
                    .containsEntry("salvo.io/run", "obj1");
            assertThat(deployment.getSpec().getReplicas()).isEqualTo(1);
            assertThat(deployment.getSpec().getSelector().getMatchLabels())
                    .isEqualTo(Map.of("salvo.io/model-deployment", "salvo-model-obj1"));
            var pod = deployment.getSpec().getTemplate();
            assertThat(pod.getMetadata().getLabels())
                    .containsEntry("salvo.io/model-deployment", "salvo-model-obj1")
                    .containsEntry("salvo.io/run", "obj1");
            assertThat(pod.getSpec().getNodeSelector())
                    .isEqualTo(Map.of("cloud.google.com/gke-nodepool", "bench", "kubernetes.io/arch", "amd64"));
            assertThat(pod.getSpec().getTolerations())
                    .extracting(t -> t.getKey() + "|" + t.getOperator() + "|" + t.getValue() + "|" + t.getEffect())
                    .containsExactly("dedicated|Equal|bench|NoSchedule", "gpu|Exists|null|NoExecute");
            Container c = pod.getSpec().getContainers().get(0);
            assertThat(c.getName()).isEqualTo("model-server");
            assertThat(c.getImage()).isEqualTo("registry.example.com/salvo/model-server:1.0");
            assertThat(c.getResources().getRequests())
                    .isEqualTo(Map.of("cpu", new Quantity("1500m"), "memory", new Quantity("768Mi")));
            assertThat(c.getResources().getLimits()).isEqualTo(c.getResources().getRequests());
            assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/v2/health/ready");
            assertThat(c.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("http");
            assertThat(c.getReadinessProbe().getPeriodSeconds()).isEqualTo(1);
            assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/v2/health/live");
            assertThat(c.getPorts()).singleElement().satisfies(p -> {
                assertThat(p.getName()).isEqualTo("http");
                assertThat(p.getContainerPort()).isEqualTo(8080);
            });
            assertThat(c.getEnv())
                    .extracting(e -> e.getName() + "="
                            + (e.getValue() != null
                                    ? e.getValue()
                                    : "fieldRef:"
                                            + e.getValueFrom().getFieldRef().getFieldPath()))
                    .containsExactly(
                            "SALVO_MODEL=distilbert-shape",
                            "PORT=8080",
                            "SALVO_BIND=0.0.0.0",
                            "SALVO_INSTANCE_NAME=fieldRef:metadata.name",
                            "SALVO_MAX_BATCH=8");

            Service service = client.services()
                    .inNamespace("objects")
                    .withName("salvo-model-obj1")
                    .get();
            assertThat(service.getSpec().getSelector())
                    .isEqualTo(Map.of("salvo.io/model-deployment", "salvo-model-obj1"));
            assertThat(service.getSpec().getPorts()).singleElement().satisfies(p -> {
                assertThat(p.getPort()).isEqualTo(80);
                assertThat(p.getTargetPort().getStrVal()).isEqualTo("http");
            });
            assertThat(service.getMetadata().getLabels()).containsEntry("salvo.io/run", "obj1");

            HorizontalPodAutoscaler hpa = client.autoscaling()
                    .v2()
                    .horizontalPodAutoscalers()
                    .inNamespace("objects")
                    .withName("salvo-model-obj1")
                    .get();
            assertThat(hpa.getSpec().getScaleTargetRef().getKind()).isEqualTo("Deployment");
            assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo("salvo-model-obj1");
            assertThat(hpa.getSpec().getMinReplicas()).isEqualTo(1);
            assertThat(hpa.getSpec().getMaxReplicas()).isEqualTo(4);
            assertThat(hpa.getSpec().getMetrics()).singleElement().satisfies(m -> {
                assertThat(m.getType()).isEqualTo("Resource");
                assertThat(m.getResource().getName()).isEqualTo("cpu");
                assertThat(m.getResource().getTarget().getType()).isEqualTo("Utilization");
                assertThat(m.getResource().getTarget().getAverageUtilization()).isEqualTo(60);
            });
        }
        assertThat(client.apps().deployments().inNamespace("objects").list().getItems())
                .isEmpty();
    }

    @Test
    void rpsAutoscalingUsesAPodsMetric() {
        KubernetesPlatformDriver d = driver("rps", "rps1", Map.of("hpa", "rps", "hpa-target", "25"));
        var metric = d.hpa(SPEC).getSpec().getMetrics().get(0);
        assertThat(metric.getType()).isEqualTo("Pods");
        assertThat(metric.getPods().getMetric().getName()).isEqualTo("http_requests_per_second");
        assertThat(metric.getPods().getTarget().getAverageValue()).isEqualTo(new Quantity("25"));
    }

    @Test
    void forceColdScalesToZeroAndReturnsOnlyWhenNoPodRemains() throws Exception {
        try (KubernetesPlatformDriver d = driver("cold", "cold1", Map.of())) {
            d.deploy(SPEC);
            ScriptedCluster cluster = new ScriptedCluster(client, "cold");
            Map<String, String> labels = Map.of(KubernetesPlatformDriver.APP_LABEL, "salvo-model-cold1");
            cluster.podCreated("p1", labels);
            cluster.podCreated("p2", labels);

            CompletableFuture<Void> cold = CompletableFuture.runAsync(() -> {
                try {
                    d.forceCold();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Await.until(
                    "replicas 0",
                    () -> client.apps()
                                    .deployments()
                                    .inNamespace("cold")
                                    .withName("salvo-model-cold1")
                                    .get()
                                    .getSpec()
                                    .getReplicas()
                            == 0);
            cluster.deleted("p1");
            Await.until(
                    "the driver saw p1 go",
                    () -> d.signals().instances().stream()
                            .anyMatch(i -> i.name().equals("p1") && i.stoppedAt() != null));
            assertThat(cold).as("p2 is still there").isNotDone();
            cluster.deleted("p2");
            cold.get(30, TimeUnit.SECONDS);

            d.loadStarting();
            assertThat(client.apps()
                            .deployments()
                            .inNamespace("cold")
                            .withName("salvo-model-cold1")
                            .get()
                            .getSpec()
                            .getReplicas())
                    .as("the explicit scale-up at load start")
                    .isEqualTo(1);
            Map<String, String> labelsAgain = labels;
            cluster.podCreated("p3", labelsAgain);
            Await.until(
                    "the driver saw p3",
                    () -> d.signals().instances().stream()
                            .anyMatch(i -> i.name().equals("p3")));
            assertThat(d.timeline(java.util.List.of()).coldStarts())
                    .as("only pods after the forced cold start are cold starts")
                    .extracting(io.salvo.platform.ColdStartPhases::instance)
                    .containsExactly("p3");
        }
    }

    @Test
    void teardownDeletesOnlyWhatThisRunCreated() throws Exception {
        client.apps()
                .deployments()
                .inNamespace("shared")
                .resource(new DeploymentBuilder()
                        .withNewMetadata()
                        .withName("someone-elses")
                        .addToLabels("app.kubernetes.io/managed-by", "salvo")
                        .addToLabels("salvo.io/run", "other")
                        .endMetadata()
                        .build())
                .create();
        KubernetesPlatformDriver d = driver("shared", "mine", Map.of("hpa", "cpu"));
        d.deploy(SPEC);
        d.teardown();
        d.teardown(); // idempotent
        assertThat(client.apps().deployments().inNamespace("shared").list().getItems())
                .extracting(x -> x.getMetadata().getName())
                .containsExactly("someone-elses");
        assertThat(client.services().inNamespace("shared").list().getItems()).isEmpty();
        assertThat(client.autoscaling()
                        .v2()
                        .horizontalPodAutoscalers()
                        .inNamespace("shared")
                        .list()
                        .getItems())
                .isEmpty();
    }

    @Test
    void keepLeavesEverythingInPlace() throws Exception {
        KubernetesPlatformDriver d = driver("kept", "keep1", Map.of("keep", "true"));
        d.deploy(SPEC);
        d.teardown();
        assertThat(client.apps()
                        .deployments()
                        .inNamespace("kept")
                        .withName("salvo-model-keep1")
                        .get())
                .isNotNull();
    }

    @Test
    void quotaAndLimitRangeAreCheckedBeforeAnythingIsCreated() {
        client.resourceQuotas()
                .inNamespace("tight")
                .resource(new ResourceQuotaBuilder()
                        .withNewMetadata()
                        .withName("compute")
                        .endMetadata()
                        .withNewSpec()
                        .addToHard("requests.cpu", new Quantity("4"))
                        .endSpec()
                        .withNewStatus()
                        .addToHard("requests.cpu", new Quantity("4"))
                        .addToUsed("requests.cpu", new Quantity("1500m"))
                        .endStatus()
                        .build())
                .create();
        client.limitRanges()
                .inNamespace("tight")
                .resource(new LimitRangeBuilder()
                        .withNewMetadata()
                        .withName("per-container")
                        .endMetadata()
                        .withNewSpec()
                        .addNewLimit()
                        .withType("Container")
                        .addToMax("memory", new Quantity("512Mi"))
                        .endLimit()
                        .endSpec()
                        .build())
                .create();
        KubernetesPlatformDriver d = driver("tight", "q1", Map.of());
        assertThatThrownBy(() -> d.deploy(SPEC))
                .isInstanceOf(PlatformLimitException.class)
                .satisfies(e -> assertThat(((PlatformLimitException) e).violations())
                        .containsExactly(
                                "ResourceQuota compute: requests.cpu has room for 1 pod(s) of 1.5 CPU (hard 4, used"
                                        + " 1500m), the deployment may scale to 4",
                                "LimitRange per-container (Container): memory 768 MiB is above the max 512Mi"));
        assertThat(client.apps().deployments().inNamespace("tight").list().getItems())
                .isEmpty();
        assertThat(client.services().inNamespace("tight").list().getItems()).isEmpty();
    }

    @Test
    void forbiddenNamesTheMissingVerbAndResource() {
        server.expect()
                .post()
                .withPath("/apis/apps/v1/namespaces/rbac/deployments")
                .andReturn(
                        403,
                        new StatusBuilder()
                                .withStatus("Failure")
                                .withReason("Forbidden")
                                .withCode(403)
                                .withMessage("deployments.apps is forbidden: User"
                                        + " \"system:serviceaccount:bench:salvo\" cannot create resource"
                                        + " \"deployments\" in API group \"apps\" in the namespace \"rbac\"")
                                .build())
                .once();
        KubernetesPlatformDriver d = driver("rbac", "f1", Map.of());
        assertThatThrownBy(() -> d.deploy(SPEC))
                .isInstanceOf(PlatformException.class)
                .hasMessageStartingWith("kubernetes: cannot create the model's Deployment, Service or HPA"
                        + " salvo-model-f1: forbidden: missing RBAC permission 'create' on 'deployments.apps' in"
                        + " namespace rbac; the Role the driver needs is in"
                        + " deploy/kubernetes/platform-driver/role.yaml");
        assertThat(client.services().inNamespace("rbac").list().getItems())
                .as("what was created before the refusal is removed")
                .isEmpty();
    }

    @Test
    void notFoundAndQuotaExceededBecomeOneMessageEach() {
        server.expect()
                .post()
                .withPath("/api/v1/namespaces/missing/services")
                .andReturn(
                        404,
                        new StatusBuilder()
                                .withStatus("Failure")
                                .withReason("NotFound")
                                .withCode(404)
                                .withMessage("namespaces \"missing\" not found")
                                .build())
                .once();
        assertThatThrownBy(() -> driver("missing", "n1", Map.of()).deploy(SPEC))
                .hasMessage("kubernetes: cannot create the model's Deployment, Service or HPA salvo-model-n1: not"
                        + " found (HTTP 404): namespaces \"missing\" not found (does the namespace exist? is the API,"
                        + " e.g. Knative Serving, installed?)");

        server.expect()
                .post()
                .withPath("/apis/apps/v1/namespaces/quota/deployments")
                .andReturn(
                        403,
                        new StatusBuilder()
                                .withStatus("Failure")
                                .withReason("Forbidden")
                                .withCode(403)
                                .withMessage("deployments.apps \"salvo-model-q2\" is forbidden: exceeded quota:"
                                        + " compute, requested: limits.cpu=1500m, used: limits.cpu=3, limited:"
                                        + " limits.cpu=4")
                                .build())
                .once();
        assertThatThrownBy(() -> driver("quota", "q2", Map.of()).deploy(SPEC))
                .hasMessage("kubernetes: cannot create the model's Deployment, Service or HPA salvo-model-q2: quota"
                        + " exceeded: ResourceQuota compute (requested: limits.cpu=1500m, used: limits.cpu=3,"
                        + " limited: limits.cpu=4)");
    }

    @Test
    void anImagePullErrorEndsTheWaitWithOneMessage() throws Exception {
        try (KubernetesPlatformDriver d = driver("pull", "img1", Map.of())) {
            d.deploy(SPEC);
            ScriptedCluster cluster = new ScriptedCluster(client, "pull");
            cluster.podCreated("img-pod", Map.of(KubernetesPlatformDriver.APP_LABEL, "salvo-model-img1"));
            cluster.waiting(
                    "img-pod",
                    "ImagePullBackOff",
                    "Back-off pulling image \"registry.example.com/salvo/model-server:1.0\"");
            assertThatThrownBy(() -> d.awaitReady(Duration.ofSeconds(60)))
                    .isInstanceOf(PlatformException.class)
                    .hasMessage("kubernetes: pod img-pod cannot pull its image (ImagePullBackOff): Back-off pulling"
                            + " image \"registry.example.com/salvo/model-server:1.0\"");
        }
    }
}
