package io.salvo.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.salvo.core.security.BearerTokenCredentials;
import io.salvo.proto.v1.GetRunResultRequest;
import io.salvo.proto.v1.ProtocolVersion;
import io.salvo.proto.v1.RunControlGrpc;
import io.salvo.proto.v1.RunControlGrpc.RunControlBlockingStub;
import io.salvo.proto.v1.RunState;
import io.salvo.proto.v1.StartRunRequest;
import io.salvo.target.ControllableTarget;
import io.salvo.testkit.Await;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `salvo run` and `salvo watch` as a user starts them, against a coordinator and worker in this JVM: on a real
 * pseudo-terminal (tmux) one table redrawn in place, in a pipe one line per interval, with --json nothing but JSON
 * lines on standard output.
 */
class LiveViewEndToEndTest {

    private static final Pattern PLAIN_LINE = Pattern.compile("^\\s+\\d+\\.\\ds  ok .* workers \\d+/\\d+$");
    private static final Duration PROCESS_TIMEOUT = Duration.ofSeconds(120);

    private static InJvmCluster cluster;
    private static ControllableTarget target;

    @TempDir
    Path dir;

    @BeforeAll
    static void startCluster() throws Exception {
        target = ControllableTarget.start(0, "instance-a");
        target.setDelay(Duration.ofMillis(2));
        cluster = new InJvmCluster(1);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
        if (target != null) {
            target.close();
        }
    }

    private String coordinator() {
        return "127.0.0.1:" + cluster.server.port();
    }

    private Path tokenFile() throws IOException {
        Path file = dir.resolve("cluster-token");
        if (!Files.exists(file)) {
            cluster.token.writeTo(file);
        }
        return file;
    }

    private Path planFile(String duration) throws IOException {
        Path plan = dir.resolve("plan.yaml");
        Files.writeString(plan, Plans.yaml(target.port(), 40, duration, 1, "captureHeaders: [Salvo-Instance-Id]"));
        return plan;
    }

    private RunControlBlockingStub control() {
        return RunControlGrpc.newBlockingStub(cluster.channel)
                .withCallCredentials(new BearerTokenCredentials(cluster.token));
    }

