package io.salvo.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyRule;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.salvo.cli.SalvoCli;
import io.salvo.core.security.ClusterToken;
import io.salvo.target.ControllableTarget;
import io.salvo.testkit.Await;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end with the test playing the Job controller and the kubelet: a coordinator process; `salvo deploy workers`
 * creates the Job in fabric8's mock API; the test sees it, makes one pod per index and starts a
 * real `salvo worker` process from the pod's own arguments and environment; `salvo run` (a CLI process) goes
 * coordinator → Job → workers → merged report. Mid-run index 1's process is SIGKILLed; the kubelet sees it exit 137
 * and fails the pod, the Job controller applies the Job's pod failure policy, a replacement pod for the same index
 * starts a new process, it joins, and the report shows the loss, the newcomer and the rate kept.
 */
@EnableKubernetesMockClient(crud = true)
class KubeletEndToEndTest {

    static KubernetesMockServer server;
    static KubernetesClient client;

    @TempDir
    Path dir;

    private static final String NS = "salvo";
    private static final int RATE = 300;
    /**
     * Long enough for the replacement to start its JVM, warm up (the pod's worker does its default warm-up) and join
     * with load left to share: that took 22 s to 34 s on 2 cores under load averages of 15 to 20, where 22 s of load
     * was too short in two of three runs.
     */
    private static final int SECONDS = 30;

