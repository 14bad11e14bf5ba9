package io.salvo.platform.kubernetes;

import static io.salvo.platform.kubernetes.PhaseBreakdown.CONTAINER_START;
import static io.salvo.platform.kubernetes.PhaseBreakdown.FIRST_RESPONSE;
import static io.salvo.platform.kubernetes.PhaseBreakdown.IMAGE_PULL;
import static io.salvo.platform.kubernetes.PhaseBreakdown.MODEL_LOAD_AND_READINESS;
import static io.salvo.platform.kubernetes.PhaseBreakdown.NODE_PROVISIONING;
import static io.salvo.platform.kubernetes.PhaseBreakdown.NODE_READY;
import static io.salvo.platform.kubernetes.PhaseBreakdown.SCALE_UP_TRIGGER;
import static io.salvo.platform.kubernetes.PhaseBreakdown.SCHEDULING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.salvo.platform.ColdStartPhases;
import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.DriverConfig;
import io.salvo.platform.FirstResponse;
import io.salvo.platform.PhaseTable;
import io.salvo.platform.PlatformEvent;
import io.salvo.platform.PlatformTimeline;
import io.salvo.platform.UsageQuantity;
import io.salvo.testkit.Await;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A scripted cluster moves two pods through their conditions with known timestamps: one lands on a node that exists,
 * the other waits for the cluster autoscaler to provision a node (FailedScheduling, TriggeredScaleUp, the node's
 * registration and readiness). The breakdown the driver reports equals the script to the millisecond, and so do the
 * per-run table, the events and the node-hours.
 */
@EnableKubernetesMockClient(crud = true)
class ScriptedClusterBreakdownTest {

    static KubernetesMockServer server;
    static KubernetesClient client;

    private static final String NS = "bench";

    private static Instant at(Instant base, double seconds) {
        return base.plusMillis(Math.round(seconds * 1000));
    }

