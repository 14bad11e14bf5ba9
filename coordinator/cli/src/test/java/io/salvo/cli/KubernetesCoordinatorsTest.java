package io.salvo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.salvo.coordinator.server.CoordinatorServer;
import io.salvo.core.security.ClusterToken;
import io.salvo.core.security.TlsFiles;
import io.salvo.deploy.kubernetes.CoordinatorForwards;
import io.salvo.it.TestPki;
import io.salvo.testkit.Await;
import io.salvo.worker.link.WorkerAgent;
import io.salvo.worker.link.WorkerOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code --kubernetes} on the client commands, against fabric8's mock API server (CRUD mode) holding the pods and the
 * token Secret of a deploy/kubernetes cluster, and a real coordinator standing in for the pods. The mock server cannot
 * relay a port-forward, so the test's forwarder hands out the real coordinator's address and records what it was
 * asked: one forward per ready coordinator pod, closed when the command ends.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesCoordinatorsTest {

    static KubernetesMockServer server;
    static KubernetesClient client;

    private static final String NS = "salvo";

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final List<String> opened = new CopyOnWriteArrayList<>();
    private final List<String> closed = new CopyOnWriteArrayList<>();
    private PrintStream originalOut;
    private PrintStream originalErr;
    private String originalKubeconfig;
    private CoordinatorServer coordinator;
    /** Where the test's forwards lead: the coordinator standing in for the pods. */
    private volatile InetSocketAddress forwardedTo;

    private final ClusterToken token = ClusterToken.generate();

    @BeforeEach
    void setUp() throws Exception {
        server.reset();
        Path kubeconfig = dir.resolve("kubeconfig");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                current-context: mock
                clusters:
                  - name: mock
                    cluster: {server: "%s", insecure-skip-tls-verify: true}
                users:
                  - name: tester
                    user: {token: "test-only-token"}
                contexts:
                  - name: mock
                    context: {cluster: mock, user: tester}
                """.formatted(client.getMasterUrl().toString()));
        originalKubeconfig = System.getProperty("kubeconfig");
        System.setProperty("kubeconfig", kubeconfig.toString());
        coordinator = CoordinatorServer.start(new InetSocketAddress("127.0.0.1", 0), token, null);
        forwardedTo = new InetSocketAddress("127.0.0.1", coordinator.port());
        KubernetesOptions.forwarder = (api, namespace, pod, port) -> {
            assertThat(namespace).isEqualTo(NS);
            assertThat(port).isEqualTo(7100);
            opened.add(pod);
            return new CoordinatorForwards.Forward() {
                @Override
                public InetSocketAddress local() {
                    return forwardedTo;
                }

                @Override
                public void close() {
                    closed.add(pod);
                }
            };
        };
        originalOut = System.out;
        originalErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void tearDown() {
        System.setOut(originalOut);
        System.setErr(originalErr);
        KubernetesOptions.forwarder = CoordinatorForwards.FABRIC8;
        if (originalKubeconfig == null) {
            System.clearProperty("kubeconfig");
        } else {
            System.setProperty("kubeconfig", originalKubeconfig);
        }
        coordinator.close();
    }

    private void tokenSecret(String value) {
        client.secrets()
                .inNamespace(NS)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("salvo-cluster-token")
                        .endMetadata()
                        .addToStringData("token", value)
                        .build())
                .create();
    }

    private static void pod(String name, String component, PodStatus status) {
        Pod pod = new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(Map.of("app.kubernetes.io/name", "salvo", "app.kubernetes.io/component", component))
                .endMetadata()
                .withStatus(status)
                .build();
        client.pods().inNamespace(NS).resource(pod).create();
    }

    private static PodStatus readyCoordinator() {
        return new PodStatusBuilder()
                .withPhase("Running")
                .addNewCondition()
                .withType("Ready")
                .withStatus("True")
                .endCondition()
                .build();
    }

    private static PodStatus startingCoordinator() {
        return new PodStatusBuilder()
                .withPhase("Running")
                .addNewCondition()
                .withType("Ready")
                .withStatus("False")
                .endCondition()
                .build();
    }

    private String errText() {
        return err.toString(StandardCharsets.UTF_8).strip();
    }

    @Test
    void workersThroughForwardsToTheReadyCoordinatorsWithTheTokenFromTheSecret() throws Exception {
        tokenSecret(token.reveal());
        pod("salvo-coordinator-b", "coordinator", readyCoordinator());
        pod("salvo-coordinator-a", "coordinator", readyCoordinator());
        pod("salvo-coordinator-c", "coordinator", startingCoordinator());
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", coordinator.port());
        int lanes = WorkerOptions.defaults(List.of(address)).eventLoopLanes();
        WorkerAgent worker = WorkerAgent.start(
                new WorkerOptions(List.of(address), "w-k8s", "us-east1", 1, lanes, token, null, null, 0));
        try {
            Await.until("the worker listed", Duration.ofSeconds(30), () -> {
                out.reset();
                return SalvoCli.execute("workers", "--kubernetes", "--context", "mock") == 0
                        && out.toString(StandardCharsets.UTF_8).contains("w-k8s");
            });
        } finally {
            worker.close();
        }
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("us-east1");
        // Ready pods only, in name order, each forward closed when the command ended.
        assertThat(opened.subList(0, 2)).containsExactly("salvo-coordinator-a", "salvo-coordinator-b");
        assertThat(opened).doesNotContain("salvo-coordinator-c");
        assertThat(closed).containsExactlyInAnyOrderElementsOf(opened);
        assertThat(errText()).doesNotContain(token.reveal());
    }

    @Test
    void aRunWhoseWorkerPodsCannotStartFailsWithinTheWorkerWaitNamingThePodsAndWhy() throws Exception {
        tokenSecret(token.reveal());
        pod("salvo-coordinator-a", "coordinator", readyCoordinator());
        pod(
                "salvo-workers-us-east1-x-0-aaaaa",
                "worker",
                new PodStatusBuilder()
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
        pod(
                "salvo-workers-us-east1-x-1-bbbbb",
                "worker",
                new PodStatusBuilder()
                        .withPhase("Pending")
                        .addNewCondition()
                        .withType("PodScheduled")
                        .withStatus("False")
                        .withReason("Unschedulable")
                        .withMessage("0/3 nodes are available: 3 Insufficient cpu.")
                        .endCondition()
                        .build());
        Path plan = dir.resolve("plan.yaml");
        Files.writeString(plan, """
                name: k8s
                target:
                  url: http://127.0.0.1:9/infer
                phases:
                  - duration: 5s
                    rate: 10
                workers: 2
                """);
        long started = System.nanoTime();
        int code = SalvoCli.execute(
                "run",
                plan.toString(),
                "--kubernetes",
                "--context",
                "mock",
                "--worker-wait",
                "2",
                "--plain",
                "--out",
                dir.resolve("results").toString());
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(code).as(errText()).isEqualTo(1);
        assertThat(took).as("bounded by --worker-wait plus start-up").isLessThan(Duration.ofSeconds(30));
        String text = errText();
        assertThat(text)
                .contains("2 of 2 worker pods in namespace 'salvo' not running")
                .contains("salvo-workers-us-east1-x-0-aaaaa ImagePullBackOff: Back-off pulling image")
                .contains("salvo-workers-us-east1-x-1-bbbbb Pending/Unschedulable: 0/3 nodes are available")
                .doesNotContain("Exception")
                .doesNotContain("\tat ");
        assertThat(closed).containsExactly("salvo-coordinator-a");
    }

    @Test
    void noReadyCoordinatorNoSecretOrBothWaysGivenAreOneMessageEach() {
        assertThat(SalvoCli.execute("workers", "--kubernetes", "--context", "mock"))
                .isEqualTo(1);
        assertThat(errText())
                .isEqualTo("salvo: no Secret 'salvo-cluster-token' with a key 'token' in namespace 'salvo': "
                        + "create it (docs/kubernetes.md, step 2) or give --token-file");

        err.reset();
        tokenSecret(token.reveal());
        pod("salvo-coordinator-a", "coordinator", startingCoordinator());
        assertThat(SalvoCli.execute("watch", "some-run", "--kubernetes", "--context", "mock"))
                .isEqualTo(1);
        assertThat(errText())
                .isEqualTo("salvo: no coordinator pod is ready in namespace 'salvo': salvo-coordinator-a Running");

        err.reset();
        assertThat(SalvoCli.execute("workers", "--kubernetes", "--coordinator", "127.0.0.1:7100"))
                .isEqualTo(2);
        assertThat(errText())
                .isEqualTo(
                        "salvo: give the coordinators with --coordinator HOST:PORT[,...] or --kubernetes, one of them");
        assertThat(opened).isEmpty();
    }

    @Test
    void tlsThroughTheForwardChecksTheServicesNameNotTheLoopbackAddress() throws Exception {
        TestPki.requireOpenssl();
        Path pkiDir = Files.createDirectories(dir.resolve("pki"));
        // What a coordinator certificate for deploy/kubernetes names: the Service, never 127.0.0.1.
        TestPki pki = TestPki.forServerNames(
                pkiDir,
                "salvo-coordinator",
                "salvo-coordinator.salvo.svc",
                "salvo-coordinator.salvo.svc.cluster.local");
        coordinator.close();
        coordinator = CoordinatorServer.start(
                new InetSocketAddress("127.0.0.1", 0),
                token,
                new TlsFiles(pki.file("server.pem"), pki.file("server.key"), null));
        forwardedTo = new InetSocketAddress("127.0.0.1", coordinator.port());
        tokenSecret(token.reveal());
        pod("salvo-coordinator-a", "coordinator", readyCoordinator());
        String ca = pki.file("ca.pem").toString();

        // --kubernetes checks the certificate against salvo-coordinator.salvo.svc by default.
        assertThat(SalvoCli.execute("workers", "--kubernetes", "--context", "mock", "--tls-ca", ca))
                .as(errText())
                .isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("No workers connected");
        err.reset();
        assertThat(SalvoCli.execute("watch", "no-such-run", "--kubernetes", "--context", "mock", "--tls-ca", ca))
                .as("the coordinator answered over TLS: %s", errText())
                .isEqualTo(2);
        assertThat(errText()).contains("knows no run 'no-such-run'");

        // A name the certificate does not carry: one message saying so and which option fixes it.
        err.reset();
        assertThat(SalvoCli.execute(
                        "workers",
                        "--kubernetes",
                        "--context",
                        "mock",
                        "--tls-ca",
                        ca,
                        "--tls-server-name",
                        "coordinator.example.com"))
                .isEqualTo(1);
        assertThat(errText())
                .contains("certificate does not carry the name checked")
                .contains("coordinator.example.com")
                .contains("--tls-server-name")
                .doesNotContain("Channel Pipeline")
                .doesNotContain("\tat ");
        assertThat(errText().lines()).as("one message").hasSize(1);

        // The same loopback address given by hand: the host dialled is checked unless the name is given.
        String loopback = "127.0.0.1:" + coordinator.port();
        err.reset();
        assertThat(SalvoCli.execute("workers", "--coordinator", loopback, "--token-file", tokenFile(), "--tls-ca", ca))
                .isEqualTo(1);
        assertThat(errText()).contains("does not carry the name checked").contains("127.0.0.1");
        out.reset();
        assertThat(SalvoCli.execute(
                        "workers",
                        "--coordinator",
                        loopback,
                        "--token-file",
                        tokenFile(),
                        "--tls-ca",
                        ca,
                        "--tls-server-name",
                        "salvo-coordinator.salvo.svc"))
                .as(errText())
                .isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("No workers connected");

        // A certificate from another CA: one message saying so and which option fixes it.
        TestPki other = TestPki.forServerNames(Files.createDirectories(dir.resolve("other-pki")), "salvo-coordinator");
        err.reset();
        assertThat(SalvoCli.execute(
                        "workers",
                        "--coordinator",
                        loopback,
                        "--token-file",
                        tokenFile(),
                        "--tls-ca",
                        other.file("ca.pem").toString(),
                        "--tls-server-name",
                        "salvo-coordinator.salvo.svc"))
                .isEqualTo(1);
        assertThat(errText())
                .contains("certificate was refused")
                .contains("Is it signed by the CA given with --tls-ca?")
                .doesNotContain("Channel Pipeline")
                .doesNotContain("\tat ");
        assertThat(errText().lines()).as("one message").hasSize(1);

        // A worker outside the cluster dials the address and checks the Service's name, as `salvo worker
        // --tls-server-name` does: it joins.
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", coordinator.port());
        int lanes = WorkerOptions.defaults(List.of(address)).eventLoopLanes();
        TlsFiles trust = new TlsFiles(null, null, pki.file("ca.pem"));
        WorkerAgent worker = WorkerAgent.start(new WorkerOptions(
                List.of(address),
                "w-remote",
                "europe-west1",
                1,
                lanes,
                token,
                trust,
                "salvo-coordinator.salvo.svc",
                0));
        String tokenFile = tokenFile();
        try {
            Await.until("the remote worker listed", Duration.ofSeconds(30), () -> {
                out.reset();
                return SalvoCli.execute(
                                        "workers",
                                        "--coordinator",
                                        loopback,
                                        "--token-file",
                                        tokenFile,
                                        "--tls-ca",
                                        ca,
                                        "--tls-server-name",
                                        "salvo-coordinator.salvo.svc")
                                == 0
                        && out.toString(StandardCharsets.UTF_8).contains("w-remote");
            });
        } finally {
            worker.close();
        }

        // A run through the forward reaches the coordinator over TLS: it is refused for want of workers, not TLS.
        Path plan = dir.resolve("plan.yaml");
        Files.writeString(plan, """
                name: k8s-tls
                target:
                  url: http://127.0.0.1:9/infer
                phases:
                  - duration: 5s
                    rate: 10
                workers: 1
                """);
        err.reset();
        assertThat(SalvoCli.execute(
                        "run",
                        plan.toString(),
                        "--kubernetes",
                        "--context",
                        "mock",
                        "--tls-ca",
                        ca,
                        "--worker-wait",
                        "1",
                        "--plain",
                        "--out",
                        dir.resolve("results").toString()))
                .isEqualTo(1);
        assertThat(errText()).contains("workers connected and idle after 1 s").doesNotContain("TLS");
    }

    @ParameterizedTest
    @ValueSource(strings = {"workers", "worker"})
    void aServerNameWithoutTlsIsOneMessage(String command) {
        assertThat(SalvoCli.execute(
                        command, "--coordinator", "127.0.0.1:7100", "--tls-server-name", "salvo-coordinator.salvo.svc"))
                .isEqualTo(2);
        assertThat(errText())
                .isEqualTo("salvo: --tls-server-name applies to TLS: give the CA that signed the coordinator's "
                        + "certificate with --tls-ca");
        assertThat(opened).isEmpty();
    }

    @Test
    void aServerNameThatIsNotADnsNameIsOneMessage() {
        assertThat(SalvoCli.execute("watch", "r", "--kubernetes", "--tls-server-name", "not a name"))
                .isEqualTo(2);
        assertThat(errText()).isEqualTo("salvo: --tls-server-name must be a DNS name, got 'not a name'");
        assertThat(opened).isEmpty();
    }

    private String tokenFile() throws Exception {
        Path file = dir.resolve("cluster-token");
        if (!Files.exists(file)) {
            token.writeTo(file);
        }
        return file.toString();
    }
}
