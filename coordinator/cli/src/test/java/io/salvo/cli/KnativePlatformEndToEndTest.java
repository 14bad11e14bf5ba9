package io.salvo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.salvo.benchmark.PlatformHeaders;
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
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code platform: knative} end to end, with the test playing Knative Serving and the cluster against fabric8's CRUD
 * mock: the Service controller (the route URL and the Ready condition in the Service's status), the autoscaler
 * (initial scale, scale from zero on the requests the activator holds, up to max-scale by target concurrency, and
 * scale to zero once idle), the ingress and activator (a loopback router that routes by the route's Host and holds
 * requests while no pod is ready), and through {@link PlayedKubelet} the scheduler and kubelet (a real model-server
 * process per pod). The run goes deploy → verified zero (Knative's own scale to zero, observed) → load → scale-up from
 * zero to two pods → breakdown → teardown on real processes.
 */
@EnableKubernetesMockClient(crud = true)
class KnativePlatformEndToEndTest {

    static KubernetesClient client;

    private static final String NS = "serving";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Knative Serving's Service, as the driver creates it (a generic resource; the driver is used through the SPI). */
    private static final ResourceDefinitionContext KSVC = new ResourceDefinitionContext.Builder()
            .withGroup("serving.knative.dev")
            .withVersion("v1")
            .withKind("Service")
            .withPlural("services")
            .withNamespaced(true)
            .build();

    @TempDir
    Path dir;

    @Test
    void deployVerifiedZeroLoadScaleFromZeroBreakdownTeardown() throws Exception {
        Prerequisite.require(
                Files.isRegularFile(PlayedKubelet.MODEL_SERVER_JAR),
                "model-server jar not built: " + PlayedKubelet.MODEL_SERVER_JAR.toAbsolutePath());
        try (FakeKnative knative = new FakeKnative(dir);
                PlatformDriver driver = PlatformDrivers.factory("knative")
                        .create(Map.of(
                                "master-url", client.getMasterUrl().toString(),
                                "namespace", NS,
                                "image", "salvo/model-server:test",
                                "run-id", "kne2e",
                                "endpoint-url", knative.ingressUrl(),
                                "target-concurrency", "1",
                                "scale-to-zero-retention", "0s",
                                "node-type", "e2-standard-4",
                                "poll-ms", "250"))) {
            // deploy: the Service; Knative starts its initial pod and reports the route once it is ready
            URI endpoint = driver.deploy(new DeploymentSpec("tiny-bert-shape", 1, 512, 0, 2, 1, Map.of()));
            assertThat(endpoint.toString()).isEqualTo(knative.ingressUrl());
            driver.awaitReady(Duration.ofSeconds(120));
            assertThat(knative.runningProcesses()).isEqualTo(1);
            assertThat(driver.canForceCold()).isTrue();

            // verified zero: nothing sends requests, Knative scales to zero by itself; no pod, no process left
            driver.forceCold();
            assertThat(client.pods().inNamespace(NS).list().getItems()).isEmpty();
            assertThat(knative.runningProcesses()).isZero();
            assertThat(knative.scaledToZero()).isEqualTo(1);

            // load through the ingress, with the route's Host (the driver's request header for an ingress address)
            Path bodies = dir.resolve("bodies.jsonl");
            Files.writeString(
                    bodies, "{\"inputs\": [\"hello world\"]}\n{\"inputs\": [\"a cold start, broken down\"]}\n");
            RunPlan parsed =
                    new PlanParser().parse("(e2e plan)", new StringReader("""
                            name: knative-e2e
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
            RunPlan plan;
            try (PlatformHeaders platformHeaders = PlatformHeaders.prepare(parsed, driver)) {
                plan = platformHeaders.plan();
            }
            assertThat(plan.getRequest().getHeaderSets().getSharedList()).anySatisfy(h -> {
                assertThat(h.getName()).isEqualTo("Host");
                assertThat(h.getValue()).isEqualTo("salvo-model-kne2e." + NS + ".example.com");
            });
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
                // the activator holds the first requests; the autoscaler sees them queue and starts two pods
                Await.until("two pods served", Duration.ofSeconds(180), () -> knative.podsThatServed() >= 2);
                Await.until(
                        "the live view shows two ready pods",
                        Duration.ofSeconds(60),
                        () -> captured.toString(StandardCharsets.UTF_8).contains("platform: ready 2, starting 0"));
                execution.stopQuietly("the test saw both pods serve");
                assertThat(run.get(180, TimeUnit.SECONDS)).isZero();
            } finally {
                System.out.println(captured.toString(StandardCharsets.UTF_8));
            }
            String output = captured.toString(StandardCharsets.UTF_8);
            assertThat(knative.misrouted())
                    .as("requests without the route's Host")
                    .isZero();
            assertThat(knative.maxPods()).as("max-scale").isEqualTo(2);
            assertThat(output).contains("Cold starts: 2").contains("model load + readiness");

            // the breakdown beside the report equals what the cluster (this test) did
            JsonNode report = JSON.readTree(execution.platformReport().toFile());
            JsonNode coldStarts = report.get("cold_starts");
            assertThat(coldStarts).hasSize(2);
            Set<String> pods = new HashSet<>();
            for (JsonNode c : coldStarts) {
                String pod = c.get("instance").asText();
                pods.add(pod);
                assertThat(pod).startsWith("salvo-model-kne2e-00001-deployment-");
                PlayedKubelet.PodRecord truth = knative.record(pod);
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
            assertThat(pods)
                    .as("two distinct pods, neither the one from before the forced cold start")
                    .hasSize(2)
                    .doesNotContain(knative.firstPod());
            List<Integer> ready = new ArrayList<>();
            report.get("instance_counts").forEach(s -> ready.add(s.get("ready").asInt()));
            assertThat(ready).contains(0, 2);
            assertThat(report.get("usage").get(0).get("dimension").asText())
                    .isEqualTo("kubernetes:node-hours:e2-standard-4");
            assertThat(report.get("usage").get(0).get("amount").asDouble()).isPositive();
            JsonNode runReport = JSON.readTree(dir.resolve("results")
                    .resolve(report.get("run_id").asText() + ".json")
                    .toFile());
            assertThat(runReport.get("totals").get("successes").asLong()).isPositive();

            // teardown: the Knative Service is gone, and with it its pods and their processes
            driver.teardown();
            assertThat(client.genericKubernetesResources(KSVC)
                            .inNamespace(NS)
                            .list()
                            .getItems())
                    .isEmpty();
            Await.until("the pods' processes end", Duration.ofSeconds(30), () -> knative.runningProcesses() == 0);
            assertThat(client.pods().inNamespace(NS).list().getItems()).isEmpty();
        }
    }

    /**
     * Knative Serving, played: the Service controller, the autoscaler, and the ingress with the activator. One
     * revision per Service ({@code <service>-00001}); pods carry Knative's labels.
     */
    static final class FakeKnative implements AutoCloseable {

        /** Idle this long (no request in flight or arriving), a revision scales to zero (Knative's stable window). */
        private static final Duration IDLE_TO_ZERO = Duration.ofSeconds(3);

        private static final String SERVICE_LABEL = "serving.knative.dev/service";

        private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();
        private final PlayedKubelet kubelet;
        private final HttpServer ingress;
        private final AtomicInteger podCounter = new AtomicInteger();
        private final AtomicInteger inFlight = new AtomicInteger();
        private final AtomicLong lastActivityNanos = new AtomicLong(System.nanoTime());
        private final AtomicLong roundRobin = new AtomicLong();
        private final AtomicLong misrouted = new AtomicLong();
        private final AtomicInteger scaledToZero = new AtomicInteger();
        private final AtomicInteger maxPods = new AtomicInteger();
        private final Set<String> initialScaleDone = new HashSet<>();
        private volatile String firstPod;

        FakeKnative(Path dir) throws IOException {
            kubelet = new PlayedKubelet(client, NS, dir, "node-1");
            ingress = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
            ingress.setExecutor(Executors.newCachedThreadPool());
            ingress.createContext("/", this::route);
            ingress.start();
            var unused = loop.scheduleWithFixedDelay(this::reconcile, 0, 100, TimeUnit.MILLISECONDS);
        }

        String ingressUrl() {
            return "http://127.0.0.1:" + ingress.getAddress().getPort();
        }

        long podsThatServed() {
            return kubelet.podsThatServed();
        }

        int runningProcesses() {
            return kubelet.runningProcesses();
        }

        long misrouted() {
            return misrouted.get();
        }

        int scaledToZero() {
            return scaledToZero.get();
        }

        int maxPods() {
            return maxPods.get();
        }

        String firstPod() {
            return firstPod;
        }

        PlayedKubelet.PodRecord record(String pod) {
            return kubelet.record(pod);
        }

        private static String host(String service) {
            return service + "." + NS + ".example.com";
        }

        /**
         * The ingress routes by Host to a Service's revision; the activator holds a request while the revision has
         * no ready pod (the autoscaler sees it in flight and scales up), then hands it to a ready pod, round-robin.
         */
        private void route(HttpExchange exchange) throws IOException {
            try (exchange) {
                String hostHeader = exchange.getRequestHeaders().getFirst("Host");
                String host = hostHeader == null ? "" : hostHeader.replaceFirst(":\\d+$", "");
                String service = services().stream()
                        .map(s -> s.getMetadata().getName())
                        .filter(name -> host(name).equals(host))
                        .findFirst()
                        .orElse(null);
                if (service == null) {
                    misrouted.incrementAndGet();
                    exchange.sendResponseHeaders(404, -1);
                    return;
                }
                inFlight.incrementAndGet();
                lastActivityNanos.set(System.nanoTime());
                try {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    List<String> ready = readyPodsOf(service);
                    while (ready.isEmpty() && System.nanoTime() < deadline) {
                        Thread.sleep(20);
                        ready = readyPodsOf(service);
                    }
                    if (ready.isEmpty()) {
                        exchange.sendResponseHeaders(503, -1);
                        return;
                    }
                    kubelet.proxy(exchange, ready.get((int) (roundRobin.getAndIncrement() % ready.size())));
                } finally {
                    inFlight.decrementAndGet();
                    lastActivityNanos.set(System.nanoTime());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private List<String> readyPodsOf(String service) {
            return kubelet.readyPorts().keySet().stream()
                    .filter(p -> p.startsWith(service + "-"))
                    .sorted()
                    .toList();
        }

        private List<GenericKubernetesResource> services() {
            return client.genericKubernetesResources(KSVC)
                    .inNamespace(NS)
                    .list()
                    .getItems();
        }

        @SuppressWarnings("unchecked") // the generic resource's maps, as Jackson read them
        private static Map<String, Object> map(Object o) {
            return (Map<String, Object>) o;
        }

        private void reconcile() {
            try {
                List<GenericKubernetesResource> services = services();
                Set<String> names = new HashSet<>();
                for (GenericKubernetesResource ksvc : services) {
                    String name = ksvc.getMetadata().getName();
                    names.add(name);
                    reconcile(ksvc, name);
                }
                // pods whose Service is gone: the revision's Deployment went with it
                for (Pod p : client.pods().inNamespace(NS).list().getItems()) {
                    if (!names.contains(p.getMetadata().getLabels().get(SERVICE_LABEL))) {
                        kubelet.stop(p.getMetadata().getName());
                    }
                }
                kubelet.reapEnded();
            } catch (Exception e) {
                System.err.println("fake knative: " + e);
            }
        }

        private void reconcile(GenericKubernetesResource ksvc, String name) throws Exception {
            Map<String, Object> template =
                    map(map(ksvc.getAdditionalProperties().get("spec")).get("template"));
            Map<String, Object> metadata = map(template.get("metadata"));
            Map<String, String> annotations = new LinkedHashMap<>();
            map(metadata.get("annotations")).forEach((k, v) -> annotations.put(k, String.valueOf(v)));
            int minScale = Integer.parseInt(annotations.getOrDefault("autoscaling.knative.dev/min-scale", "0"));
            int maxScale = Integer.parseInt(annotations.getOrDefault("autoscaling.knative.dev/max-scale", "1000"));
            int initialScale = Integer.parseInt(annotations.getOrDefault("autoscaling.knative.dev/initial-scale", "1"));
            int target = Integer.parseInt(annotations.getOrDefault("autoscaling.knative.dev/target", "100"));
            String revision = name + "-00001";

            List<Pod> pods = client.pods().inNamespace(NS).withLabel(SERVICE_LABEL, name).list().getItems().stream()
                    .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
                    .toList();
            boolean ready = isReady(ksvc);
            int want;
            if (!initialScaleDone.contains(name)) {
                // a new revision starts at its initial scale and must become ready at it
                want = initialScale;
                if (!readyPodsOf(name).isEmpty()) {
                    initialScaleDone.add(name);
                }
            } else if (inFlight.get() > 0) {
                // requests in flight (held by the activator or being served): concurrency ÷ target, never down
                want = Math.max(pods.size(), (inFlight.get() + target - 1) / target);
            } else if (System.nanoTime() - lastActivityNanos.get() > IDLE_TO_ZERO.toNanos()) {
                want = minScale;
            } else {
                want = pods.size();
            }
            want = Math.min(Math.max(want, minScale), maxScale);
            for (int i = pods.size(); i < want; i++) {
                String pod = revision + "-deployment-" + Integer.toHexString(0x1000 + podCounter.incrementAndGet());
                Map<String, String> labels = new LinkedHashMap<>(map(metadata.get("labels")).entrySet().stream()
                        .collect(java.util.stream.Collectors.toMap(
                                Map.Entry::getKey, e -> String.valueOf(e.getValue()))));
                labels.put(SERVICE_LABEL, name);
                labels.put("serving.knative.dev/configuration", name);
                labels.put("serving.knative.dev/revision", revision);
                PodSpec spec = client.getKubernetesSerialization().convertValue(template.get("spec"), PodSpec.class);
                kubelet.createAndStart(pod, labels, spec, false);
                if (firstPod == null) {
                    firstPod = pod;
                }
            }
            for (int i = want; i < pods.size(); i++) {
                kubelet.stop(
                        pods.get(pods.size() - 1 - (i - want)).getMetadata().getName());
            }
            if (want == 0 && !pods.isEmpty()) {
                scaledToZero.incrementAndGet();
            }
            maxPods.accumulateAndGet(want, Math::max);
            if (!(ksvc.getAdditionalProperties().get("status") instanceof Map<?, ?>)) {
                // the Route is reconciled at once: its URL is known before the revision is ready
                status(ksvc, name, "Unknown");
            } else if (!ready && !readyPodsOf(name).isEmpty()) {
                status(ksvc, name, "True");
                lastActivityNanos.set(System.nanoTime());
            }
        }

        /** The Service's status: its route URL, and Ready as {@code ready} says (the revision's readiness). */
        private void status(GenericKubernetesResource ksvc, String name, String ready) {
            ksvc.getAdditionalProperties()
                    .put(
                            "status",
                            Map.of(
                                    "url",
                                    "http://" + host(name),
                                    "latestCreatedRevisionName",
                                    name + "-00001",
                                    "conditions",
                                    List.of(
                                            Map.of("type", "ConfigurationsReady", "status", ready),
                                            Map.of("type", "Ready", "status", ready),
                                            Map.of("type", "RoutesReady", "status", ready))));
            client.genericKubernetesResources(KSVC)
                    .inNamespace(NS)
                    .resource(ksvc)
                    .update();
        }

        private static boolean isReady(GenericKubernetesResource ksvc) {
            return ksvc.getAdditionalProperties().get("status") instanceof Map<?, ?> status
                    && status.get("conditions") instanceof List<?> conditions
                    && conditions.stream()
                            .anyMatch(c -> c instanceof Map<?, ?> m
                                    && "Ready".equals(m.get("type"))
                                    && "True".equals(m.get("status")));
        }

        @Override
        public void close() {
            loop.shutdownNow();
            ingress.stop(0);
            kubelet.close();
        }
    }
}
