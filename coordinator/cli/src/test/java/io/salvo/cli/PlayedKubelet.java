package io.salvo.cli;

import com.sun.net.httpserver.HttpExchange;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.salvo.platform.local.InstanceLauncher;
import io.salvo.platform.local.JavaMainLauncher;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The scheduler and the kubelet of a one-node cluster in fabric8's CRUD mock, shared by the platform end-to-end
 * tests: a pod created here is scheduled, its image "pulled", a real model-server process started for it (its
 * environment from the pod spec, {@code SALVO_INSTANCE_NAME} from the downward API), and it is marked ready when the
 * server answers the readiness probe; each instant is recorded so a test can check the driver's breakdown against it.
 * Pods get a loopback port each (pods have their own network; processes here share one). Stopping a pod stops its
 * process first (SIGTERM, then SIGKILL), then deletes it, so "no pod" also means "no process".
 */
final class PlayedKubelet implements AutoCloseable {

    /** What happened to a pod, as this kubelet did it. */
    record PodRecord(Instant scheduled, Instant pulled, Instant started, Instant ready) {}

    static final Path MODEL_SERVER_JAR = Path.of("..", "..", "model-server", "target", "salvo-model-server.jar");

    private final KubernetesClient client;
    private final String namespace;
    private final Path dir;
    private final String node;
    private final JavaMainLauncher launcher = JavaMainLauncher.forJar(MODEL_SERVER_JAR, List.of("-Xmx256m"));
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Map<String, Process> processes = new ConcurrentHashMap<>();
    private final Map<String, Integer> readyPorts = new ConcurrentHashMap<>();
    private final Map<String, Instant> scheduled = new ConcurrentHashMap<>();
    private final Map<String, Instant> pulled = new ConcurrentHashMap<>();
    private final Map<String, Instant> started = new ConcurrentHashMap<>();
    private final Map<String, Instant> readyAt = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> servedBy = new ConcurrentHashMap<>();
    private final AtomicInteger eventCounter = new AtomicInteger();

    PlayedKubelet(KubernetesClient client, String namespace, Path dir, String node) {
        this.client = client;
        this.namespace = namespace;
        this.dir = dir;
        this.node = node;
    }

    /** Ready pods by name, with their loopback port. */
    Map<String, Integer> readyPorts() {
        return Map.copyOf(readyPorts);
    }

    int readyPods() {
        return readyPorts.size();
    }

    long podsThatServed() {
        return servedBy.values().stream().filter(c -> c.get() > 0).count();
    }

    int runningProcesses() {
        return (int) processes.values().stream().filter(Process::isAlive).count();
    }

    boolean running(String pod) {
        Process p = processes.get(pod);
        return p != null && p.isAlive();
    }

    PodRecord record(String pod) {
        return new PodRecord(scheduled.get(pod), pulled.get(pod), started.get(pod), readyAt.get(pod));
    }

