package io.salvo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code salvo run plan.yaml} with {@code platform: kubernetes} (issue 13 through a plan, not code): against fabric8's
 * CRUD mock, the test plays the ReplicaSet controller, scheduler and kubelet (pods move through their conditions with
 * known instants, a FailedScheduling warning first) and the Service (a loopback server answering as the model server
 * of a ready pod, {@code Salvo-Instance-Id: <pod>/<uuid>}). The run goes deploy → ready → forced cold (no pod left) →
 * explicit scale-up at load start → load → breakdown, which lands beside the report, in the report's platform section
 * and in the live lines; the deployment is torn down after.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesPlanRunTest {

    static KubernetesClient client;

    private static final String NS = "bench";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void aPlanWithAKubernetesSectionWritesTheBreakdownBesideAndInsideTheReport() throws Exception {
        try (FakeCluster cluster = new FakeCluster()) {
            Path bodies = Files.writeString(dir.resolve("bodies.jsonl"), "{\"inputs\": [\"hello\"]}\n");
            Path plan = Files.writeString(
                    dir.resolve("plan.yaml"), """
                    name: k8s-plan
                    platform:
                      name: kubernetes
                      config:
                        master-url: %s
                        namespace: %s
                        image: salvo/model-server:test
                        run-id: plan1
                        endpoint-url: %s
                        poll-ms: "100"
                        node-type: e2-standard-4
                      deployment: {model: tiny-bert-shape, cpus: 1, memory: 512, minInstances: 1, maxInstances: 1}
                      forceCold: true
                    target:
                      url: /v2/models/tiny-bert-shape/predict
                      method: POST
                      headers:
                        Content-Type: application/json
                      bodyFile: %s
                    phases:
                      - duration: 5s
                        rate: 10
                    interval: 1s
                    captureHeaders: [Salvo-Instance-Id]
                    """.formatted(client.getMasterUrl(), NS, cluster.serviceUrl(), bodies));
            Path results = dir.resolve("results");

            ByteArrayOutputStream captured = new ByteArrayOutputStream();
            PrintStream originalOut = System.out;
            PrintStream originalErr = System.err;
            int exit;
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            try {
                exit = SalvoCli.execute("run", plan.toString(), "--out", results.toString());
            } finally {
                System.setOut(originalOut);
                System.setErr(originalErr);
            }
            String output = captured.toString(StandardCharsets.UTF_8);
            originalOut.println(output);
            assertThat(exit).as(output).isZero();

            // deploy made one pod, the forced cold start removed it, the scale-up at load start made the second
            assertThat(cluster.created()).containsExactly("salvo-model-plan1-1001", "salvo-model-plan1-1002");
            String pod = "salvo-model-plan1-1002";

            // beside the report: the breakdown of the run's one cold start, ended by its first response
            Path beside;
            try (var files = Files.list(results)) {
                beside = files.filter(f -> f.getFileName().toString().endsWith("-platform.json"))
                        .findFirst()
                        .orElseThrow(() -> new AssertionError("no <run>-platform.json in " + results + "\n" + output));
            }
            JsonNode platformFile = JSON.readTree(beside.toFile());
            JsonNode cold = platformFile.get("cold_starts");
            assertThat(cold).hasSize(1);
            assertThat(cold.get(0).get("instance").asText()).isEqualTo(pod);
            assertThat(cold.get(0).get("instance_id").asText()).isEqualTo(cluster.instanceId(pod));
            assertThat(cold.get(0).get("model_load_ms").asLong()).isEqualTo(FakeCluster.MODEL_LOAD_MS);
            List<String> names = new ArrayList<>();
            cold.get(0).get("phases").forEach(p -> names.add(p.get("name").asText()));
            assertThat(names).endsWith("model load + readiness", "first response");
            JsonNode phases = cold.get(0).get("phases");
            assertThat(Instant.parse(phases.get(phases.size() - 2).get("end").asText()))
                    .isEqualTo(cluster.readyAt(pod));

            // inside the report: the same figures as its platform section
            String runId = platformFile.get("run_id").asText();
            JsonNode report = JSON.readTree(results.resolve(runId + ".json").toFile());
            JsonNode section = report.get("platform");
            assertThat(section.get("version").asInt()).isEqualTo(1);
            assertThat(section.get("source").asText()).contains("salvo-model-plan1");
            assertThat(section.get("cold_starts")).isEqualTo(cold);
            assertThat(section.get("phase_table")).isEqualTo(platformFile.get("phase_table"));
            List<String> reasons = new ArrayList<>();
            section.get("events").forEach(e -> reasons.add(e.get("reason").asText()));
            assertThat(reasons).contains("FailedScheduling");
            List<Integer> ready = new ArrayList<>();
            section.get("instance_counts").forEach(s -> ready.add(s.get("ready").asInt()));
            assertThat(ready).contains(1);
            long successes = report.get("totals").get("successes").asLong();
            assertThat(successes).isPositive();
            // priced per prediction: Kubernetes counts none itself, so the run's 2xx responses are the predictions
            assertThat(output)
                    .contains("kubernetes:node-hours:e2-standard-4")
                    .containsPattern("Estimated cost: \\S+ in all, \\S+ per million predictions \\(" + successes
                            + " predictions; ");

            // the console: the table after the report, and the live lines from the coordinator's feed
            assertThat(output)
                    .contains("Forced cold: every instance that was running is gone.")
                    .contains("Cold starts: 1")
                    .contains("model load + readiness")
                    .contains("Platform report: " + beside)
                    .contains("platform: ready 1, starting 0")
                    .contains(
                            "!! Warning FailedScheduling pod/" + pod + ": 0/1 nodes are available: 1 Insufficient cpu.")
                    // the live view is the run's: the deploy-time pod's events are in the report only
                    .doesNotContain("!! Warning FailedScheduling pod/salvo-model-plan1-1001")
                    .contains("  Warning FailedScheduling pod/salvo-model-plan1-1001");

            // torn down after the run: nothing of it is left
            assertThat(client.apps().deployments().inNamespace(NS).list().getItems())
                    .isEmpty();
            assertThat(client.services().inNamespace(NS).list().getItems()).isEmpty();
        }
    }

    /**
     * The controllers and kubelet of a one-node cluster, without processes: a pod is scheduled (after one
     * FailedScheduling), its container started and, {@value #READY_AFTER_MS} ms later, marked ready; the Service
     * answers for a ready pod as its model server would.
     */
    static final class FakeCluster implements AutoCloseable {

        static final long MODEL_LOAD_MS = 120;
        static final long READY_AFTER_MS = 300;

        private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();
        private final Map<String, String> instanceIds = new ConcurrentHashMap<>();
        private final Map<String, Instant> readyAt = new ConcurrentHashMap<>();
        private final Map<String, AtomicLong> served = new ConcurrentHashMap<>();
        /** Pods ready and not deleted: the Service's endpoints. */
        private final java.util.Set<String> endpoints = ConcurrentHashMap.newKeySet();

        private final List<String> created = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final AtomicInteger podCounter = new AtomicInteger();
        private final AtomicInteger eventCounter = new AtomicInteger();
        private final HttpServer service;

        FakeCluster() throws IOException {
            service = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
            service.setExecutor(Executors.newCachedThreadPool());
            service.createContext("/", this::route);
            service.start();
            var unused = loop.scheduleWithFixedDelay(this::reconcile, 0, 100, TimeUnit.MILLISECONDS);
        }

        String serviceUrl() {
            return "http://127.0.0.1:" + service.getAddress().getPort();
        }

        List<String> created() {
            return List.copyOf(created);
        }

        String instanceId(String pod) {
            return instanceIds.get(pod);
        }

        Instant readyAt(String pod) {
            return readyAt.get(pod);
        }

        /** A ready pod's model server; with none ready the request waits, as at a Service without endpoints. */
        private void route(HttpExchange exchange) throws IOException {
            try (exchange) {
                exchange.getRequestBody().readAllBytes();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                String pod = readyPod();
                while (pod == null && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                    pod = readyPod();
                }
                if (pod == null) {
                    exchange.sendResponseHeaders(503, -1);
                    return;
                }
                byte[] body = "{\"outputs\": []}".getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.getResponseHeaders().add("Salvo-Instance-Id", instanceIds.get(pod));
                exchange.getResponseHeaders().add("Salvo-Model-Load-Ms", Long.toString(MODEL_LOAD_MS));
                exchange.getResponseHeaders()
                        .add(
                                "Salvo-Instance-Request-Seq",
                                Long.toString(served.computeIfAbsent(pod, p -> new AtomicLong())
                                        .incrementAndGet()));
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private String readyPod() {
            for (Pod p : client.pods().inNamespace(NS).list().getItems()) {
                if (endpoints.contains(p.getMetadata().getName())) {
                    return p.getMetadata().getName();
                }
            }
            return null;
        }

        private void reconcile() {
            try {
                List<Deployment> deployments =
                        client.apps().deployments().inNamespace(NS).list().getItems();
                List<Pod> pods = client.pods().inNamespace(NS).list().getItems();
                for (Deployment d : deployments) {
                    Map<String, String> selector = d.getSpec().getSelector().getMatchLabels();
                    List<Pod> mine = pods.stream()
                            .filter(p -> p.getMetadata().getLabels().entrySet().containsAll(selector.entrySet()))
                            .toList();
                    int want = d.getSpec().getReplicas();
                    for (int i = mine.size(); i < want; i++) {
                        createAndStart(d);
                    }
                    for (int i = want; i < mine.size(); i++) {
                        delete(mine.get(i).getMetadata().getName());
                    }
                }
                for (Pod p : pods) {
                    boolean owned = deployments.stream()
                            .anyMatch(d -> p.getMetadata()
                                    .getLabels()
                                    .entrySet()
                                    .containsAll(d.getSpec()
                                            .getSelector()
                                            .getMatchLabels()
                                            .entrySet()));
                    if (!owned) {
                        delete(p.getMetadata().getName());
                    }
                }
            } catch (RuntimeException e) {
                System.err.println("fake cluster: " + e);
            }
        }

        private void createAndStart(Deployment d) {
            String name = d.getMetadata().getName() + "-" + Integer.toHexString(0x1000 + podCounter.incrementAndGet());
            created.add(name);
            client.pods()
                    .inNamespace(NS)
                    .resource(new PodBuilder()
                            .withNewMetadata()
                            .withName(name)
                            .withLabels(d.getSpec().getTemplate().getMetadata().getLabels())
                            .endMetadata()
                            .withSpec(d.getSpec().getTemplate().getSpec())
                            .withNewStatus()
                            .withPhase("Pending")
                            .endStatus()
                            .build())
                    .create();
            event(name, "Warning", "FailedScheduling", "0/1 nodes are available: 1 Insufficient cpu.");
            Instant scheduledAt = Instant.now();
            Pod pod = client.pods().inNamespace(NS).withName(name).get();
            pod.getSpec().setNodeName("node-1");
            pod.getStatus()
                    .getConditions()
                    .add(new PodConditionBuilder()
                            .withType("PodScheduled")
                            .withStatus("True")
                            .withLastTransitionTime(scheduledAt.toString())
                            .build());
            client.pods().inNamespace(NS).resource(pod).update();
            event(name, "Normal", "Scheduled", "Successfully assigned " + NS + "/" + name + " to node-1");
            event(name, "Normal", "Pulled", "Container image already present on machine");
            Instant startedAt = Instant.now();
            Pod running = client.pods().inNamespace(NS).withName(name).get();
            running.getStatus().setPhase("Running");
            running.getStatus()
                    .getContainerStatuses()
                    .add(new ContainerStatusBuilder()
                            .withName("model-server")
                            .withReady(false)
                            .withNewState()
                            .withNewRunning()
                            .withStartedAt(startedAt.toString())
                            .endRunning()
                            .endState()
                            .build());
            client.pods().inNamespace(NS).resource(running).update();
            event(name, "Normal", "Started", "Started container model-server");
            var unused = loop.schedule(() -> markReady(name), READY_AFTER_MS, TimeUnit.MILLISECONDS);
        }

        private void markReady(String name) {
            Pod pod = client.pods().inNamespace(NS).withName(name).get();
            if (pod == null) {
                return;
            }
            Instant at = Instant.now();
            pod.getStatus().getContainerStatuses().get(0).setReady(true);
            pod.getStatus()
                    .getConditions()
                    .add(new PodConditionBuilder()
                            .withType("Ready")
                            .withStatus("True")
                            .withLastTransitionTime(at.toString())
                            .build());
            client.pods().inNamespace(NS).resource(pod).update();
            // the model server names itself after its pod (SALVO_INSTANCE_NAME from the downward API)
            instanceIds.put(name, name + "/" + UUID.randomUUID());
            readyAt.put(name, at);
            endpoints.add(name);
        }

        private void delete(String pod) {
            endpoints.remove(pod);
            client.pods().inNamespace(NS).withName(pod).delete();
        }

        private void event(String pod, String type, String reason, String message) {
            client.v1()
                    .events()
                    .inNamespace(NS)
                    .resource(new EventBuilder()
                            .withNewMetadata()
                            .withName(pod + "." + eventCounter.incrementAndGet())
                            .endMetadata()
                            .withNewInvolvedObject()
                            .withKind("Pod")
                            .withName(pod)
                            .withNamespace(NS)
                            .endInvolvedObject()
                            .withType(type)
                            .withReason(reason)
                            .withMessage(message)
                            .withEventTime(new MicroTime(Instant.now().toString()))
                            .build())
                    .create();
        }

        @Override
        public void close() {
            loop.shutdownNow();
            service.stop(0);
        }
    }
}
