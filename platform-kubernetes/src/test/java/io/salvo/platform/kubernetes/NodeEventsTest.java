package io.salvo.platform.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.DriverConfig;
import io.salvo.platform.PlatformEvent;
import io.salvo.platform.UsageQuantity;
import io.salvo.testkit.Await;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Node events are recorded in namespace {@code default} (the node controller, the kubelet), not in the model's: the
 * observer lists them cluster-wide when RBAC allows, else in {@code default}, else says in the events that it cannot
 * see them (and, without node access, that the breakdown has no node phases). The scripted cluster records them where
 * a real one does. Ordered: each test adds a refusal (a 403 expectation) to the mock API server.
 */
@EnableKubernetesMockClient(crud = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodeEventsTest {

    static KubernetesMockServer server;
    static KubernetesClient client;

    private static NodeEventSelector nodeEvents;

    @BeforeAll
    static void answerTheNodeEventSelector() {
        nodeEvents = NodeEventSelector.install(server);
    }

    private static Status forbidden(String what) {
        return new StatusBuilder()
                .withStatus("Failure")
                .withReason("Forbidden")
                .withCode(403)
                .withMessage(what + " is forbidden: User \"system:serviceaccount:bench:salvo\" cannot list resource")
                .build();
    }

    /** A deployment whose pod lands on a node that registered and became ready; the driver's events afterwards. */
    private static List<PlatformEvent> eventsOfAPodOnANewNode(String namespace, String node, KubernetesPlatformDriver d)
            throws Exception {
        ScriptedCluster cluster = new ScriptedCluster(client, namespace, nodeEvents);
        d.deploy(DeploymentSpec.of("tiny-bert-shape").withScaling(0, 1, null));
        Instant registered = cluster.nodeCreated(node, "e2-standard-4");
        cluster.nodeReady(node, registered.plusSeconds(20));
        Instant created =
                cluster.podCreated("pod-on-" + node, Map.of(KubernetesPlatformDriver.APP_LABEL, d.deploymentName()));
        cluster.scheduled("pod-on-" + node, node, created.plusSeconds(21));
        // a node the model's pods never used: its events are not the run's
        cluster.nodeCreated(node + "-other", "e2-standard-4");
        Await.until(
                "the driver saw the pod on its node",
                () -> d.signals().instances().stream().anyMatch(i -> i.name().equals("pod-on-" + node)));
        Thread.sleep(200); // a few more polls (every 20 ms): everything listable has been listed
        return d.timeline(List.of()).events();
    }

    private static KubernetesPlatformDriver driver(String namespace, String runId) {
        return new KubernetesPlatformDriver(
                KubernetesPlatformDriver.Settings.read(new DriverConfig(
                        "kubernetes",
                        Map.of(
                                "image", "model-server:test",
                                "namespace", namespace,
                                "run-id", runId,
                                "endpoint-url", "http://127.0.0.1:9",
                                "poll-ms", "20",
                                "node-type", "n2-standard-4"))),
                client,
                false,
                Clock.systemUTC());
    }

    @Test
    @Order(1)
    void nodeEventsInTheDefaultNamespaceAreSeenClusterWide() throws Exception {
        KubernetesPlatformDriver d = driver("bench1", "ne1");
        try {
            List<PlatformEvent> events = eventsOfAPodOnANewNode("bench1", "node-a", d);
            assertThat(events)
                    .filteredOn(e -> e.object().equals("node/node-a"))
                    .extracting(PlatformEvent::reason)
                    .containsExactly("RegisteredNode", "NodeReady");
            assertThat(events).noneMatch(e -> e.object().startsWith("node/node-a-other"));
            assertThat(events).noneMatch(e -> e.object().equals("salvo/observer"));
        } finally {
            d.teardown();
        }
    }

    @Test
    @Order(2)
    void withoutClusterWideAccessTheDefaultNamespaceIsRead() throws Exception {
        nodeEvents.refuseClusterWide = true;
        KubernetesPlatformDriver d = driver("bench2", "ne2");
        try {
            List<PlatformEvent> events = eventsOfAPodOnANewNode("bench2", "node-b", d);
            assertThat(events)
                    .filteredOn(e -> e.object().equals("node/node-b"))
                    .extracting(PlatformEvent::reason)
                    .containsExactly("RegisteredNode", "NodeReady");
            assertThat(events).noneMatch(e -> e.object().equals("salvo/observer"));
        } finally {
            d.teardown();
        }
    }

    @Test
    @Order(3)
    void whenNodeEventsAndNodesAreForbiddenTheEventsSaySoAndUsageFallsBack() throws Exception {
        nodeEvents.refuseInDefault = true;
        server.expect()
                .get()
                .withPath("/api/v1/nodes")
                .andReturn(403, forbidden("nodes"))
                .always();
        KubernetesPlatformDriver d = driver("bench3", "ne3");
        try {
            Instant from = Instant.now();
            List<PlatformEvent> events = eventsOfAPodOnANewNode("bench3", "node-c", d);
            assertThat(events).noneMatch(e -> e.object().startsWith("node/"));
            assertThat(events)
                    .filteredOn(e -> e.object().equals("salvo/observer"))
                    .extracting(PlatformEvent::reason)
                    .containsExactlyInAnyOrder("NodeEventsHidden", "NodesHidden");
            assertThat(events)
                    .filteredOn(e -> e.reason().equals("NodeEventsHidden"))
                    .singleElement()
                    .satisfies(e -> {
                        assertThat(e.warning()).isTrue();
                        assertThat(e.message())
                                .contains("outside namespace bench3")
                                .contains("HTTP 403")
                                .contains("salvo-platform-driver-nodes");
                    });
            // the pod's own events are still there
            assertThat(events)
                    .filteredOn(e -> e.object().equals("pod/pod-on-node-c"))
                    .extracting(PlatformEvent::reason)
                    .contains("Scheduled");
            // without nodes, node-hours are one node per pod of the plan's node type, and say so
            List<UsageQuantity> usage =
                    d.usage(from, Instant.now().plusSeconds(60)).orElseThrow().quantities();
            assertThat(usage).singleElement().satisfies(q -> {
                assertThat(q.dimension()).isEqualTo("kubernetes:node-hours:n2-standard-4");
                assertThat(q.basis()).contains("nodes not visible");
            });
        } finally {
            d.teardown();
        }
    }
}
