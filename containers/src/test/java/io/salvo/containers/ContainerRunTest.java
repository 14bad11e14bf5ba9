package io.salvo.containers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Volume;
import io.salvo.cli.SalvoCli;
import io.salvo.core.security.ClusterToken;
import io.salvo.report.ReportFiles;
import io.salvo.target.ControllableTarget;
import io.salvo.testkit.Await;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * Salvo's image as users run it: a coordinator container and three worker containers (host network, one CPU and
 * 512 MiB each, a read-only root filesystem with a tmpfs /tmp, the cluster token from a read-only mounted file), a run
 * launched from the CLI against a target on loopback,
 * and one worker container killed mid-run. The run must complete with the loss re-sliced and the rate delivered.
 */
class ContainerRunTest {

    private static final String IMAGE = System.getProperty("salvo.image", "salvo/salvo:0.1.0-SNAPSHOT");
    private static final int RATE = 300;
    private static final int SECONDS = 20;

    @TempDir
    Path dir;

    private ControllableTarget target;
    private final List<GenericContainer<?>> containers = new ArrayList<>();

    @BeforeEach
    void requireEngineAndImage() {
        LocalEngine.requireImage(IMAGE);
        target = ControllableTarget.start(0);
        target.setDelay(Duration.ofMillis(5));
    }

    @AfterEach
    void stopAll() {
        for (GenericContainer<?> c : containers) {
            c.stop();
        }
        if (target != null) {
            target.close();
        }
    }

    private GenericContainer<?> salvo(String name, Path token, String... command) {
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(IMAGE))
                .withNetworkMode("host")
                .withCommand(command)
                .withCreateContainerCmdModifier(cmd -> cmd.withName("salvo-test-" + name + "-"
                                + ProcessHandle.current().pid())
                        .getHostConfig()
                        // As deploy/kubernetes runs it: nothing may be written outside /tmp.
                        .withReadonlyRootfs(true)
                        // exec: Netty unpacks its native transport here.
                        .withTmpFs(Map.of("/tmp", "rw,exec,size=64m"))
                        // Mounted read-only, as Kubernetes mounts the Secret: a read-only root takes no copied file.
                        // Given to docker-java directly, since Testcontainers' own bind mounts first probe file
                        // mounting with a helper image, and no image can be pulled here.
                        .withBinds(new Bind(token.toString(), new Volume("/run/salvo/token"), AccessMode.ro))
                        .withNanoCPUs(1_000_000_000L)
                        .withMemory(512L * 1024 * 1024));
        containers.add(c);
        return c;
    }

    /** The container's root filesystem refuses a write, and /tmp takes one: the claim of the docs, checked. */
    private static void assertReadOnlyRootWithWritableTmp(GenericContainer<?> c) throws Exception {
        assertThat(c.getContainerInfo().getHostConfig().getReadonlyRootfs()).isTrue();
        assertThat(c.getContainerInfo().getConfig().getUser()).isEqualTo("65532:65532");
        var root = c.execInContainer("sh", "-c", "echo x > /probe");
        assertThat(root.getExitCode()).as("writing to /").isNotZero();
        assertThat(root.getStderr()).contains("Read-only file system");
        var tmp = c.execInContainer("sh", "-c", "echo x > /tmp/probe && cat /tmp/probe");
        assertThat(tmp.getExitCode()).as("writing to /tmp: %s", tmp.getStderr()).isZero();
    }

    @Test
    void aRunOnContainersKeepsTheRateWhenAWorkerContainerIsKilled() throws Exception {
        Path token = dir.resolve("token");
        Files.writeString(token, ClusterToken.generate().reveal());
        // Readable by the containers' user (65532), like a Secret mounted with mode 0444; never writable.
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("r--r--r--"));
        int port = freePort();

        GenericContainer<?> coordinator = salvo(
                        "coordinator",
                        token,
                        "coordinator",
                        "--port",
                        Integer.toString(port),
                        "--token-file",
                        "/run/salvo/token")
                .waitingFor(Wait.forLogMessage(".*Salvo coordinator listening on.*", 1)
                        .withStartupTimeout(Duration.ofSeconds(90)));
        coordinator.start();
        assertReadOnlyRootWithWritableTmp(coordinator);
        List<GenericContainer<?>> workers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            GenericContainer<?> worker = salvo(
                    "worker-" + i,
                    token,
                    "worker",
                    "--coordinator",
                    "127.0.0.1:" + port,
                    "--token-file",
                    "/run/salvo/token",
                    "--id",
                    "container-w" + i,
                    "--warmup-requests",
                    "1000");
            worker.start();
            workers.add(worker);
        }
        assertReadOnlyRootWithWritableTmp(workers.get(0));

        Path plan = dir.resolve("plan.yaml");
        Files.writeString(plan, """
                name: containers
                target:
                  url: http://127.0.0.1:%d/infer
                phases:
                  - duration: %ds
                    rate: %d
                workers: 3
                interval: 1s
                """.formatted(target.port(), SECONDS, RATE));
        Path out = dir.resolve("results");
        CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> SalvoCli.execute(
                "run",
                plan.toString(),
                "--coordinator",
                "127.0.0.1:" + port,
                "--token-file",
                token.toString(),
                "--worker-wait",
                "120",
                "--plain",
                "--out",
                out.toString()));

        Await.until("the run's first requests", Duration.ofSeconds(150), () -> target.requestsReceived() > 0);
        long firstRequests = System.nanoTime();
        Await.until(
                "eight seconds of load",
                Duration.ofSeconds(30),
                () -> System.nanoTime() - firstRequests > TimeUnit.SECONDS.toNanos(8));
        GenericContainer<?> victim = workers.get(1);
        DockerClientFactory.instance()
                .client()
                .killContainerCmd(victim.getContainerId())
                .exec();

        assertThat(run.get(120, TimeUnit.SECONDS)).as(coordinator.getLogs()).isZero();

        JsonNode report = onlyReport(out);
        assertThat(report.at("/run/state").asText()).isEqualTo("completed");
        JsonNode reslices = report.at("/run/reslices");
        assertThat(reslices.size()).as("re-slices: %s", reslices).isGreaterThanOrEqualTo(1);
        assertThat(reslices.get(0).get("worker").asText()).isEqualTo("container-w1");
        assertThat(reslices.get(0).get("workers_after").toString())
                .contains("container-w0")
                .contains("container-w2")
                .doesNotContain("container-w1");
        // The lost worker's share between its last report and the re-slice is the only load not delivered
        // (reported as uncovered); everything else of RATE x SECONDS must have gone out.
        long planned = (long) RATE * SECONDS;
        long sent = report.at("/totals/sent").asLong();
        double uncovered = reslices.get(0).get("uncovered_intended_requests").asDouble();
        assertThat(uncovered).isLessThan(planned * 0.05);
        assertThat((double) sent / planned)
                .as("delivered share of the rate, %d of %d sent, %.0f uncovered", sent, planned, uncovered)
                .isGreaterThan(0.95);
        assertThat(sent + uncovered).isCloseTo(planned, org.assertj.core.data.Percentage.withPercentage(2));
        assertThat(report.at("/totals/successes").asLong())
                .isEqualTo(report.at("/totals/requests").asLong());
    }

    private static JsonNode onlyReport(Path out) throws Exception {
        try (Stream<Path> files = Files.list(out)) {
            Path json = files.filter(p -> p.toString().endsWith(".json"))
                    .findFirst()
                    .orElseThrow();
            return ReportFiles.json().readTree(json.toFile());
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
