package io.salvo.deploy.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The worker Job against fabric8's mock API server in CRUD mode: what is created, what is removed, the bounded wait. */
@EnableKubernetesMockClient(crud = true)
class WorkerJobsMockTest {

    static KubernetesMockServer server;
    static KubernetesClient client;

    private static final String NS = "salvo";

    @BeforeEach
    void tokenSecret() {
        server.reset();
        client.secrets()
                .inNamespace(NS)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("salvo-cluster-token")
                        .endMetadata()
                        .addToStringData("token", "not-a-real-token")
                        .build())
                .create();
    }

    private static WorkerGroupSpec spec(String region, int replicas, String id) {
        return new WorkerGroupSpec(
                NS,
                region,
                replicas,
                "registry.example.invalid/salvo/salvo:0.1.0",
                "salvo-coordinator:7100",
                "salvo-cluster-token",
                "2",
                "1Gi",
                true,
                id);
    }

    @Test
    void deploysTheExactIndexedJob() {
        WorkerJobs.deploy(client, spec("us-east1", 3, "abc123"));

        Job job = client.batch()
                .v1()
                .jobs()
                .inNamespace(NS)
                .withName("salvo-workers-us-east1-abc123")
                .get();
        assertThat(job).as("the Job as the API server stored it").isNotNull();
        PodInvariants.workerJob(job, "us-east1");
        assertThat(job.getSpec().getCompletions()).isEqualTo(3);
        assertThat(job.getSpec().getParallelism()).isEqualTo(3);
        assertThat(job.getSpec().getBackoffLimitPerIndex()).isEqualTo(10);
        assertThat(job.getSpec().getTtlSecondsAfterFinished()).isEqualTo(3600);
        Map<String, String> labels = Map.of(
                "app.kubernetes.io/name", "salvo",
                "app.kubernetes.io/component", "worker",
                "app.kubernetes.io/managed-by", "salvo",
                "salvo.io/deployment-id", "abc123",
                "salvo.io/region", "us-east1");
        assertThat(job.getMetadata().getLabels()).isEqualTo(labels);
        assertThat(job.getSpec().getTemplate().getMetadata().getLabels()).isEqualTo(labels);
        var pod = job.getSpec().getTemplate().getSpec();
        assertThat(pod.getNodeSelector()).isEqualTo(Map.of("topology.kubernetes.io/region", "us-east1"));
        assertThat(pod.getAffinity()
                        .getPodAntiAffinity()
                        .getPreferredDuringSchedulingIgnoredDuringExecution()
                        .get(0)
                        .getPodAffinityTerm()
                        .getLabelSelector()
                        .getMatchLabels())
                .isEqualTo(Map.of(
                        "app.kubernetes.io/name", "salvo",
                        "app.kubernetes.io/component", "worker",
                        "salvo.io/deployment-id", "abc123"));
        var worker = pod.getContainers().get(0);
        assertThat(worker.getArgs())
                .containsExactly(
                        "worker",
                        "--coordinator=$(SALVO_COORDINATOR)",
                        "--token-file=/var/run/salvo/token/token",
                        "--region=$(SALVO_REGION)",
                        "--id=$(POD_NAME)");
        assertThat(PodInvariants.env(worker))
                .containsEntry("SALVO_COORDINATOR", "salvo-coordinator:7100")
                .containsEntry("SALVO_REGION", "us-east1");
        assertThat(worker.getEnv())
                .filteredOn(e -> e.getName().equals("POD_NAME"))
                .singleElement()
                .satisfies(e -> assertThat(e.getValueFrom().getFieldRef().getFieldPath())
                        .isEqualTo("metadata.name"));
        assertThat(worker.getResources().getRequests()).containsOnlyKeys("cpu", "memory");
        assertThat(worker.getResources().getLimits().get("memory").toString()).isEqualTo("1Gi");
        assertThat(worker.getResources().getLimits().get("cpu").toString()).isEqualTo("2");
    }

    @Test
    void withACaSecretWorkersTrustItsCaAndNothingElseOfIt() {
        client.secrets()
                .inNamespace(NS)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("salvo-coordinator-ca")
                        .endMetadata()
                        .addToStringData("ca.crt", "-----BEGIN CERTIFICATE-----")
                        .build())
                .create();
        WorkerGroupSpec tls = new WorkerGroupSpec(
                NS,
                "us-east1",
                2,
                "registry.example.invalid/salvo/salvo:0.1.0",
                "salvo-coordinator:7100",
                "salvo-cluster-token",
                "2",
                "1Gi",
                false,
                "tls123",
                "salvo-coordinator-ca",
                null);
        WorkerJobs.deploy(client, tls);

        Job job = client.batch()
                .v1()
                .jobs()
                .inNamespace(NS)
                .withName("salvo-workers-us-east1-tls123")
                .get();
        PodInvariants.workerJob(job, "us-east1");
        var pod = job.getSpec().getTemplate().getSpec();
        var worker = pod.getContainers().get(0);
        assertThat(worker.getArgs()).endsWith("--id=$(POD_NAME)", "--tls-ca=/var/run/salvo/tls-ca/ca.crt");
        var ca = PodInvariants.secretFileOf("worker", pod, worker, "--tls-ca=");
        assertThat(ca.getSecret().getSecretName()).isEqualTo("salvo-coordinator-ca");
        assertThat(ca.getSecret().getItems())
                .singleElement()
                .satisfies(item -> assertThat(item.getKey()).isEqualTo("ca.crt"));
    }

    @Test
    void aGroupDiallingAnotherNameChecksTheCoordinatorsNameGiven() {
        WorkerGroupSpec remote = new WorkerGroupSpec(
                NS,
                "europe-west1",
                3,
                "img",
                "203.0.113.7:7100",
                "salvo-cluster-token",
                "2",
                "1Gi",
                false,
                "rem123",
                "salvo-coordinator-ca",
                "salvo-coordinator.salvo.svc");
        assertThat(WorkerJobs.job(remote)
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0)
                        .getArgs())
                .endsWith("--tls-ca=/var/run/salvo/tls-ca/ca.crt", "--tls-server-name=salvo-coordinator.salvo.svc");
        assertThatThrownBy(() -> new WorkerGroupSpec(
                        NS, "eu", 1, "img", "c:7100", "t", "1", "512Mi", false, "zz9999", null, "salvo-coordinator"))
                .hasMessage("--tls-server-name applies to TLS: give the Secret holding the CA that signed the "
                        + "coordinators' certificate with --tls-ca-secret");
        assertThatThrownBy(() -> new WorkerGroupSpec(
                        NS, "eu", 1, "img", "c:7100", "t", "1", "512Mi", false, "zz9999", "ca", "not a name"))
                .hasMessage("--tls-server-name must be a DNS name, got 'not a name'");
    }

    @Test
    void refusesACaSecretWithoutTheCaAndCreatesNothing() {
        WorkerGroupSpec tls = new WorkerGroupSpec(
                NS, "eu", 1, "img", "c:7100", "salvo-cluster-token", "1", "512Mi", false, "zz9999", "no-such-ca", null);
        assertThatThrownBy(() -> WorkerJobs.deploy(client, tls))
                .isInstanceOf(DeployException.class)
                .hasMessage("no Secret 'no-such-ca' with a key 'ca.crt' in namespace 'salvo': create it first "
                        + "(kubectl -n salvo create secret generic no-such-ca --from-file=ca.crt=PATH), "
                        + "see docs/kubernetes.md");
        assertThat(client.batch().v1().jobs().inNamespace(NS).list().getItems()).isEmpty();
    }

    @Test
    void withoutPinningThereIsNoNodeSelector() {
        WorkerGroupSpec unpinned =
                new WorkerGroupSpec(NS, "eu", 1, "img", "c:7100", "salvo-cluster-token", "1", "512Mi", false, "zz9999");
        assertThat(WorkerJobs.job(unpinned).getSpec().getTemplate().getSpec().getNodeSelector())
                .isNullOrEmpty();
    }

    @Test
    void refusesWithoutTheTokenSecretAndCreatesNothing() {
        client.secrets().inNamespace(NS).withName("salvo-cluster-token").delete();
        assertThatThrownBy(() -> WorkerJobs.deploy(client, spec("us-east1", 2, "abc123")))
                .isInstanceOf(DeployException.class)
                .hasMessageContaining("no Secret 'salvo-cluster-token' in namespace 'salvo'")
                .hasMessageContaining("kubectl -n salvo create secret generic salvo-cluster-token");
        assertThat(client.batch().v1().jobs().inNamespace(NS).list().getItems()).isEmpty();
    }

    @Test
    void undeployRemovesOnlyWhatSalvoCreated() {
        WorkerJobs.deploy(client, spec("us-east1", 2, "aaa111"));
        WorkerJobs.deploy(client, spec("europe-west1", 2, "bbb222"));
        // Someone else's Job, a Kustomize-applied worker group (no managed-by label), and a labelled ConfigMap.
        client.batch()
                .v1()
                .jobs()
                .inNamespace(NS)
                .resource(new JobBuilder()
                        .withNewMetadata()
                        .withName("nightly-backup")
                        .withLabels(Map.of("app.kubernetes.io/managed-by", "helm"))
                        .endMetadata()
                        .withNewSpec()
                        .withNewTemplate()
                        .withNewSpec()
                        .addNewContainer()
                        .withName("b")
                        .withImage("busybox")
                        .endContainer()
                        .withRestartPolicy("Never")
                        .endSpec()
                        .endTemplate()
                        .endSpec()
                        .build())
                .create();
        Job kustomized = WorkerJobs.job(spec("us-east1", 3, "kkk333"));
        kustomized.getMetadata().setName("salvo-workers-us-east1");
        kustomized.getMetadata().getLabels().remove("app.kubernetes.io/managed-by");
        client.batch().v1().jobs().inNamespace(NS).resource(kustomized).create();
        client.configMaps()
                .inNamespace(NS)
                .resource(new ConfigMapBuilder()
                        .withNewMetadata()
                        .withName("salvo-notes")
                        .withLabels(Map.of("app.kubernetes.io/managed-by", "salvo"))
                        .endMetadata()
                        .build())
                .create();

        assertThat(WorkerJobs.undeploy(client, NS, "europe-west1"))
                .containsExactly("salvo-workers-europe-west1-bbb222");
        assertThat(jobNames())
                .containsExactlyInAnyOrder("salvo-workers-us-east1-aaa111", "nightly-backup", "salvo-workers-us-east1");

        assertThat(WorkerJobs.undeploy(client, NS, null)).containsExactly("salvo-workers-us-east1-aaa111");
        assertThat(jobNames()).containsExactlyInAnyOrder("nightly-backup", "salvo-workers-us-east1");
        assertThat(client.configMaps().inNamespace(NS).withName("salvo-notes").get())
                .isNotNull();
        assertThat(WorkerJobs.undeploy(client, NS, null)).isEmpty();
    }

    private static List<String> jobNames() {
        return client.batch().v1().jobs().inNamespace(NS).list().getItems().stream()
                .map(j -> j.getMetadata().getName())
                .toList();
    }

    private static Pod pod(String name, String id) {
        return new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(Map.of("app.kubernetes.io/managed-by", "salvo", "salvo.io/deployment-id", id))
                .endMetadata()
                .build();
    }

    private static void create(Pod pod) {
        client.pods().inNamespace(NS).resource(pod).create();
    }

    @Test
    void stuckPodsFailTheWaitNamingEachPodAndItsReason() {
        WorkerGroupSpec group = spec("us-east1", 5, "stk111");
        WorkerJobs.deploy(client, group);
        String job = group.jobName();
        Pod running = pod(job + "-0-aaaaa", "stk111");
        running.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder()
                .withPhase("Running")
                .addNewContainerStatus()
                .withName("worker")
                .withNewState()
                .withNewRunning()
                .endRunning()
                .endState()
                .endContainerStatus()
                .build());
        create(running);
        Pod pullBackOff = pod(job + "-1-bbbbb", "stk111");
        pullBackOff.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder()
                .withPhase("Pending")
                .addNewContainerStatus()
                .withName("worker")
                .withNewState()
                .withNewWaiting()
                .withReason("ImagePullBackOff")
                .withMessage("Back-off pulling image \"registry.example.invalid/salvo/salvo:0.1.0\"")
                .endWaiting()
                .endState()
                .endContainerStatus()
                .build());
        create(pullBackOff);
        Pod unschedulable = pod(job + "-2-ccccc", "stk111");
        unschedulable.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder()
                .withPhase("Pending")
                .addNewCondition()
                .withType("PodScheduled")
                .withStatus("False")
                .withReason("Unschedulable")
                .withMessage("0/3 nodes are available: 3 Insufficient cpu.")
                .endCondition()
                .build());
        create(unschedulable);
        Pod crashLoop = pod(job + "-3-ddddd", "stk111");
        crashLoop.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder()
                .withPhase("Running")
                .addNewContainerStatus()
                .withName("worker")
                .withNewState()
                .withNewWaiting()
                .withReason("CrashLoopBackOff")
                .endWaiting()
                .endState()
                .withNewLastState()
                .withNewTerminated()
                .withReason("OOMKilled")
                .withExitCode(137)
                .endTerminated()
                .endLastState()
                .endContainerStatus()
                .build());
        create(crashLoop);
        Pod oomKilled = pod(job + "-4-eeeee", "stk111");
        oomKilled.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder()
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
        create(oomKilled);
        // Another deployment's pod is not this wait's business.
        create(pod("salvo-workers-us-east1-other1-0-zzzzz", "other1"));

        WorkerPodsWait wait = new WorkerPodsWait(client, System::nanoTime, Duration.ofMillis(50));
        long start = System.nanoTime();
        assertThatThrownBy(() -> wait.awaitRunning(NS, job, "stk111", 5, Duration.ofSeconds(1)))
                .isInstanceOf(DeployException.class)
                .hasMessage("1 of 5 workers of Job '" + job + "' running after 1 s: "
                        + job + "-1-bbbbb ImagePullBackOff: Back-off pulling image "
                        + "\"registry.example.invalid/salvo/salvo:0.1.0\"; "
                        + job + "-2-ccccc Pending/Unschedulable: 0/3 nodes are available: 3 Insufficient cpu.; "
                        + job + "-3-ddddd CrashLoopBackOff, last OOMKilled; "
                        + job + "-4-eeeee OOMKilled (exit 137)");
        // Bounded: the timeout plus a few polls, with room for a loaded 2-core machine.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
    }

    @Test
    void waitReturnsOnceEveryWorkerRuns() throws InterruptedException {
        WorkerGroupSpec group = spec("us-east1", 2, "run111");
        WorkerJobs.deploy(client, group);
        for (int i = 0; i < 2; i++) {
            Pod pod = pod(group.jobName() + "-" + i + "-xxxxx", "run111");
            pod.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder()
                    .withPhase("Running")
                    .addNewContainerStatus()
                    .withName("worker")
                    .withNewState()
                    .withNewRunning()
                    .endRunning()
                    .endState()
                    .endContainerStatus()
                    .build());
            create(pod);
        }
        new WorkerPodsWait(client, System::nanoTime, Duration.ofMillis(50))
                .awaitRunning(NS, group.jobName(), "run111", 2, Duration.ofSeconds(10));
    }

    @Test
    void aFailedJobEndsTheWaitAtOnce() {
        WorkerGroupSpec group = spec("us-east1", 2, "fai111");
        Job job = WorkerJobs.deploy(client, group);
        job.setStatus(new io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder()
                .addNewCondition()
                .withType("Failed")
                .withStatus("True")
                .withReason("PodFailurePolicy")
                .endCondition()
                .build());
        client.batch().v1().jobs().inNamespace(NS).resource(job).updateStatus();
        Pod usageError = pod(group.jobName() + "-0-qqqqq", "fai111");
        usageError.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder()
                .withPhase("Failed")
                .addNewContainerStatus()
                .withName("worker")
                .withNewState()
                .withNewTerminated()
                .withReason("Error")
                .withExitCode(2)
                .endTerminated()
                .endState()
                .endContainerStatus()
                .build());
        create(usageError);

        long start = System.nanoTime();
        assertThatThrownBy(() -> new WorkerPodsWait(client, System::nanoTime, Duration.ofMillis(50))
                        .awaitRunning(NS, group.jobName(), "fai111", 2, Duration.ofSeconds(60)))
                .isInstanceOf(DeployException.class)
                .hasMessage("Job '" + group.jobName() + "' failed (PodFailurePolicy): " + group.jobName()
                        + "-0-qqqqq Error (exit 2)");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
    }

    @Test
    void refusesBadSpecsWithTheOptionName() {
        assertThatThrownBy(() -> spec("us-east1", 0, "abc123")).hasMessage("--replicas must be at least 1, got 0");
        assertThatThrownBy(() -> spec("US_East", 1, "abc123")).hasMessageStartingWith("--region must be a lower-case");
        assertThatThrownBy(() -> spec("a".repeat(40), 1, "abcdefghij")).hasMessageContaining("too long for a Job name");
    }
}
