package io.salvo.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyRule;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.salvo.cli.SalvoCli;
import io.salvo.coordinator.server.CoordinatorServer;
import io.salvo.core.security.ClusterToken;
import io.salvo.target.ControllableTarget;
import io.salvo.testkit.Await;
import io.salvo.worker.link.WorkerAgent;
import io.salvo.worker.link.WorkerOptions;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end with the test playing the Job controller and the kubelet: `salvo deploy workers` creates the Job in
 * fabric8's mock API; the test sees it, makes one pod per index and starts a real (in-JVM) worker from the pod's
 * own arguments and environment; `salvo run` goes coordinator → Job → workers → merged report. Mid-run one worker
 * "crashes" (exit 137, OOMKilled): the test applies the Job's pod failure policy as the Job controller would, a
 * replacement pod for the same index starts, joins, and the report shows the loss and the newcomer.
 */
@EnableKubernetesMockClient(crud = true)
class KubeletEndToEndTest {

    static KubernetesMockServer server;
    static KubernetesClient client;

    @TempDir
    Path dir;

    private static final String NS = "salvo";

    @Test
    void deployedWorkersRunAPlanAndACrashedPodIsReplacedAndRejoins() throws Exception {
        ClusterToken token = ClusterToken.generate();
        Path tokenFile = dir.resolve("token");
        token.writeTo(tokenFile);
        client.secrets()
                .inNamespace(NS)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("salvo-cluster-token")
                        .endMetadata()
                        .addToData(
                                "token",
                                Base64.getEncoder()
                                        .encodeToString(Files.readString(tokenFile)
                                                .strip()
                                                .getBytes(StandardCharsets.UTF_8)))
                        .build())
                .create();
        Path kubeconfig = dir.resolve("kubeconfig");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                current-context: mock
                clusters: [{name: mock, cluster: {server: "%s", insecure-skip-tls-verify: true}}]
                users: [{name: tester, user: {token: "test-only-token"}}]
                contexts: [{name: mock, context: {cluster: mock, user: tester}}]
                """.formatted(client.getMasterUrl().toString()));
        String originalKubeconfig = System.getProperty("kubeconfig");
        System.setProperty("kubeconfig", kubeconfig.toString());

        ControllableTarget target = ControllableTarget.start(0);
        target.setDelay(Duration.ofMillis(2));
        try (CoordinatorServer coordinator =
                        CoordinatorServer.start(new InetSocketAddress("127.0.0.1", 0), token, null);
                FakeKubelet kubelet = new FakeKubelet(dir)) {
            String address = "127.0.0.1:" + coordinator.port();
            assertThat(SalvoCli.execute(
                            "deploy",
                            "workers",
                            "--replicas",
                            "3",
                            "--region",
                            "us-east1",
                            "--context",
                            "mock",
                            "--coordinator",
                            address,
                            "--wait",
                            "--wait-timeout",
                            "60"))
                    .isZero();

            Path plan = dir.resolve("plan.yaml");
            Files.writeString(plan, Plans.yaml(target.port(), 300, "14s", 3, ""));
            CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> SalvoCli.execute(
                    "run",
                    plan.toString(),
                    "--coordinator",
                    address,
                    "--token-file",
                    tokenFile.toString(),
                    "--out",
                    dir.resolve("results").toString(),
                    "-q"));

            // About three seconds into the load, index 1's worker dies without a goodbye.
            Await.until("the run under way", Duration.ofSeconds(60), () -> target.requestsReceived() > 900);
            String crashed = kubelet.crash(1);
            Await.until(
                    "a replacement pod for index 1 runs",
                    Duration.ofSeconds(30),
                    () -> kubelet.runningPod(1) != null
                            && !kubelet.runningPod(1).equals(crashed));
            String replacement = kubelet.runningPod(1);

            assertThat(run.get(120, TimeUnit.SECONDS)).isZero();
            JsonNode report = WorkerLossTest.report(dir.resolve("results"));
            assertThat(report.get("run").get("state").asText()).isEqualTo("completed");
            List<String> ids = new ArrayList<>();
            for (JsonNode worker : report.get("workers")) {
                ids.add(worker.get("id").asText());
            }
            assertThat(ids).contains(crashed, replacement);
            assertThat(ids).allMatch(id -> id.startsWith("salvo-workers-us-east1-"));
            JsonNode reslices = report.get("run").get("reslices");
            assertThat(reslices).anySatisfy(r -> {
                assertThat(r.get("cause").asText()).isEqualTo("lost");
                assertThat(r.get("worker").asText()).isEqualTo(crashed);
            });
            assertThat(reslices)
                    .as("the replacement joined the run")
                    .anySatisfy(r -> assertThat(r.get("workers_after"))
                            .extracting(JsonNode::asText)
                            .contains(replacement));
            // 14 s at 300/s; the loss costs at most its uncovered share until the re-slice (tens of requests).
            assertThat(report.get("totals").get("successes").asDouble()).isGreaterThanOrEqualTo(0.95 * 4200);
            // The rate is kept through the loss: everything planned was sent but the lost worker's uncovered share,
            // and the whole intervals after the re-slice delivered the target rate within 2 %.
            double uncovered = 0;
            double lostAt = Double.NaN;
            for (JsonNode r : reslices) {
                if (r.get("cause").asText().equals("lost")) {
                    uncovered += r.get("uncovered_intended_requests").asDouble();
                    lostAt = Double.isNaN(lostAt) ? r.get("at_s").asDouble() : lostAt;
                }
            }
            assertThat(report.get("totals").get("sent").asDouble() + uncovered)
                    .isCloseTo(4200, org.assertj.core.data.Percentage.withPercentage(2));
            double sentAfter = 0;
            int intervalsAfter = 0;
            for (JsonNode interval : report.get("intervals")) {
                double start = interval.get("start_offset_s").asDouble();
                if (start >= Math.ceil(lostAt) && start + 1 <= 14) {
                    sentAfter += interval.get("sent").asDouble();
                    intervalsAfter++;
                }
            }
            assertThat(intervalsAfter).as("whole intervals after the loss").isPositive();
            assertThat(sentAfter / intervalsAfter)
                    .as("delivered rate after the re-slice, requests per 1 s interval")
                    .isCloseTo(300, org.assertj.core.data.Percentage.withPercentage(2));

            assertThat(SalvoCli.execute("undeploy", "workers", "--context", "mock"))
                    .isZero();
            assertThat(client.batch().v1().jobs().inNamespace(NS).list().getItems())
                    .isEmpty();
        } finally {
            target.close();
            if (originalKubeconfig == null) {
                System.clearProperty("kubeconfig");
            } else {
                System.setProperty("kubeconfig", originalKubeconfig);
            }
        }
    }

    /**
     * The Job controller and the kubelet of one node: one pod per index of each Salvo Job, each a real worker
     * started from the pod's arguments with $(VAR) expanded from its environment, as the kubelet does; a failed pod
     * is replaced or not as the Job's pod failure policy says.
     */
    static final class FakeKubelet implements AutoCloseable {
        private final Path dir;
        private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();
        private final Map<String, WorkerAgent> agents = new ConcurrentHashMap<>();
        private final Map<Integer, String> runningByIndex = new ConcurrentHashMap<>();
        private final Map<String, Integer> failuresByIndex = new ConcurrentHashMap<>();
        private int podCounter;

        FakeKubelet(Path dir) {
            this.dir = dir;
            var unused = loop.scheduleWithFixedDelay(this::reconcile, 0, 100, TimeUnit.MILLISECONDS);
        }

        String runningPod(int index) {
            return runningByIndex.get(index);
        }

        /** The worker of {@code index} dies as if OOM-killed; returns its pod's name. */
        String crash(int index) throws Exception {
            return loop.submit(() -> {
                        String pod = runningByIndex.remove(index);
                        agents.remove(pod).close();
                        Pod failed = client.pods().inNamespace(NS).withName(pod).get();
                        failed.setStatus(new PodStatusBuilder()
                                .withPhase("Failed")
                                .addNewContainerStatus()
                                .withName("worker")
                                .withNewState()
                                .withNewTerminated()
                                .withReason("OOMKilled")
                                .withExitCode(137)
                                .endTerminated()
                                .endState()
                                .endContainerStatus()
                                .build());
                        client.pods().inNamespace(NS).resource(failed).updateStatus();
                        Job job = client.batch()
                                .v1()
                                .jobs()
                                .inNamespace(NS)
                                .withName(failed.getMetadata().getLabels().get("batch.kubernetes.io/job-name"))
                                .get();
                        String action = action(job, 137);
                        assertThat(action)
                                .as("OOMKilled is counted and replaced")
                                .isEqualTo("Count");
                        failuresByIndex.merge(job.getMetadata().getName() + "/" + index, 1, Integer::sum);
                        return pod;
                    })
                    .get(30, TimeUnit.SECONDS);
        }

        /** What the Job's pod failure policy does with a container exit code (no rule matching means Count). */
        static String action(Job job, int exitCode) {
            for (PodFailurePolicyRule rule : job.getSpec().getPodFailurePolicy().getRules()) {
                if (rule.getOnExitCodes() != null
                        && "In".equals(rule.getOnExitCodes().getOperator())
                        && rule.getOnExitCodes().getValues().contains(exitCode)) {
                    return rule.getAction();
                }
            }
            return "Count";
        }

        private void reconcile() {
            try {
                List<Job> jobs = client.batch()
                        .v1()
                        .jobs()
                        .inNamespace(NS)
                        .withLabel("app.kubernetes.io/managed-by", "salvo")
                        .list()
                        .getItems();
                if (jobs.isEmpty()) {
                    runningByIndex.clear();
                    agents.values().forEach(WorkerAgent::close);
                    agents.clear();
                    return;
                }
                for (Job job : jobs) {
                    for (int index = 0; index < job.getSpec().getParallelism(); index++) {
                        int failures =
                                failuresByIndex.getOrDefault(job.getMetadata().getName() + "/" + index, 0);
                        if (!runningByIndex.containsKey(index)
                                && failures <= job.getSpec().getBackoffLimitPerIndex()) {
                            start(job, index);
                        }
                    }
                }
            } catch (Exception e) {
                // The next round tries again; a failure to start shows as a missing worker in the assertions.
                System.err.println("fake kubelet: " + e);
            }
        }

        private void start(Job job, int index) throws Exception {
            String name = job.getMetadata().getName() + "-" + index + "-p" + (podCounter++);
            Map<String, String> labels = new LinkedHashMap<>(
                    job.getSpec().getTemplate().getMetadata().getLabels());
            labels.put("batch.kubernetes.io/job-name", job.getMetadata().getName());
            labels.put("batch.kubernetes.io/job-completion-index", Integer.toString(index));
            Pod pod = new PodBuilder()
                    .withNewMetadata()
                    .withName(name)
                    .withLabels(labels)
                    .addToAnnotations("batch.kubernetes.io/job-completion-index", Integer.toString(index))
                    .endMetadata()
                    .withSpec(job.getSpec().getTemplate().getSpec())
                    .withStatus(new PodStatusBuilder()
                            .withPhase("Running")
                            .addNewContainerStatus()
                            .withName("worker")
                            .withNewState()
                            .withNewRunning()
                            .endRunning()
                            .endState()
                            .endContainerStatus()
                            .build())
                    .build();
            client.pods().inNamespace(NS).resource(pod).create();

            Container container = pod.getSpec().getContainers().get(0);
            Map<String, String> env = new HashMap<>();
            for (EnvVar var : container.getEnv()) {
                if (var.getValue() != null) {
                    env.put(var.getName(), var.getValue());
                } else if ("metadata.name"
                        .equals(var.getValueFrom().getFieldRef().getFieldPath())) {
                    env.put(var.getName(), name);
                }
            }
            // The Secret volume, mounted where the container expects it: here a file per pod.
            String secretName = pod.getSpec().getVolumes().stream()
                    .filter(v -> v.getSecret() != null)
                    .findFirst()
                    .orElseThrow()
                    .getSecret()
                    .getSecretName();
            String tokenText = new String(
                    Base64.getDecoder()
                            .decode(client.secrets()
                                    .inNamespace(NS)
                                    .withName(secretName)
                                    .get()
                                    .getData()
                                    .get("token")),
                    StandardCharsets.UTF_8);
            Map<String, String> options = new HashMap<>();
            assertThat(container.getArgs().get(0)).isEqualTo("worker");
            for (String arg : container.getArgs().subList(1, container.getArgs().size())) {
                Matcher m = Pattern.compile("--([a-z-]+)=(.*)").matcher(arg);
                assertThat(m.matches()).as(arg).isTrue();
                options.put(m.group(1), expand(m.group(2), env));
            }
            assertThat(options.get("token-file")).startsWith("/var/run/salvo/token/");
            Path mounted = dir.resolve(name + "-token");
            Files.writeString(mounted, tokenText);
            ClusterToken token = ClusterToken.read(mounted);
            String[] hostPort = options.get("coordinator").split(":");
            List<InetSocketAddress> coordinators =
                    List.of(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])));
            int lanes = WorkerOptions.defaults(coordinators).eventLoopLanes();
            agents.put(
                    name,
                    WorkerAgent.start(new WorkerOptions(
                            coordinators, options.get("id"), options.get("region"), 1, lanes, token, null, 0)));
            runningByIndex.put(index, name);
        }

        private static String expand(String value, Map<String, String> env) {
            Matcher m = Pattern.compile("\\$\\(([A-Z_]+)\\)").matcher(value);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                m.appendReplacement(out, Matcher.quoteReplacement(env.getOrDefault(m.group(1), m.group())));
            }
            m.appendTail(out);
            return out.toString();
        }

        @Override
        public void close() {
            loop.shutdownNow();
            agents.values().forEach(WorkerAgent::close);
        }
    }
}