    @Test
    void deployedWorkersRunAPlanAndAKilledPodIsReplacedAndRejoins() throws Exception {
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
        List<SalvoProcess> processes = new ArrayList<>();
        try (FakeKubelet kubelet = new FakeKubelet(dir.resolve("pods"))) {
            try {
                SalvoProcess coordinator = SalvoProcess.start(
                        dir,
                        "coordinator",
                        "coordinator",
                        "--port",
                        "0",
                        "--http-port",
                        "0",
                        "--token-file",
                        tokenFile.toString());
                processes.add(coordinator);
                String address = "127.0.0.1:"
                        + coordinator.awaitLine(Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)"), 60_000);

                // In this JVM, whose fabric8 classes are loaded already: a deploy process would add one more JVM start.
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
                Files.writeString(plan, Plans.yaml(target.port(), RATE, SECONDS + "s", 3, ""));
                SalvoProcess run = SalvoProcess.start(
                        dir,
                        "run",
                        "run",
                        plan.toString(),
                        "--coordinator",
                        address,
                        "--token-file",
                        tokenFile.toString(),
                        "--out",
                        dir.resolve("results").toString(),
                        // Three worker JVMs starting and warming up at once took nearly a minute under a load
                        // average of 15, the default wait.
                        "--worker-wait",
                        "150");
                processes.add(run);

                // About a second into the load, index 1's container is killed: no goodbye, no last report.
                Await.until("the run under way", Duration.ofSeconds(180), () -> target.requestsReceived() > RATE);
                String killed = kubelet.kill(1);
                Await.until(
                        "a replacement pod for index 1 runs",
                        Duration.ofSeconds(30),
                        () -> kubelet.runningPod(1) != null
                                && !kubelet.runningPod(1).equals(killed));
                String replacement = kubelet.runningPod(1);
                ContainerStatus ended = client.pods()
                        .inNamespace(NS)
                        .withName(killed)
                        .get()
                        .getStatus()
                        .getContainerStatuses()
                        .get(0);
                assertThat(ended.getState().getTerminated().getExitCode())
                        .as("SIGKILL")
                        .isEqualTo(137);

                assertThat(run.awaitExit(120)).as(run.output()).isZero();
                JsonNode report = WorkerLossTest.report(dir.resolve("results"));
                assertThat(report.get("run").get("state").asText()).isEqualTo("completed");
                List<String> ids = new ArrayList<>();
                for (JsonNode worker : report.get("workers")) {
                    ids.add(worker.get("id").asText());
                }
                assertThat(ids).contains(killed, replacement);
                assertThat(ids).allMatch(id -> id.startsWith("salvo-workers-us-east1-"));
                JsonNode reslices = report.get("run").get("reslices");
                assertThat(reslices).anySatisfy(r -> {
                    assertThat(r.get("cause").asText()).isEqualTo("lost");
                    assertThat(r.get("worker").asText()).isEqualTo(killed);
                });
                assertThat(reslices)
                        .as("the replacement joined the run")
                        .anySatisfy(r -> assertThat(r.get("workers_after"))
                                .extracting(JsonNode::asText)
                                .contains(replacement));
                double intended = (double) RATE * SECONDS;
                // The loss costs at most its uncovered share until the re-slice (tens of requests).
                assertThat(report.get("totals").get("successes").asDouble()).isGreaterThanOrEqualTo(0.95 * intended);
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
                        .isCloseTo(intended, Percentage.withPercentage(2));
                double sentAfter = 0;
                int intervalsAfter = 0;
                for (JsonNode interval : report.get("intervals")) {
                    double start = interval.get("start_offset_s").asDouble();
                    if (start >= Math.ceil(lostAt) && start + 1 <= SECONDS) {
                        sentAfter += interval.get("sent").asDouble();
                        intervalsAfter++;
                    }
                }
                assertThat(intervalsAfter).as("whole intervals after the loss").isPositive();
                assertThat(sentAfter / intervalsAfter)
                        .as("delivered rate after the re-slice, requests per 1 s interval")
                        .isCloseTo(RATE, Percentage.withPercentage(2));

                assertThat(SalvoCli.execute("undeploy", "workers", "--context", "mock"))
                        .isZero();
                assertThat(client.batch().v1().jobs().inNamespace(NS).list().getItems())
                        .isEmpty();
                Await.until(
                        "the kubelet stopped the Job's workers", Duration.ofSeconds(30), () -> kubelet.running() == 0);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + kubelet.story(processes), e);
            }
        } finally {
            processes.forEach(SalvoProcess::close);
            target.close();
            if (originalKubeconfig == null) {
                System.clearProperty("kubeconfig");
            } else {
                System.setProperty("kubeconfig", originalKubeconfig);
            }
        }
    }

    /**
     * The Job controller and the kubelet of one node: one pod per index of each Salvo Job, each a real `salvo`
     * process started from the pod's arguments with $(VAR) expanded from its environment, as the kubelet does; a
     * process that exits fails its pod, which is replaced or not as the Job's pod failure policy says.
     */
    static final class FakeKubelet implements AutoCloseable {
        private static final Pattern FIELD_IN_MAP = Pattern.compile("metadata\\.(annotations|labels)\\['(.+)'\\]");

        private final Path dir;
        private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();
        private final Map<String, SalvoProcess> containers = new ConcurrentHashMap<>();
        private final Map<Integer, String> runningByIndex = new ConcurrentHashMap<>();
        private final Map<String, Integer> failuresByIndex = new ConcurrentHashMap<>();
        private final Map<String, String> failedJobs = new ConcurrentHashMap<>();
        private final List<String> problems = new CopyOnWriteArrayList<>();
        private int podCounter;

        FakeKubelet(Path dir) {
            this.dir = dir;
            var unused = loop.scheduleWithFixedDelay(this::reconcile, 0, 100, TimeUnit.MILLISECONDS);
        }

        String runningPod(int index) {
            return runningByIndex.get(index);
        }

        long running() {
            return containers.values().stream().filter(c -> c.process.isAlive()).count();
        }

        /**
         * SIGKILL to the container of {@code index}'s pod, as a kill -9 or the OOM killer sends; the kubelet then
         * notices the exit as it would any other. Returns the pod's name.
         */
        String kill(int index) throws InterruptedException {
            String pod = runningByIndex.get(index);
            assertThat(pod).as("a pod runs for index %d", index).isNotNull();
            Process process = containers.get(pod).process;
            process.destroyForcibly();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            return pod;
        }

        /** The output of these processes, this kubelet's problems and every pod's log, for a failure's message. */
        String story(List<SalvoProcess> others) throws IOException {
            StringBuilder story = new StringBuilder();
            for (SalvoProcess p : others) {
                story.append("\n--- ").append(p.log.getFileName()).append(":\n").append(p.output());
            }
            story.append("\n--- kubelet problems: ")
                    .append(problems)
                    .append(", failed Jobs: ")
                    .append(failedJobs);
            for (Map.Entry<String, SalvoProcess> c : containers.entrySet()) {
                story.append("\n--- pod ")
                        .append(c.getKey())
                        .append(":\n")
                        .append(c.getValue().output());
            }
            return story.toString();
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
                    // The Job is gone and its pods with it: their containers are stopped (SIGTERM, then SIGKILL).
                    runningByIndex.clear();
                    containers.values().forEach(SalvoProcess::close);
                    return;
                }
                for (Job job : jobs) {
                    String jobName = job.getMetadata().getName();
                    for (int index = 0; index < job.getSpec().getParallelism(); index++) {
                        String pod = runningByIndex.get(index);
                        if (pod != null && !containers.get(pod).process.isAlive()) {
                            failed(job, index, pod, containers.get(pod).process.exitValue());
                        }
                        int failures = failuresByIndex.getOrDefault(jobName + "/" + index, 0);
                        if (!runningByIndex.containsKey(index)
                                && !failedJobs.containsKey(jobName)
                                && failures <= job.getSpec().getBackoffLimitPerIndex()) {
                            start(job, index);
                        }
                    }
                }
            } catch (Exception | AssertionError e) {
                // The next round tries again; a failure to start shows as a missing worker in the assertions, with
                // this error in their message (an error escaping here would end the loop without a word).
                problems.add(e.toString());
            }
        }

        /** The kubelet records the exit on the pod; the Job controller applies the pod failure policy to it. */
        private void failed(Job job, int index, String name, int exitCode) {
            runningByIndex.remove(index);
            Pod pod = client.pods().inNamespace(NS).withName(name).get();
            pod.setStatus(new PodStatusBuilder()
                    .withPhase("Failed")
                    .addNewContainerStatus()
                    .withName("worker")
                    .withNewState()
                    .withNewTerminated()
                    .withReason("Error")
                    .withExitCode(exitCode)
                    .withFinishedAt(Instant.now().toString())
                    .endTerminated()
                    .endState()
                    .endContainerStatus()
                    .build());
            client.pods().inNamespace(NS).resource(pod).updateStatus();
            String jobName = job.getMetadata().getName();
            switch (action(job, exitCode)) {
                case "FailJob" -> failedJobs.put(jobName, name + " exited " + exitCode);
                case "Ignore" -> {}
                default -> failuresByIndex.merge(jobName + "/" + index, 1, Integer::sum);
            }
        }

        private void start(Job job, int index) throws IOException {
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
                    .withNewStatus()
                    .withPhase("Pending")
                    .endStatus()
                    .build();
            client.pods().inNamespace(NS).resource(pod).create();

            Container container = pod.getSpec().getContainers().get(0);
            Map<String, String> mounts = mount(pod, container);
            Map<String, String> env = new LinkedHashMap<>();
            for (EnvVar var : container.getEnv()) {
                String value = var.getValue() != null
                        ? var.getValue()
                        : field(
                                pod.getMetadata(),
                                var.getValueFrom().getFieldRef().getFieldPath());
                env.put(var.getName(), onHost(value, mounts));
            }
            List<String> args = new ArrayList<>();
            for (String arg : container.getArgs()) {
                args.add(onHost(expand(arg, env), mounts));
            }
            assertThat(args.get(0)).isEqualTo("worker");
            // The image's entrypoint is `salvo`; its class path is this test's, as in the other process tests.
            containers.put(name, SalvoProcess.start(dir, name, env, List.of(), args.toArray(String[]::new)));
            runningByIndex.put(index, name);

            Pod started = client.pods().inNamespace(NS).withName(name).get();
            started.setStatus(new PodStatusBuilder()
                    .withPhase("Running")
                    .addNewContainerStatus()
                    .withName(container.getName())
                    .withNewState()
                    .withNewRunning()
                    .withStartedAt(Instant.now().toString())
                    .endRunning()
                    .endState()
                    .endContainerStatus()
                    .build());
            client.pods().inNamespace(NS).resource(started).updateStatus();
        }

        /**
         * The pod's volumes, made as directories of its own under this kubelet's: a Secret's keys as files, an
         * emptyDir empty. Returns each mount path in the container with its directory here.
         */
        private Map<String, String> mount(Pod pod, Container container) throws IOException {
            Map<String, Path> volumes = new LinkedHashMap<>();
            for (Volume volume : pod.getSpec().getVolumes()) {
                Path on = Files.createDirectories(
                        dir.resolve(pod.getMetadata().getName()).resolve(volume.getName()));
                volumes.put(volume.getName(), on);
                if (volume.getSecret() != null) {
                    Map<String, String> data = client.secrets()
                            .inNamespace(NS)
                            .withName(volume.getSecret().getSecretName())
                            .get()
                            .getData();
                    for (Map.Entry<String, String> key : data.entrySet()) {
                        Files.write(
                                on.resolve(key.getKey()), Base64.getDecoder().decode(key.getValue()));
                    }
                }
            }
            Map<String, String> mounts = new LinkedHashMap<>();
            for (VolumeMount m : container.getVolumeMounts()) {
                Path on = volumes.get(m.getName());
                assertThat(on).as("volume of mount %s", m.getMountPath()).isNotNull();
                mounts.put(m.getMountPath(), on.toString());
            }
            return mounts;
        }

        /**
         * A path under a mount, as an argument's value or a variable's, turned into the volume's directory here:
         * containers have their own file system, processes here share one.
         */
        private static String onHost(String value, Map<String, String> mounts) {
            // One path per value, alone or after an option's '=', rewritten once: the directories here are under
            // /tmp, which is itself a mount path.
            int at = value.startsWith("/") ? 0 : value.indexOf("=/") + 1;
            if (at == 0 && !value.startsWith("/")) {
                return value;
            }
            String path = value.substring(at);
            for (Map.Entry<String, String> m : mounts.entrySet()) {
                if (path.equals(m.getKey()) || path.startsWith(m.getKey() + "/")) {
                    return value.substring(0, at)
                            + m.getValue()
                            + path.substring(m.getKey().length());
                }
            }
            return value;
        }

        /** The downward API: a field of the pod's own metadata. */
        private static String field(ObjectMeta meta, String path) {
            if (path.equals("metadata.name")) {
                return meta.getName();
            }
            Matcher m = FIELD_IN_MAP.matcher(path);
            assertThat(m.matches())
                    .as("a downward API field this kubelet knows: %s", path)
                    .isTrue();
            Map<String, String> map = m.group(1).equals("annotations") ? meta.getAnnotations() : meta.getLabels();
            return map.getOrDefault(m.group(2), "");
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
            try {
                // A round under way could start one more container after the ones closed below.
                var unused = loop.awaitTermination(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            containers.values().forEach(SalvoProcess::close);
        }
    }
}