    @Test
    void theBreakdownEqualsTheScriptIncludingANodeScaleUp() throws Exception {
        KubernetesPlatformDriver driver = new KubernetesPlatformDriver(
                KubernetesPlatformDriver.Settings.read(new DriverConfig(
                        "kubernetes",
                        Map.of(
                                "image", "model-server:test",
                                "namespace", NS,
                                "run-id", "script1",
                                "endpoint-url", "http://127.0.0.1:9",
                                "poll-ms", "20",
                                "node-type", "e2-standard-4"))),
                client,
                false,
                Clock.systemUTC());
        ScriptedCluster cluster = new ScriptedCluster(client, NS, NodeEventSelector.install(server));
        cluster.nodeCreated("pool-a-1", "e2-standard-4");
        cluster.nodeReady("pool-a-1", Instant.now());
        driver.deploy(DeploymentSpec.of("tiny-bert-shape").withScaling(0, 2, null));
        Map<String, String> labels = Map.of(KubernetesPlatformDriver.APP_LABEL, driver.deploymentName());

        // The API server stamps creation times (whole seconds); the script sets every other instant relative to them.
        // Pod a: on the existing node.
        Instant a0 = cluster.podCreated("a", labels);
        // Pod b: no room; the cluster autoscaler adds a node, registered a second or more later.
        Instant b0 = cluster.podCreated("b", labels);
        Await.until(
                "the API server's clock passes pod b's creation second",
                () -> Instant.now().isAfter(b0.plusSeconds(1)));
        Instant n0 = cluster.nodeCreated("pool-a-2", "e2-standard-4");
        assertThat(n0).isAfter(b0);

        cluster.scheduled("a", "pool-a-1", at(a0, 0.25));
        cluster.event("Pod", "a", "Normal", "Pulling", "Pulling image \"model-server:test\"", at(a0, 0.5));
        cluster.event("Pod", "a", "Normal", "Pulled", "Successfully pulled image in 2.5s", at(a0, 3));
        cluster.containerStarted("a", at(a0, 4));
        cluster.ready("a", at(a0, 9));

        cluster.event(
                "Pod",
                "b",
                "Warning",
                "FailedScheduling",
                "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available",
                at(b0, 0.2));
        cluster.event(
                "Pod",
                "b",
                "Normal",
                "TriggeredScaleUp",
                "pod triggered scale-up: [{pool-a 1->2 (max: 5)}]",
                at(b0, 0.5));
        cluster.nodeReady("pool-a-2", at(n0, 30));
        cluster.scheduled("b", "pool-a-2", at(n0, 31));
        cluster.event("Pod", "b", "Normal", "Pulled", "Successfully pulled image in 23.9s", at(n0, 55));
        cluster.containerStarted("b", at(n0, 56));
        cluster.ready("b", at(n0, 62));

        List<FirstResponse> responses = List.of(
                new FirstResponse("a/0f1e", at(a0, 9.4), 2100L),
                new FirstResponse("b/77aa", at(n0, 62.3), 2300L),
                new FirstResponse("not-a-pod-id", at(a0, 5), null));
        // the driver looks at the cluster every poll-ms (20 ms here); its last look must have seen the script's end
        Await.until(
                "the driver saw pod b ready",
                () -> driver.signals().instances().stream()
                        .anyMatch(i -> i.name().equals("b") && i.readyAt() != null));
        PlatformTimeline timeline = driver.timeline(responses);

        assertThat(timeline.coldStarts()).extracting(ColdStartPhases::instance).containsExactly("a", "b");
        ColdStartPhases a = timeline.coldStarts().get(0);
        assertThat(a.phases())
                .extracting(ColdStartPhases.Phase::name, ColdStartPhases.Phase::start, ColdStartPhases.Phase::end)
                .containsExactly(
                        tuple(SCHEDULING, a0, at(a0, 0.25)),
                        tuple(IMAGE_PULL, at(a0, 0.25), at(a0, 3)),
                        tuple(CONTAINER_START, at(a0, 3), at(a0, 4)),
                        tuple(MODEL_LOAD_AND_READINESS, at(a0, 4), at(a0, 9)),
                        tuple(FIRST_RESPONSE, at(a0, 9), at(a0, 9.4)));
        assertThat(a.instanceId()).isEqualTo("a/0f1e");
        assertThat(a.placement()).isEqualTo("pool-a-1");
        assertThat(a.modelLoadMillis()).isEqualTo(2100L);
        assertThat(a.total()).isEqualTo(Duration.ofMillis(9400));

        ColdStartPhases b = timeline.coldStarts().get(1);
        Duration provisioning = Duration.between(at(b0, 0.5), n0);
        assertThat(b.phases())
                .extracting(ColdStartPhases.Phase::name, ColdStartPhases.Phase::duration)
                .containsExactly(
                        tuple(SCALE_UP_TRIGGER, Duration.ofMillis(500)),
                        tuple(NODE_PROVISIONING, provisioning),
                        tuple(NODE_READY, Duration.ofSeconds(30)),
                        tuple(SCHEDULING, Duration.ofSeconds(1)),
                        tuple(IMAGE_PULL, Duration.ofSeconds(24)),
                        tuple(CONTAINER_START, Duration.ofSeconds(1)),
                        tuple(MODEL_LOAD_AND_READINESS, Duration.ofSeconds(6)),
                        tuple(FIRST_RESPONSE, Duration.ofMillis(300)));
        Duration bTotal = Duration.between(b0, at(n0, 62.3));
        assertThat(b.total()).isEqualTo(bTotal);

        // The table per run: lower median and max of each phase over the cold starts that went through it.
        assertThat(PhaseTable.of(timeline.coldStarts()))
                .extracting(PhaseTable.Row::phase, PhaseTable.Row::count, PhaseTable.Row::median, PhaseTable.Row::max)
                .containsExactly(
                        tuple(SCHEDULING, 2, Duration.ofMillis(250), Duration.ofSeconds(1)),
                        tuple(IMAGE_PULL, 2, Duration.ofMillis(2750), Duration.ofSeconds(24)),
                        tuple(CONTAINER_START, 2, Duration.ofSeconds(1), Duration.ofSeconds(1)),
                        tuple(MODEL_LOAD_AND_READINESS, 2, Duration.ofSeconds(5), Duration.ofSeconds(6)),
                        tuple(FIRST_RESPONSE, 2, Duration.ofMillis(300), Duration.ofMillis(400)),
                        tuple(SCALE_UP_TRIGGER, 1, Duration.ofMillis(500), Duration.ofMillis(500)),
                        tuple(NODE_PROVISIONING, 1, provisioning, provisioning),
                        tuple(NODE_READY, 1, Duration.ofSeconds(30), Duration.ofSeconds(30)),
                        tuple(PhaseTable.TOTAL, 2, Duration.ofMillis(9400), bTotal));

        // The scheduling failure and the scale-up reach the event stream with their messages.
        assertThat(timeline.events())
                .filteredOn(PlatformEvent::warning)
                .extracting(PlatformEvent::line)
                .containsExactly("Warning FailedScheduling pod/b: 0/1 nodes are available: 1 Insufficient cpu."
                        + " preemption: 0/1 nodes are available");
        assertThat(timeline.events())
                .extracting(PlatformEvent::reason)
                .contains("TriggeredScaleUp", "RegisteredNode", "NodeReady", "Pulled");

        // Node-hours over [a0, a0 + 200 s): pool-a-1 hosts a from 0.25 s on, pool-a-2 hosts b from n0 + 31 s on.
        List<UsageQuantity> usage = driver.usage(a0, at(a0, 200)).orElseThrow().quantities();
        double hours = (199.75 + Duration.between(at(n0, 31), at(a0, 200)).toMillis() / 1000.0) / 3600;
        assertThat(usage).singleElement().satisfies(q -> {
            assertThat(q.dimension()).isEqualTo("kubernetes:node-hours:e2-standard-4");
            assertThat(q.amount()).isCloseTo(hours, org.assertj.core.data.Offset.offset(1e-9));
            assertThat(q.unit()).isEqualTo("node-h");
        });
        assertThat(driver.signals().instanceCounts())
                .last()
                .satisfies(s -> assertThat(s.ready()).isEqualTo(2));
        driver.teardown();
    }
}
