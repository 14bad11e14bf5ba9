package io.salvo.benchmark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformDrivers;
import io.salvo.platform.PlatformUsage;
import io.salvo.report.CostSection;
import io.salvo.testkit.Await;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A kubernetes or knative cell's cost, as the matrix computes it: the driver's {@code usage()} (node-hours per node
 * type, from the pods and nodes in fabric8's CRUD mock) priced by the dated built-in table, or by the node prices the
 * plan gives, which override the table; a node type neither knows is listed as unpriced, never priced at zero.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesCellCostTest {

    static KubernetesClient client;

    private static final double E2_STANDARD_4 = 0.134012; // the built-in table's entry

    private static PlatformDriver driver(String platform, String namespace, Map<String, String> extra) {
        Map<String, String> config = new HashMap<>(Map.of(
                "master-url",
                client.getMasterUrl().toString(),
                "namespace",
                namespace,
                "image",
                "salvo/model-server:test",
                "run-id",
                "cost-" + namespace,
                "endpoint-url",
                "http://127.0.0.1:9",
                "poll-ms",
                "20"));
        config.putAll(extra);
        return PlatformDrivers.factory(platform).create(config);
    }

    private static void node(String name, String instanceType) {
        if (client.nodes().withName(name).get() == null) {
            client.nodes()
                    .resource(new NodeBuilder()
                            .withNewMetadata()
                            .withName(name)
                            .addToLabels("node.kubernetes.io/instance-type", instanceType)
                            .endMetadata()
                            .build())
                    .create();
        }
    }

    /** A pod of the deployment (selected by {@code labels}) bound to {@code node} at {@code at}. */
    private static void podOn(String namespace, String pod, Map<String, String> labels, String node, Instant at) {
        client.pods()
                .inNamespace(namespace)
                .resource(new PodBuilder()
                        .withNewMetadata()
                        .withName(pod)
                        .withLabels(labels)
                        .endMetadata()
                        .withNewSpec()
                        .withNodeName(node)
                        .addNewContainer()
                        .withName("model-server")
                        .withImage("salvo/model-server:test")
                        .endContainer()
                        .endSpec()
                        .withNewStatus()
                        .withPhase("Running")
                        .addToConditions(new PodConditionBuilder()
                                .withType("PodScheduled")
                                .withStatus("True")
                                .withLastTransitionTime(at.toString())
                                .build())
                        .endStatus()
                        .build())
                .create();
    }

    /** Two pods for one hour: one on an e2-standard-4, one on a node type the built-in table does not know. */
    private static PlatformUsage anHourOnTwoNodes(
            PlatformDriver driver, String namespace, Map<String, String> podLabels, Instant from) throws Exception {
        node("pool-e2", "e2-standard-4");
        node("pool-c3", "c3-highcpu-88");
        podOn(namespace, "model-1", podLabels, "pool-e2", from);
        podOn(namespace, "model-2", podLabels, "pool-c3", from.plusSeconds(1800));
        Await.until(
                "the driver saw both pods", () -> driver.signals().instances().size() == 2);
        return driver.usage(from, from.plusSeconds(3600)).orElseThrow();
    }

    @Test
    void aKubernetesCellIsPricedByNodeHoursFromTheTableAndThePlansNodePricesOverrideIt() throws Exception {
        Instant from = Instant.parse("2030-01-01T00:00:00Z");
        Map<String, String> settings = Map.of("node-prices", "c3-highcpu-88=3.5,e2-standard-4=0.10");
        try (PlatformDriver driver = driver("kubernetes", "cost-k8s", settings)) {
            driver.deploy(DeploymentSpec.of("tiny-bert-shape").withScaling(0, 2, null));
            Map<String, String> labels = client.apps()
                    .deployments()
                    .inNamespace("cost-k8s")
                    .list()
                    .getItems()
                    .get(0)
                    .getSpec()
                    .getSelector()
                    .getMatchLabels();
            PlatformUsage usage = anHourOnTwoNodes(driver, "cost-k8s", labels, from);

            // the dated built-in table prices the e2-standard-4 hour; the c3 half hour has no price: a lower bound
            CostEstimate table = CostEstimate.of(usage, 2_000_000, PriceTable.builtIn());
            assertThat(table.lines())
                    .extracting(CostSection.Line::dimension, CostSection.Line::amount)
                    .containsExactlyInAnyOrder(
                            org.assertj.core.groups.Tuple.tuple("kubernetes:node-hours:e2-standard-4", 1.0),
                            org.assertj.core.groups.Tuple.tuple("kubernetes:node-hours:c3-highcpu-88", 0.5));
            assertThat(table.total()).isCloseTo(E2_STANDARD_4, within(1e-12));
            assertThat(table.perMillion()).isCloseTo(E2_STANDARD_4 / 2, within(1e-12));
            assertThat(table.predictionsSource()).isEqualTo("salvo 2xx responses");
            assertThat(table.unpriced()).containsExactly("kubernetes:node-hours:c3-highcpu-88");
            assertThat(table.pricesAsOf()).isEqualTo(PriceTable.builtIn().asOf());

            // the plan's node prices override the table's for their node types and price the unknown one
            CostEstimate plan =
                    CostEstimate.of(usage, 2_000_000, PriceTable.builtIn().withPlanPrices(List.of(settings)));
            assertThat(plan.complete()).isTrue();
            assertThat(plan.total()).isCloseTo(1.0 * 0.10 + 0.5 * 3.5, within(1e-12));
            assertThat(plan.priceTable()).isEqualTo("built-in + the plan's node prices");
            assertThat(plan.lines())
                    .allSatisfy(l -> assertThat(l.priceKey()).startsWith("kubernetes:node-hours:"))
                    .extracting(CostSection.Line::unitPrice)
                    .containsExactlyInAnyOrder(0.10, 3.5);
        }
    }

    @Test
    void aKnativeCellIsPricedTheSameWayWithTheNodePriceOfItsNodeType() throws Exception {
        Instant from = Instant.parse("2030-01-02T00:00:00Z");
        Map<String, String> settings = Map.of("node-type", "c3-highcpu-88", "node-price", "3.5");
        try (PlatformDriver driver = driver("knative", "cost-kn", settings)) {
            driver.deploy(DeploymentSpec.of("tiny-bert-shape").withScaling(0, 2, null));
            PlatformUsage usage = anHourOnTwoNodes(
                    driver, "cost-kn", Map.of("serving.knative.dev/service", "salvo-model-cost-cost-kn"), from);
            CostEstimate cost =
                    CostEstimate.of(usage, 1_000_000, PriceTable.builtIn().withPlanPrices(List.of(settings)));
            assertThat(cost.complete()).isTrue();
            assertThat(cost.total()).isCloseTo(1.0 * E2_STANDARD_4 + 0.5 * 3.5, within(1e-12));
            assertThat(cost.perMillion()).isCloseTo(cost.total(), within(1e-12));
        }
    }

    @Test
    void badNodePricesAreRefusedBeforeAnythingIsDeployed() {
        assertThatThrownBy(() -> driver("kubernetes", "bad", Map.of("node-price", "0.2")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("node-price")
                .hasMessageContaining("node-type");
        assertThatThrownBy(() -> driver("knative", "bad", Map.of("node-prices", "e2-standard-4=free")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be a number, got 'free'");
        assertThatThrownBy(() -> PriceTable.builtIn()
                        .withPlanPrices(List.of(
                                Map.of("node-prices", "e2-standard-4=0.1"),
                                Map.of("node-prices", "e2-standard-4=0.2"))))
                .isInstanceOf(PriceTable.PriceTableException.class)
                .hasMessageContaining("node type e2-standard-4 is priced 0.1 and 0.2");
        assertThatThrownBy(
                        () -> PriceTable.builtIn().withPlanPrices(List.of(Map.of("node-prices", "e2-standard-4=-1"))))
                .hasMessageContaining("must be positive");
    }
}
