package io.salvo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `salvo deploy workers` and `salvo undeploy workers` as a user runs them: a kubeconfig whose contexts point at
 * fabric8's mock API server (CRUD mode) and at a port nobody listens on. Bad input and unreachable APIs are one
 * message and a non-zero exit, never a stack trace.
 */
@EnableKubernetesMockClient(crud = true)
class DeployCommandTest {

    static KubernetesMockServer server;
    static KubernetesClient client;

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream originalOut;
    private PrintStream originalErr;
    private String originalKubeconfig;

    @BeforeEach
    void setUp() throws IOException {
        server.reset();
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        Path kubeconfig = dir.resolve("kubeconfig");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                current-context: mock
                clusters:
                  - name: mock
                    cluster: {server: "%s", insecure-skip-tls-verify: true}
                  - name: gone
                    cluster: {server: "http://127.0.0.1:%d"}
                users:
                  - name: tester
                    user: {token: "test-only-token"}
                contexts:
                  - name: mock
                    context: {cluster: mock, user: tester}
                  - name: gone
                    context: {cluster: gone, user: tester}
                """.formatted(client.getMasterUrl().toString(), closedPort));
        originalKubeconfig = System.getProperty("kubeconfig");
        System.setProperty("kubeconfig", kubeconfig.toString());
        originalOut = System.out;
        originalErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void tearDown() {
        System.setOut(originalOut);
        System.setErr(originalErr);
        if (originalKubeconfig == null) {
            System.clearProperty("kubeconfig");
        } else {
            System.setProperty("kubeconfig", originalKubeconfig);
        }
    }

    private void tokenSecret() {
        client.secrets()
                .inNamespace("salvo")
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("salvo-cluster-token")
                        .endMetadata()
                        .addToStringData("token", "not-a-real-token")
                        .build())
                .create();
    }

    private String errText() {
        return err.toString(StandardCharsets.UTF_8).strip();
    }

    private void assertOneCleanMessage() {
        String text = errText();
        assertThat(text.lines().count()).as("one message line: %s", text).isEqualTo(1);
        assertThat(text).startsWith("salvo: ").doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void deploysAndUndeploysThroughTheContext() {
        tokenSecret();
        int code = SalvoCli.execute(
                "deploy",
                "workers",
                "--replicas",
                "3",
                "--region",
                "us-east1",
                "--context",
                "mock",
                "--image",
                "ghcr.io/example/salvo:1.0");
        assertThat(code).as(errText()).isZero();
        List<Job> jobs = client.batch().v1().jobs().inNamespace("salvo").list().getItems();
        assertThat(jobs).singleElement().satisfies(job -> {
            assertThat(job.getSpec().getParallelism()).isEqualTo(3);
            assertThat(job.getSpec()
                            .getTemplate()
                            .getSpec()
                            .getContainers()
                            .get(0)
                            .getImage())
                    .isEqualTo("ghcr.io/example/salvo:1.0");
            assertThat(job.getMetadata().getLabels()).containsEntry("salvo.io/region", "us-east1");
        });
        String name = jobs.get(0).getMetadata().getName();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("Deployed Job " + name + " in namespace salvo: 3 workers in region us-east1");

        assertThat(SalvoCli.execute("undeploy", "workers", "--context", "mock", "--region", "europe-west1"))
                .isZero();
        assertThat(client.batch().v1().jobs().inNamespace("salvo").list().getItems())
                .hasSize(1);
        assertThat(SalvoCli.execute("undeploy", "workers", "--context", "mock")).isZero();
        assertThat(client.batch().v1().jobs().inNamespace("salvo").list().getItems())
                .isEmpty();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("Deleted " + name + " in namespace salvo");
    }

    @Test
    void zeroReplicasIsAUsageError() {
        assertThat(SalvoCli.execute(
                        "deploy", "workers", "--replicas", "0", "--region", "us-east1", "--context", "mock"))
                .isEqualTo(RunExecution.USER_ERROR);
        assertOneCleanMessage();
        assertThat(errText()).isEqualTo("salvo: --replicas must be at least 1, got 0");
        assertThat(client.batch().v1().jobs().inNamespace("salvo").list().getItems())
                .isEmpty();
    }

    @Test
    void unknownContextIsAUsageError() {
        assertThat(SalvoCli.execute(
                        "deploy", "workers", "--replicas", "2", "--region", "us-east1", "--context", "nope"))
                .isEqualTo(RunExecution.USER_ERROR);
        assertOneCleanMessage();
        assertThat(errText()).startsWith("salvo: no context 'nope' in the kubeconfig");
    }

    @Test
    void unreachableApiIsOneMessageAndExitOne() {
        long start = System.nanoTime();
        assertThat(SalvoCli.execute(
                        "deploy", "workers", "--replicas", "2", "--region", "us-east1", "--context", "gone"))
                .isEqualTo(RunExecution.FAILED);
        assertOneCleanMessage();
        assertThat(errText()).startsWith("salvo: cannot reach the Kubernetes API at http://127.0.0.1:");
        assertThat(SalvoCli.execute("undeploy", "workers", "--context", "gone")).isEqualTo(RunExecution.FAILED);
        // No minutes of retries: a refused connection is reported at once (bound generous for a loaded machine).
        assertThat(java.time.Duration.ofNanos(System.nanoTime() - start)).isLessThan(java.time.Duration.ofSeconds(30));
    }

    @Test
    void missingSecretIsNamedAndNothingIsCreated() {
        assertThat(SalvoCli.execute(
                        "deploy", "workers", "--replicas", "2", "--region", "us-east1", "--context", "mock"))
                .isEqualTo(RunExecution.FAILED);
        assertOneCleanMessage();
        assertThat(errText()).startsWith("salvo: no Secret 'salvo-cluster-token' in namespace 'salvo'");
        assertThat(client.batch().v1().jobs().inNamespace("salvo").list().getItems())
                .isEmpty();
    }

    @Test
    void waitTimesOutNamingThePods() {
        tokenSecret();
        // The mock runs no kubelet: no pod ever appears, and the wait must still end.
        assertThat(SalvoCli.execute(
                        "deploy",
                        "workers",
                        "--replicas",
                        "2",
                        "--region",
                        "us-east1",
                        "--context",
                        "mock",
                        "--wait",
                        "--wait-timeout",
                        "1"))
                .isEqualTo(RunExecution.FAILED);
        assertOneCleanMessage();
        assertThat(errText())
                .matches("salvo: 0 of 2 workers of Job 'salvo-workers-us-east1-[a-z0-9]{6}' running after 1 s "
                        + "\\(no pods created yet: check the Job's events\\)");
    }
}