    /**
     * A controller's new pod, taken through scheduling (after a FailedScheduling first when {@code nodeWasFull}), the
     * image pull and the container start; it turns ready later, when its server answers the probe.
     */
    void createAndStart(String name, Map<String, String> labels, PodSpec spec, boolean nodeWasFull) throws IOException {
        Pod pod = new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(labels)
                .endMetadata()
                .withSpec(spec)
                .withNewStatus()
                .withPhase("Pending")
                .endStatus()
                .build();
        client.pods().inNamespace(namespace).resource(pod).create();
        if (nodeWasFull) {
            // the scheduler's first try fails; then a neighbour leaves and there is room
            event(name, "Warning", "FailedScheduling", "0/1 nodes are available: 1 Insufficient cpu.");
        }
        Instant scheduledAt = Instant.now();
        scheduled.put(name, scheduledAt);
        pod = client.pods().inNamespace(namespace).withName(name).get();
        pod.getSpec().setNodeName(node);
        pod.getStatus()
                .getConditions()
                .add(new PodConditionBuilder()
                        .withType("PodScheduled")
                        .withStatus("True")
                        .withLastTransitionTime(scheduledAt.toString())
                        .build());
        client.pods().inNamespace(namespace).resource(pod).update();
        event(name, "Normal", "Scheduled", "Successfully assigned " + namespace + "/" + name + " to " + node);
        pulled.put(name, event(name, "Normal", "Pulled", "Container image already present on machine"));

        Map<String, String> env = new HashMap<>();
        for (EnvVar v : pod.getSpec().getContainers().get(0).getEnv()) {
            if (v.getValue() != null) {
                env.put(v.getName(), v.getValue());
            } else if ("metadata.name".equals(v.getValueFrom().getFieldRef().getFieldPath())) {
                env.put(v.getName(), name); // the downward API
            }
        }
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Map<String, String> extra = new HashMap<>(env);
        extra.remove("PORT");
        extra.remove("SALVO_MODEL");
        extra.remove("SALVO_BIND");
        Process process = launcher.start(
                new InstanceLauncher.Launch(name, port, env.get("SALVO_MODEL"), dir.resolve("models"), 1, 512, extra),
                dir.resolve(name + ".log"));
        processes.put(name, process);
        Instant startedAt = Instant.now();
        started.put(name, startedAt);
        Pod running = client.pods().inNamespace(namespace).withName(name).get();
        running.getStatus().setPhase("Running");
        running.getStatus()
                .getContainerStatuses()
                .add(new ContainerStatusBuilder()
                        .withName(spec.getContainers().get(0).getName())
                        .withReady(false)
                        .withNewState()
                        .withNewRunning()
                        .withStartedAt(startedAt.toString())
                        .endRunning()
                        .endState()
                        .build());
        client.pods().inNamespace(namespace).resource(running).update();
        event(
                name,
                "Normal",
                "Started",
                "Started container " + spec.getContainers().get(0).getName());
        Thread reader = new Thread(() -> probeWhenReady(name, port, process), "kubelet-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    /** The readiness probe, after the server says it is ready on its standard output. */
    private void probeWhenReady(String name, int port, Process process) {
        try (BufferedReader lines =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.startsWith("SALVO_READY")) {
                    HttpResponse<Void> probe = http.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v2/health/ready"))
                                    .timeout(Duration.ofSeconds(10))
                                    .build(),
                            HttpResponse.BodyHandlers.discarding());
                    if (probe.statusCode() == 200 && process.isAlive()) {
                        Instant at = Instant.now();
                        Pod pod = client.pods()
                                .inNamespace(namespace)
                                .withName(name)
                                .get();
                        if (pod == null) {
                            return;
                        }
                        pod.getStatus().getContainerStatuses().get(0).setReady(true);
                        pod.getStatus()
                                .getConditions()
                                .add(new PodConditionBuilder()
                                        .withType("Ready")
                                        .withStatus("True")
                                        .withLastTransitionTime(at.toString())
                                        .build());
                        client.pods().inNamespace(namespace).resource(pod).update();
                        readyAt.put(name, at);
                        readyPorts.put(name, port);
                    }
                }
            }
        } catch (IOException e) {
            // the process ended
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** An event on a pod, stamped now with a microsecond {@code eventTime}; returns the instant. */
    Instant event(String pod, String type, String reason, String message) {
        Instant at = Instant.now();
        client.v1()
                .events()
                .inNamespace(namespace)
                .resource(new EventBuilder()
                        .withNewMetadata()
                        .withName(pod + "." + eventCounter.incrementAndGet())
                        .endMetadata()
                        .withNewInvolvedObject()
                        .withKind("Pod")
                        .withName(pod)
                        .withNamespace(namespace)
                        .endInvolvedObject()
                        .withType(type)
                        .withReason(reason)
                        .withMessage(message)
                        .withEventTime(new MicroTime(at.toString()))
                        .build())
                .create();
        return at;
    }

    /** As a kubelet: the container stops (SIGTERM, then SIGKILL after a grace period), then the pod is gone. */
    void stop(String pod) throws InterruptedException {
        readyPorts.remove(pod);
        Process p = processes.get(pod);
        if (p != null) {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
        client.pods().inNamespace(namespace).withName(pod).delete();
    }

    /** Forgets the ready ports of processes that ended by themselves. */
    void reapEnded() {
        for (Map.Entry<String, Process> e : processes.entrySet()) {
            if (!e.getValue().isAlive()) {
                readyPorts.remove(e.getKey());
            }
        }
    }

    /**
     * The request of {@code exchange}, proxied to {@code pod}'s server; the {@code Salvo-*} headers and the body come
     * back as the pod sent them. Returns the pod's status code.
     */
    int proxy(HttpExchange exchange, String pod) throws IOException, InterruptedException {
        Integer port = readyPorts.get(pod);
        if (port == null) {
            exchange.sendResponseHeaders(503, -1);
            return 503;
        }
        byte[] body = exchange.getRequestBody().readAllBytes();
        HttpResponse<byte[]> response = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + exchange.getRequestURI()))
                        .timeout(Duration.ofSeconds(60))
                        .header("Content-Type", "application/json")
                        .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        response.headers().map().forEach((name, values) -> {
            if (name.toLowerCase(Locale.ROOT).startsWith("salvo-") || name.equalsIgnoreCase("content-type")) {
                exchange.getResponseHeaders().put(name, values);
            }
        });
        if (response.statusCode() / 100 == 2) {
            servedBy.computeIfAbsent(pod, p -> new AtomicLong()).incrementAndGet();
        }
        exchange.sendResponseHeaders(response.statusCode(), response.body().length == 0 ? -1 : response.body().length);
        exchange.getResponseBody().write(response.body());
        return response.statusCode();
    }

    @Override
    public void close() {
        processes.values().forEach(Process::destroyForcibly);
    }
}
