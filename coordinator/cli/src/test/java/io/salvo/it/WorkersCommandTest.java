package io.salvo.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.cli.SalvoCli;
import io.salvo.coordinator.server.CoordinatorServer;
import io.salvo.core.security.ClusterToken;
import io.salvo.testkit.Await;
import io.salvo.worker.link.WorkerAgent;
import io.salvo.worker.link.WorkerOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `salvo workers` against a real coordinator with two real workers in two regions (RunControl.ListWorkers). */
class WorkersCommandTest {

    @TempDir
    Path dir;

    @Test
    void listsConnectedWorkersWithRegionStateAndClockOffset() throws Exception {
        ClusterToken token = ClusterToken.generate();
        Path tokenFile = dir.resolve("token");
        token.writeTo(tokenFile);
        try (CoordinatorServer server = CoordinatorServer.start(new InetSocketAddress("127.0.0.1", 0), token, null)) {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.port());
            int lanes = WorkerOptions.defaults(List.of(address)).eventLoopLanes();
            WorkerAgent east = WorkerAgent.start(
                    new WorkerOptions(List.of(address), "w-east", "us-east1", 2, lanes, token, null, null, 0));
            WorkerAgent west = WorkerAgent.start(
                    new WorkerOptions(List.of(address), "w-west", "europe-west1", 1, lanes, token, null, null, 0));
            try {
                String coordinator = "127.0.0.1:" + server.port();
                String[] text = new String[1];
                // Workers are listed once their clocks have been probed; wait for both offsets.
                Await.until("both workers listed with a probed clock", Duration.ofSeconds(30), () -> {
                    text[0] = run("workers", "--coordinator", coordinator, "--token-file", tokenFile.toString());
                    return text[0].contains("w-east") && text[0].contains("w-west") && !text[0].contains("not probed");
                });
                List<String> lines = text[0].lines().toList();
                assertThat(lines.get(0)).contains("WORKER", "REGION", "STATE", "CLOCK OFFSET", "LAST HEARD");
                assertThat(lines.get(1)).startsWith("w-east").contains("us-east1", "idle", " ms ±", "s ago");
                assertThat(lines.get(1).split("\\s+")[2]).isEqualTo("2");
                assertThat(lines.get(2)).startsWith("w-west").contains("europe-west1", "idle");
                assertThat(lines.get(3)).startsWith("2 workers (asked coordinator-");
            } finally {
                east.close();
                west.close();
            }
        }
    }

    @Test
    void aWrongTokenIsOneMessageAndExitOne() throws Exception {
        ClusterToken token = ClusterToken.generate();
        Path other = dir.resolve("other");
        ClusterToken.generate().writeTo(other);
        try (CoordinatorServer server = CoordinatorServer.start(new InetSocketAddress("127.0.0.1", 0), token, null)) {
            PrintStream original = System.err;
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code;
            try {
                code = SalvoCli.execute(
                        "workers", "--coordinator", "127.0.0.1:" + server.port(), "--token-file", other.toString());
            } finally {
                System.setErr(original);
            }
            assertThat(code).isEqualTo(1);
            assertThat(err.toString(StandardCharsets.UTF_8).strip())
                    .isEqualTo(
                            "salvo: coordinator 127.0.0.1:" + server.port() + ": UNAUTHENTICATED: wrong cluster token");
        }
    }

    private static String run(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertThat(SalvoCli.execute(args)).isZero();
        } finally {
            System.setOut(original);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
