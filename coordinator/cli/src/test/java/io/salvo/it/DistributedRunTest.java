package io.salvo.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.salvo.report.ReportFiles;
import io.salvo.report.html.HtmlReport;
import io.salvo.target.ControllableTarget;
import io.salvo.testkit.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The coordinator, the workers and the client as separate processes started through the CLI. */
class DistributedRunTest {

    @TempDir
    Path dir;

    @Test
    void threeWorkerProcessesHold600RequestsPerSecondBetweenThem() throws Exception {
        ControllableTarget target = ControllableTarget.start(0);
        target.setDelay(Duration.ofMillis(1));
        List<SalvoProcess> processes = new ArrayList<>();
        try {
            String tokenFile = dir.resolve("cluster-token").toString();
            SalvoProcess coordinator = SalvoProcess.start(
                    dir, "coordinator", "coordinator", "--port", "0", "--http-port", "0", "--token-file", tokenFile);
            processes.add(coordinator);
            String port = coordinator.awaitLine(Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)"), 30_000);
            for (int i = 0; i < 3; i++) {
                processes.add(SalvoProcess.start(
                        dir,
                        "worker-" + i,
                        "worker",
                        "--coordinator",
                        "127.0.0.1:" + port,
                        "--id",
                        "w" + i,
                        "--token-file",
                        tokenFile));
            }
            Path plan = dir.resolve("plan.yaml");
            Files.writeString(plan, Plans.yaml(target.port(), 600, "10s", 3, ""));
            SalvoProcess run = SalvoProcess.start(
                    dir,
                    "run",
                    "run",
                    plan.toString(),
                    "--coordinator",
                    "127.0.0.1:" + port,
                    "--out",
                    dir.resolve("results").toString(),
                    "--token-file",
                    tokenFile);
            processes.add(run);
            assertThat(run.awaitExit(120)).as(run.output()).isZero();

            Path json;
            try (Stream<Path> files = Files.list(dir.resolve("results"))) {
                json = files.filter(p -> p.toString().endsWith(".json"))
                        .findFirst()
                        .orElseThrow();
            }
            JsonNode report = ReportFiles.json().readTree(json.toFile());
            JsonNode totals = report.get("totals");
            assertThat(report.get("run").get("state").asText()).isEqualTo("completed");
            assertThat(totals.get("requests").asLong()).as("totals %s", totals).isBetween(5940L, 6060L);
            assertThat(totals.get("successes").asLong()).as("totals %s", totals).isBetween(5940L, 6060L);
            assertThat(target.requestsReceived())
                    .as("requests the target received; report: %s", report)
                    .isBetween(5940L, 6060L);
            assertThat(report.get("workers")).hasSize(3);
            for (JsonNode worker : report.get("workers")) {
                double slice = 6000 * worker.get("share").asDouble();
                assertThat((double) worker.get("sent").asLong())
                        .as("worker %s", worker.get("id"))
                        .isBetween(slice * 0.98, slice * 1.02);
            }
            assertThat(run.output()).contains("workers 3/3").contains("Requests: 6000 intended");
            Path html = HtmlReport.besideJson(json);
            assertThat(run.output()).contains("HTML report: " + html);
            String page = Files.readString(html);
            String dataStart = "id=\"salvo-report-data\">";
            int start = page.indexOf(dataStart) + dataStart.length();
            assertThat(ReportFiles.json()
                            .readTree(page.substring(start, page.indexOf("</script>", start)))
                            .at("/runs/0/report"))
                    .as("the report inside the HTML")
                    .isEqualTo(report);
            String token = Files.readString(dir.resolve("cluster-token")).strip();
            for (SalvoProcess p : processes) {
                assertThat(p.output()).doesNotContain(token);
                assertThat(String.join(" ", p.process.info().arguments().orElse(new String[0])))
                        .doesNotContain(token);
            }
            // Last, as it needs Chromium (skipped without it off CI): the page draws offline with the JSON's figures.
            OfflineReportPage.assertRendersOffline(
                    html,
                    ReportFiles.readJson(json),
                    dir.resolve("chromium-profile"),
                    Path.of("target", "html-report", "distributed-run.png"));
        } finally {
            processes.forEach(SalvoProcess::close);
            target.close();
        }
    }

    @Test
    void interruptedLocalRunStillWritesThePartialReportAndLeavesNoWorkers() throws Exception {
        ControllableTarget target = ControllableTarget.start(0);
        try {
            Path plan = dir.resolve("plan.yaml");
            Files.writeString(plan, Plans.yaml(target.port(), 50, "60s", 2, ""));
            SalvoProcess run = SalvoProcess.start(
                    dir,
                    "run",
                    "run",
                    plan.toString(),
                    "--out",
                    dir.resolve("results").toString());
            try {
                run.awaitLine(Pattern.compile("^\\s+3\\.0s\\s+ok"), 60_000);
                long cliPid = run.process.pid();
                run.process.destroy(); // SIGTERM: the same shutdown path as Ctrl-C
                assertThat(run.awaitExit(60)).as(run.output()).isEqualTo(130);
                assertThat(run.output()).contains("interrupted").contains("Report: ");
                Path json;
                try (Stream<Path> files = Files.list(dir.resolve("results"))) {
                    json = files.filter(p -> p.toString().endsWith(".json"))
                            .findFirst()
                            .orElseThrow();
                }
                JsonNode report = ReportFiles.json().readTree(json.toFile());
                assertThat(report.get("run").get("state").asText()).isEqualTo("stopped");
                assertThat(report.get("totals").get("successes").asLong()).isGreaterThanOrEqualTo(100);
                // The local workers exit with their parent, a moment after it.
                Await.until(
                        "no local worker of CLI process " + cliPid + " still running",
                        Duration.ofSeconds(10),
                        () -> localWorkersOf(cliPid).isEmpty());
            } finally {
                run.close();
            }
        } finally {
            target.close();
        }
    }

    /** Worker processes started for the given CLI process, found by their --exit-with-parent argument, alive. */
    private static List<ProcessHandle> localWorkersOf(long cliPid) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info()
                        .arguments()
                        .map(args -> String.join(" ", args).contains("--exit-with-parent " + cliPid))
                        .orElse(false))
                .filter(ProcessHandle::isAlive)
                .toList();
    }
}
