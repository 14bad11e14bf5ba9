package io.salvo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.salvo.plan.PlanParser;
import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformDrivers;
import io.salvo.proto.v1.RunPlan;
import io.salvo.testkit.Await;
import io.salvo.testkit.Prerequisite;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code platform: kubernetes} end to end, with the test playing the cluster: against fabric8's CRUD mock it is the
 * ReplicaSet controller (pods for the Deployment's replicas), the scheduler, the kubelet (a real model-server process
 * per pod, the pod marked ready when the server answers its readiness probe), the HPA (scaling 1 → 2 once load flows)
 * and the Service (a loopback router over the ready pods, given to the driver as its endpoint URL: fabric8's mock
 * cannot port-forward). The run goes deploy → verified zero → load → scale-up → breakdown → teardown on real processes.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesPlatformEndToEndTest {

    static KubernetesClient client;

    private static final Path MODEL_SERVER_JAR = PlayedKubelet.MODEL_SERVER_JAR;
    private static final String NS = "bench";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void deployVerifiedZeroLoadScaleUpBreakdownTeardown() throws Exception {
        Prerequisite.require(
                Files.isRegularFile(MODEL_SERVER_JAR),
                "model-server jar not built: " + MODEL_SERVER_JAR.toAbsolutePath());
        try (FakeCluster cluster = new FakeCluster(dir);
                PlatformDriver driver = PlatformDrivers.factory("kubernetes")
                        .create(Map.of(
                                "master-url", client.getMasterUrl().toString(),
                                "namespace", NS,
                                "image", "salvo/model-server:test",
                                "run-id", "e2e1",
                                "hpa", "cpu",
                                "endpoint-url", cluster.serviceUrl(),
                                "node-type", "e2-standard-4",
                                "poll-ms", "250"))) {
            // deploy: one pod, a real process, ready
            URI endpoint = driver.deploy(new DeploymentSpec("tiny-bert-shape", 1, 512, 1, 2, null, Map.of()));
            assertThat(endpoint.toString()).isEqualTo(cluster.serviceUrl());
            driver.awaitReady(Duration.ofSeconds(120));
            assertThat(cluster.runningProcesses()).isEqualTo(1);

            // verified zero: the Deployment at 0, no pod left, no process left
            driver.forceCold();
            assertThat(client.pods().inNamespace(NS).list().getItems()).isEmpty();
            assertThat(cluster.runningProcesses()).isZero();
            Deployment deployment = client.apps()
                    .deployments()
                    .inNamespace(NS)
                    .withName("salvo-model-e2e1")
                    .get();
            assertThat(deployment.getSpec().getReplicas()).isZero();

            // load, with the HPA (played here) scaling to 2 once the first pod has served
            Path bodies = dir.resolve("bodies.jsonl");
            Files.writeString(
                    bodies, "{\"inputs\": [\"hello world\"]}\n{\"inputs\": [\"a cold start, broken down\"]}\n");
            RunPlan plan = new PlanParser()
                    .parse("(e2e plan)", new java.io.StringReader("""
                    name: k8s-e2e
                    target:
                      url: %s/v2/models/tiny-bert-shape/predict
                      method: POST
                      headers:
                        Content-Type: application/json
                      bodyFile: %s
                    phases:
                      - duration: 300s
                        rate: 4
                    arrival: constant
                    workers: 1
                    interval: 1s
                    timeouts:
                      request: 60s
                      connect: 5s
                    """.formatted(endpoint, bodies)), null);
            ByteArrayOutputStream captured = new ByteArrayOutputStream();
            PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8);
            RunExecution execution = new RunExecution(
                            plan,
                            List.of(),
                            null,
                            null,
                            dir.resolve("results"),
                            Duration.ofSeconds(60),
                            false,
                            out,
                            out)
                    .platform(driver);
            CompletableFuture<Integer> run = CompletableFuture.supplyAsync(execution::execute);
            try {
                Await.until("the first pod ready", Duration.ofSeconds(180), () -> cluster.readyPods() > 0);
                cluster.playHpa(2);
                Await.until("the second pod served too", Duration.ofSeconds(240), () -> cluster.podsThatServed() >= 2);
                // once the live view has shown both pods ready, the run is stopped (the plan allows 300 s)
                Await.until(
                        "the live view shows two ready pods",
                        Duration.ofSeconds(120),
                        () -> captured.toString(StandardCharsets.UTF_8).contains("platform: ready 2, starting 0"));
                execution.stopQuietly("the test saw both pods serve");
                assertThat(run.get(180, TimeUnit.SECONDS)).isZero();
            } finally {
                System.out.println(captured.toString(StandardCharsets.UTF_8));
            }
            String output = captured.toString(StandardCharsets.UTF_8);

            // the live view carried the ready-pod count and the platform's events, with their messages
            assertThat(output)
                    .containsPattern("platform: ready 1, starting [01]\n")
                    .contains("platform: ready 2, starting 0")
                    .contains("!! Warning FailedScheduling pod/");
            assertThat(output).contains("Cold starts: 2").contains("model load + readiness");

            // the breakdown beside the report equals what the cluster (this test) did
            JsonNode report = JSON.readTree(execution.platformReport().toFile());
            JsonNode coldStarts = report.get("cold_starts");
            assertThat(coldStarts).hasSize(2);
            for (JsonNode c : coldStarts) {
                String pod = c.get("instance").asText();
                PlayedKubelet.PodRecord truth = cluster.record(pod);
                assertThat(c.get("complete").asBoolean()).isTrue();
                assertThat(c.get("instance_id").asText()).startsWith(pod + "/");
                assertThat(c.get("model_load_ms").isNumber()).isTrue();
                List<String> names = new ArrayList<>();
                c.get("phases").forEach(p -> names.add(p.get("name").asText()));
                assertThat(names)
                        .containsExactly(
                                "scheduling",
                                "image pull",
                                "container start",
                                "model load + readiness",
                                "first response");
                JsonNode phases = c.get("phases");
                assertThat(Instant.parse(phases.get(0).get("end").asText())).isEqualTo(truth.scheduled());
                assertThat(Instant.parse(phases.get(1).get("end").asText())).isEqualTo(truth.pulled());
                assertThat(Instant.parse(phases.get(2).get("end").asText())).isEqualTo(truth.started());
                assertThat(Instant.parse(phases.get(3).get("end").asText())).isEqualTo(truth.ready());
                Instant firstResponse = Instant.parse(phases.get(4).get("end").asText());
                assertThat(firstResponse).isAfterOrEqualTo(truth.ready());
                assertThat(firstResponse).isBefore(truth.ready().plusSeconds(60));
            }
            assertThat(report.get("phase_table")
                            .get(report.get("phase_table").size() - 1)
                            .get("phase")
                            .asText())
                    .isEqualTo("total");
            List<Integer> ready = new ArrayList<>();
            report.get("instance_counts").forEach(s -> ready.add(s.get("ready").asInt()));
            assertThat(ready).contains(1, 2);
            assertThat(report.get("usage").get(0).get("dimension").asText())
                    .isEqualTo("kubernetes:node-hours:e2-standard-4");
            assertThat(report.get("usage").get(0).get("amount").asDouble()).isPositive();
            JsonNode runReport = JSON.readTree(dir.resolve("results")
                    .resolve(report.get("run_id").asText() + ".json")
                    .toFile());
            assertThat(runReport.get("totals").get("successes").asLong()).isPositive();

            // teardown: nothing of the run is left, and the cluster stops the processes
            driver.teardown();
            assertThat(client.apps().deployments().inNamespace(NS).list().getItems())
                    .isEmpty();
            assertThat(client.services().inNamespace(NS).list().getItems()).isEmpty();
            assertThat(client.autoscaling()
                            .v2()
                            .horizontalPodAutoscalers()
                            .inNamespace(NS)
                            .list()
                            .getItems())
                    .isEmpty();
            Await.until("the pods' processes end", Duration.ofSeconds(30), () -> cluster.runningProcesses() == 0);
        }
    }

    /**
     * The ReplicaSet controller (pods for the Deployment's replicas, the garbage collector for pods without one), the
     * HPA, and the Service as a loopback router over the ready pods; scheduling and the kubelet are {@link
     * PlayedKubelet}'s.
     */
    static final class FakeCluster implements AutoCloseable {

        private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();
        private final PlayedKubelet kubelet;
        private final AtomicInteger podCounter = new AtomicInteger();
        private final AtomicLong served = new AtomicLong();
        private final AtomicLong roundRobin = new AtomicLong();
        private final HttpServer service;

        FakeCluster(Path dir) throws IOException {
            kubelet = new PlayedKubelet(client, NS, dir, "node-1");
            service = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
            service.setExecutor(Executors.newCachedThreadPool());
            service.createContext("/", this::route);
            service.start();
            var unused = loop.scheduleWithFixedDelay(this::reconcile, 0, 250, TimeUnit.MILLISECONDS);
        }

        String serviceUrl() {
            return "http://127.0.0.1:" + service.getAddress().getPort();
        }

        long served() {
            return served.get();
        }

        int readyPods() {
            return kubelet.readyPods();
        }

        long podsThatServed() {
            return kubelet.podsThatServed();
        }

        int runningProcesses() {
            return kubelet.runningProcesses();
        }

        PlayedKubelet.PodRecord record(String pod) {
            return kubelet.record(pod);
        }

        /** The HPA: sets the Deployment's replicas, as it would on high CPU. */
        void playHpa(int replicas) {
            Deployment d = client.apps()
                    .deployments()
                    .inNamespace(NS)
                    .list()
                    .getItems()
                    .get(0);
            client.apps()
                    .deployments()
                    .inNamespace(NS)
                    .withName(d.getMetadata().getName())
                    .scale(replicas);
        }

        /** The Service: to a ready pod, round-robin; with none ready it waits, as a request queued at an activator. */
        private void route(HttpExchange exchange) throws IOException {
            try (exchange) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                List<String> ready = List.copyOf(kubelet.readyPorts().keySet());
                while (ready.isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                    ready = List.copyOf(kubelet.readyPorts().keySet());
                }
                if (ready.isEmpty()) {
                    exchange.sendResponseHeaders(503, -1);
                    return;
                }
                String pod = ready.stream().sorted().toList().get((int) (roundRobin.getAndIncrement() % ready.size()));
                if (kubelet.proxy(exchange, pod) / 100 == 2) {
                    served.incrementAndGet();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void reconcile() {
            try {
                List<Deployment> deployments = client.apps()
                        .deployments()
                        .inNamespace(NS)
                        .withLabel("app.kubernetes.io/managed-by", "salvo")
                        .list()
                        .getItems();
                Map<String, Pod> pods = new HashMap<>();
                for (Pod p : client.pods().inNamespace(NS).list().getItems()) {
                    pods.put(p.getMetadata().getName(), p);
                }
                for (Deployment d : deployments) {
                    Map<String, String> selector = d.getSpec().getSelector().getMatchLabels();
                    List<Pod> mine = pods.values().stream()
                            .filter(p -> p.getMetadata().getLabels().entrySet().containsAll(selector.entrySet()))
                            .sorted(java.util.Comparator.comparing(
                                    p -> p.getMetadata().getName()))
                            .toList();
                    int want = d.getSpec().getReplicas();
                    for (int i = mine.size(); i < want; i++) {
                        String name = d.getMetadata().getName() + "-"
                                + Integer.toHexString(0x1000 + podCounter.incrementAndGet());
                        kubelet.createAndStart(
                                name,
                                d.getSpec().getTemplate().getMetadata().getLabels(),
                                d.getSpec().getTemplate().getSpec(),
                                mine.size() > 0 || i > 0);
                    }
                    for (int i = want; i < mine.size(); i++) {
                        kubelet.stop(mine.get(mine.size() - 1 - (i - want))
                                .getMetadata()
                                .getName());
                    }
                }
                // pods whose Deployment is gone: the garbage collector
                for (Pod p : pods.values()) {
                    boolean owned = deployments.stream()
                            .anyMatch(d -> p.getMetadata()
                                    .getLabels()
                                    .entrySet()
                                    .containsAll(d.getSpec()
                                            .getSelector()
                                            .getMatchLabels()
                                            .entrySet()));
                    if (!owned) {
                        kubelet.stop(p.getMetadata().getName());
                    }
                }
                kubelet.reapEnded();
            } catch (Exception e) {
                System.err.println("fake cluster: " + e);
            }
        }

        @Override
        public void close() {
            loop.shutdownNow();
            service.stop(0);
            kubelet.close();
        }
    }
}