    /** Starts a run straight over gRPC, as another user's `salvo run` would, and returns its id. */
    private String startRun(String duration) throws Exception {
        return control()
                .withDeadlineAfter(60, TimeUnit.SECONDS)
                .startRun(StartRunRequest.newBuilder()
                        .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1)
                        .setPlan(Plans.parse(Files.readString(planFile(duration))))
                        .setWorkerWaitMillis(30_000)
                        .build())
                .getRunId();
    }

    private RunState stateOf(String runId) {
        return control()
                .getRunResult(GetRunResultRequest.newBuilder().setRunId(runId).build())
                .getState();
    }

    @Test
    void onATerminalRunAndWatchEachRedrawOneTableInPlace() throws Exception {
        TerminalSession.requireTmux();
        Path plan = planFile("4s");
        try (TerminalSession run = TerminalSession.start(
                dir,
                "run",
                160,
                50,
                "run",
                plan.toString(),
                "--coordinator",
                coordinator(),
                "--token-file",
                tokenFile().toString(),
                "--out",
                dir.resolve("results").toString())) {
            run.awaitScreen("salvo  e2e  run ", PROCESS_TIMEOUT);
            Matcher id = Pattern.compile("salvo  e2e  run (\\S+)").matcher(run.screen());
            assertThat(id.find()).isTrue();
            String runId = id.group(1);
            try (TerminalSession watch = TerminalSession.start(
                    dir,
                    "watch",
                    120,
                    50,
                    "watch",
                    runId,
                    "--coordinator",
                    coordinator(),
                    "--token-file",
                    tokenFile().toString())) {
                assertThat(run.awaitExit(PROCESS_TIMEOUT)).as(run.screen()).isZero();
                assertThat(watch.awaitExit(PROCESS_TIMEOUT)).as(watch.screen()).isZero();

                for (TerminalSession session : List.of(run, watch)) {
                    String screen = session.screen();
                    keepAsArtifact(session == run ? "run" : "watch", screen);
                    // One table, updated in place: one title and one elapsed line in the whole scrollback, showing
                    // the end of the run, and no interval printed as a line of its own.
                    assertThat(count(screen, "^salvo  e2e  run ")).as(screen).isEqualTo(1);
                    assertThat(count(screen, "^elapsed ")).as(screen).isEqualTo(1);
                    assertThat(screen)
                            .contains("salvo  e2e  run " + runId + "  completed")
                            .containsPattern("elapsed +\\d+\\.0 s / 4\\.0 s  \\[#+] 100 %")
                            .contains("workers    1/1 reported")
                            .contains("instances  1 responding")
                            .containsPattern("run +\\d+\\.\\d\\d ms +\\d+\\.\\d\\d ms")
                            .contains("Requests: 160 intended");
                    assertThat(count(screen, PLAIN_LINE.pattern())).as(screen).isZero();
                    // The report follows below the table, not over it.
                    assertThat(screen.indexOf("Requests: 160 intended"))
                            .isGreaterThan(screen.indexOf("workers    1/1 reported"));
                }
                assertThat(run.screen()).contains("Report: ");
            }
        }
    }

    @Test
    void withoutATerminalOneLinePerIntervalAndWithJsonOnlyJsonOnStandardOutput() throws Exception {
        Path plan = planFile("4s");
        Path results = dir.resolve("results");
        Process run = new ProcessBuilder(salvo(
                        "run",
                        plan.toString(),
                        "--coordinator",
                        coordinator(),
                        "--token-file",
                        tokenFile().toString(),
                        "--out",
                        results.toString(),
                        "--json"))
                .redirectOutput(dir.resolve("run.out").toFile())
                .redirectError(dir.resolve("run.err").toFile())
                .start();
        SalvoProcess watch = null;
        try {
            String runId = Await.value("the run id on standard error", PROCESS_TIMEOUT, () -> {
                Matcher m = Pattern.compile("Run (\\S+) started").matcher(read(dir.resolve("run.err")));
                return m.find() ? m.group(1) : null;
            });
            watch = SalvoProcess.start(
                    dir,
                    "watch",
                    "watch",
                    runId,
                    "--coordinator",
                    coordinator(),
                    "--token-file",
                    tokenFile().toString());
            assertThat(run.waitFor(PROCESS_TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                    .isTrue();
            assertThat(run.exitValue()).as(read(dir.resolve("run.err"))).isZero();
            assertThat(watch.awaitExit(PROCESS_TIMEOUT.toSeconds()))
                    .as(watch.output())
                    .isZero();

            // --json: every line of standard output is one JSON object; intervals in order, then the end.
            List<JsonNode> objects = new ArrayList<>();
            ObjectMapper mapper = new ObjectMapper();
            for (String line : read(dir.resolve("run.out")).lines().toList()) {
                objects.add(mapper.readTree(line));
            }
            assertThat(objects).hasSizeGreaterThanOrEqualTo(5);
            List<JsonNode> intervals = objects.subList(0, objects.size() - 1);
            long sent = 0;
            for (int i = 0; i < intervals.size(); i++) {
                JsonNode o = intervals.get(i);
                assertThat(o.get("type").asText()).isEqualTo("interval");
                assertThat(o.get("run_id").asText()).isEqualTo(runId);
                assertThat(o.get("interval_index").asLong()).isEqualTo(i);
                assertThat(o.get("total_seconds").asDouble()).isEqualTo(4.0);
                sent += o.get("sent").asLong();
                assertThat(o.get("run").get("sent").asLong()).isEqualTo(sent);
            }
            assertThat(sent).isEqualTo(160);
            JsonNode end = objects.get(objects.size() - 1);
            assertThat(end.get("type").asText()).isEqualTo("end");
            assertThat(end.get("state").asText()).isEqualTo("completed");
            assertThat(end.get("run").get("successes").asLong()).isEqualTo(160);
            assertThat(end.get("run").get("latency_micros").get("count").asLong())
                    .isEqualTo(160);
            // The text for people went to standard error, and the report files were still written.
            assertThat(read(dir.resolve("run.err")))
                    .contains("Run " + runId + " started")
                    .contains("Report: ");
            try (Stream<Path> files = Files.list(results)) {
                assertThat(files.map(p -> p.getFileName().toString())).contains(runId + ".json", runId + ".hlog");
            }

            // Not a terminal: one plain line per interval, the same intervals, and no escape sequence.
            String watched = watch.output();
            assertThat(watched).doesNotContain("\033");
            assertThat(count(watched, PLAIN_LINE.pattern())).as(watched).isEqualTo(intervals.size());
            assertThat(watched).contains("Requests: 160 intended");
        } finally {
            run.destroyForcibly();
            if (watch != null) {
                watch.close();
            }
        }
    }

    @Test
    void ctrlCDetachesTheWatcherAndTheRunGoesOn() throws Exception {
        TerminalSession.requireTmux();
        String runId = startRun("6s");
        try (TerminalSession watch = TerminalSession.start(
                dir,
                "watch",
                120,
                40,
                "watch",
                runId,
                "--coordinator",
                coordinator(),
                "--token-file",
                tokenFile().toString())) {
            watch.awaitScreen("workers    1/1 reported", PROCESS_TIMEOUT);
            watch.sendKeys("C-c");
            assertThat(watch.awaitExit(PROCESS_TIMEOUT)).isEqualTo(130);
            assertThat(watch.screen()).contains("detached from run " + runId + "; it goes on");
            // Stopped, it would end as stopped: it completes, so the watcher's exit did not touch it.
            Await.until(
                    "run " + runId + " to complete without its watcher",
                    PROCESS_TIMEOUT,
                    () -> stateOf(runId) == RunState.RUN_STATE_COMPLETED);
        }
    }

    @Test
    void anUnknownRunIsAClearErrorWithExitCodeTwo() throws Exception {
        try (SalvoProcess watch = SalvoProcess.start(
                dir,
                "watch",
                "watch",
                "no-such-run",
                "--coordinator",
                coordinator(),
                "--token-file",
                tokenFile().toString())) {
            assertThat(watch.awaitExit(60)).as(watch.output()).isEqualTo(2);
            // (The test class path brings SLF4J's notice that it has no provider; salvo.jar does not.)
            assertThat(watch.output().lines().filter(line -> !line.startsWith("SLF4J")))
                    .containsExactly("salvo: the coordinator at " + coordinator() + " knows no run 'no-such-run'");
        }
    }

    /** The screen as the user saw it, under target/ (a build artifact, not committed). */
    private static void keepAsArtifact(String name, String screen) throws IOException {
        Path folder = Path.of("target", "live-view");
        Files.createDirectories(folder);
        Files.writeString(folder.resolve(name + "-terminal.txt"), screen);
    }

    private static List<String> salvo(String... args) {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "-Xmx384m",
                "-cp",
                System.getProperty("java.class.path"),
                io.salvo.cli.SalvoCli.class.getName()));
        command.addAll(List.of(args));
        return command;
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static long count(String text, String linePattern) {
        Pattern p = Pattern.compile(linePattern);
        return text.lines().filter(line -> p.matcher(line).find()).count();
    }
}
