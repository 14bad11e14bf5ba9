package io.salvo.it;

import static io.salvo.it.CliCapture.salvo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.salvo.benchmark.BenchmarkFiles;
import io.salvo.benchmark.CostEstimate;
import io.salvo.benchmark.ExperimentRecord;
import io.salvo.benchmark.ExperimentRecord.Experiment;
import io.salvo.cli.SalvoCli;
import io.salvo.report.CostSection;
import io.salvo.report.ReportFiles;
import io.salvo.report.RunReport;
import io.salvo.testkit.Await;
import io.salvo.testkit.Prerequisite;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * {@code salvo bench} end to end: a local cell (real model-server instances on the emulator) and a cell on a
 * scripted cloud driver found through ServiceLoader, through an embedded coordinator and a local worker process;
 * then an interrupted matrix (a separate process killed after its first cell) that resumes without re-running it.
 * Cost estimates are checked against the price table read here independently of Salvo's reader.
 */
class MatrixEndToEndTest {

    private static final Path MODEL_SERVER_JAR =
            Path.of("..", "..", "model-server", "target", "salvo-model-server.jar");

    /** Unit prices by key, straight from the built-in YAML (same_as followed), not through PriceTable. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> builtInPrices() throws Exception {
        try (InputStream in = SalvoCli.class.getResourceAsStream("/io/salvo/benchmark/price-table.yaml")) {
            return (Map<String, Object>)
                    new Yaml().<Map<String, Object>>load(in).get("prices");
        }
    }

    @SuppressWarnings("unchecked")
    private static double unitPrice(Map<String, Object> prices, String key) {
        Map<String, Object> entry = (Map<String, Object>) prices.get(key);
        assertThat(entry).as("price table entry %s", key).isNotNull();
        if (entry.containsKey("same_as")) {
            return unitPrice(prices, (String) entry.get("same_as"));
        }
        return ((Number) entry.get("price")).doubleValue();
    }

    /** The record's estimate recomputed: Σ amount × price from the YAML, ÷ Salvo's 2xx count × 10⁶. */
    private static void assertCostFollowsThePriceTable(ExperimentRecord r, Map<String, Object> prices) {
        CostEstimate cost = r.cost();
        assertThat(cost).as(BenchmarkFiles.fileName(r)).isNotNull();
        double total = 0;
        for (CostSection.Line line : cost.lines()) {
            if (line.unitPrice() == null) {
                continue;
            }
            double expected = line.amount() * unitPrice(prices, line.dimension());
            assertThat(line.cost()).as(line.dimension()).isCloseTo(expected, within(1e-15));
            total += expected;
        }
        assertThat(cost.total()).isCloseTo(total, within(1e-12));
        long predictions = "platform".equals(cost.predictionsSource())
                ? cost.predictions()
                : r.measured().successes();
        assertThat(cost.predictions()).isEqualTo(predictions).isPositive();
        assertThat(cost.perMillion()).isCloseTo(total / predictions * 1e6, within(1e-9));
        assertThat(cost.pricesAsOf()).isEqualTo("2026-12-06");
    }

    @Test
    void localAndScriptedCloudCellsRunAndTheirCostsFollowThePriceTable(@TempDir Path dir) throws Exception {
        Prerequisite.require(
                Files.isRegularFile(MODEL_SERVER_JAR),
                "model-server jar not built: " + MODEL_SERVER_JAR.toAbsolutePath());
        Path events = dir.resolve("events.log");
        Path matrix = Files.writeString(dir.resolve("two-platforms.yaml"), """
                name: two-platforms
                load:
                  cold: 4s
                  warm: 3s
                models:
                  - name: tiny-bert-shape
                    rate: 20
                    memory: 512
                platforms:
                  - name: lambda-like
                    platform: local
                    config:
                      profile: lambda-like
                    deployment:
                      maxInstances: 1
                  - name: cloud
                    platform: scripted-cloud
                    config:
                      events: %s
                      cold-start-ms: 400
                    deployment:
                      memory: 2048
                """.formatted(events));
        Path out = dir.resolve("out");
        CliCapture run = salvo(
                "bench",
                matrix.toString(),
                "--out",
                out.toString(),
                "-q",
                "--model-server-jar",
                MODEL_SERVER_JAR.toString());
        assertThat(run.exit()).as(run.out() + run.err()).isZero();

        List<ExperimentRecord> records = BenchmarkFiles.read(List.of(out));
        assertThat(records).hasSize(4);
        Map<String, Object> prices = builtInPrices();
        for (ExperimentRecord r : records) {
            assertThat(r.runState()).isEqualTo("completed");
            assertThat(r.measured().successes()).isPositive();
            assertCostFollowsThePriceTable(r, prices);
            // the run's own report carries the record's estimate, for its HTML headline and its cost thresholds
            RunReport report =
                    ReportFiles.json().readValue(out.resolve(r.runReport()).toFile(), RunReport.class);
            assertThat(report.cost()).as(r.runReport()).isEqualTo(r.cost().section());
            if (r.experiment() == Experiment.COLD_START) {
                assertThat(r.coldCheck()).as(r.cell()).startsWith("verified");
                assertThat(r.measured().timeToFirstSuccessMillis()).isNotNull();
            }
        }
        // Each run's report as HTML beside its JSON, holding that JSON; compare.html holds all four runs' reports.
        Map<String, JsonNode> reports = new java.util.HashMap<>();
        for (ExperimentRecord r : records) {
            Path json = out.resolve("runs").resolve(r.runId() + ".json");
            JsonNode report = ReportFiles.json().readTree(json.toFile());
            reports.put(r.runId(), report);
            JsonNode page = embeddedData(out.resolve("runs").resolve(r.runId() + ".html"));
            assertThat(page.get("runs")).as(r.cell()).hasSize(1);
            assertThat(page.at("/runs/0/report")).as(r.cell()).isEqualTo(report);
        }
        Path compareHtml = out.resolve("compare.html");
        assertThat(run.out()).contains("HTML comparison: " + compareHtml);
        Map<String, JsonNode> compared = new java.util.HashMap<>();
        for (JsonNode labelled : embeddedData(compareHtml).get("runs")) {
            compared.put(labelled.at("/report/run/id").asText(), labelled.get("report"));
        }
        assertThat(compared.keySet()).isEqualTo(reports.keySet());
        reports.forEach((id, report) -> assertThat(compared.get(id)).as(id).isEqualTo(report));

        ExperimentRecord cloudWarm = records.stream()
                .filter(r -> r.profile().equals("cloud") && r.experiment() == Experiment.WARM)
                .findFirst()
                .orElseThrow();
        // The script bills 100 ms x 2 GB per request, and bills exactly the requests the run sent: the usage window
        // is the run's, widened by the workers' clock error, since the request intended at the run's first instant
        // leaves on the worker's clock and may reach the platform a few ms before the start on the coordinator's.
        // Sent, not intended: an intended request given up unsent never reaches the platform.
        Map<String, Double> amounts = cloudWarm.cost().lines().stream()
                .collect(java.util.stream.Collectors.toMap(CostSection.Line::dimension, CostSection.Line::amount));
        double requests = amounts.get("aws-lambda:requests");
        RunReport.Totals cloudWarmTotals = ReportFiles.json()
                .readValue(out.resolve(cloudWarm.runReport()).toFile(), RunReport.class)
                .totals();
        assertThat(requests)
                .as(
                        "billed requests; the run intended %d, sent %d, gave up %d unsent",
                        cloudWarmTotals.intended(), cloudWarmTotals.sent(), cloudWarmTotals.unsent())
                .isEqualTo((double) cloudWarmTotals.sent());
        assertThat(cloudWarmTotals.intended()).isEqualTo(cloudWarm.measured().intended());
        assertThat(amounts.get("aws-lambda:gb-seconds:x86_64"))
                .isCloseTo(requests * ScriptedCloudDriver.BILLED_SECONDS_PER_REQUEST * 2, within(1e-9));
        assertThat(cloudWarm.cost().unpriced()).containsExactly("scripted:egress-gb");
        assertThat(cloudWarm.cost().complete()).isFalse();
        ExperimentRecord localWarm = records.stream()
                .filter(r -> r.profile().equals("lambda-like") && r.experiment() == Experiment.WARM)
                .findFirst()
                .orElseThrow();
        assertThat(localWarm.emulation()).isTrue();
        assertThat(localWarm.cost().complete()).isTrue();
        assertThat(localWarm.cost().lines())
                .allSatisfy(l -> assertThat(l.basis()).contains("EMULATION"));

        String tables = Files.readString(out.resolve("tables.txt"));
        assertThat(tables)
                .contains("est. $/1M warm")
                .contains("est. $/1M cold run")
                .contains("built-in price table of 2026-12-06")
                .contains("lower bound");
        assertThat(run.out())
                .contains(tables.lines()
                        .filter(l -> l.contains("cloud"))
                        .findFirst()
                        .orElseThrow());
        // compare of the matrix folder prints the same tables
        CliCapture compare = salvo("compare", out.toString());
        assertThat(compare.exit()).isZero();
        assertThat(compare.out()).isEqualTo(tables);
        // the scripted cell was deployed once and torn down once
        assertThat(deploysAndTeardowns(events)).containsExactly("deploy tiny-bert-shape", "teardown tiny-bert-shape");
    }

    /** The JSON a Salvo HTML page carries in its data element (what its script draws from). */
    private static JsonNode embeddedData(Path html) throws java.io.IOException {
        String page = Files.readString(html);
        String dataStart = "id=\"salvo-report-data\">";
        int start = page.indexOf(dataStart);
        assertThat(start).as("%s has its data element", html).isNotNegative();
        start += dataStart.length();
        return ReportFiles.json().readTree(page.substring(start, page.indexOf("</script>", start)));
    }

    /** The scripted driver's deploy and teardown lines (it also logs each load start and first request). */
    private static List<String> deploysAndTeardowns(Path events) throws java.io.IOException {
        return Files.readAllLines(events).stream()
                .filter(l -> l.startsWith("deploy ") || l.startsWith("teardown "))
                .toList();
    }

    private static boolean deployed(Path events, String line) {
        try {
            return Files.isRegularFile(events) && Files.readAllLines(events).contains(line);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void anInterruptedMatrixResumesWithoutRerunningItsFinishedCell(@TempDir Path dir) throws Exception {
        Path events = dir.resolve("events.log");
        Path matrix = Files.writeString(dir.resolve("resume.yaml"), """
                name: resume
                load:
                  cold: 2s
                  warm: 2s
                models:
                  - name: model-a
                    rate: 10
                  - name: model-b
                    rate: 10
                platforms:
                  - name: cloud
                    platform: scripted-cloud
                    config:
                      events: %s
                      cold-start-ms: 100
                """.formatted(events));
        Path out = dir.resolve("out");
        Path firstCell = out.resolve("cells").resolve("model-a.cloud.json");
        try (SalvoProcess bench = SalvoProcess.start(
                dir.resolve("logs"), "bench", "bench", matrix.toString(), "--out", out.toString(), "-q")) {
            Await.until(
                    "the first cell finished and the second deployed",
                    Duration.ofSeconds(120),
                    () -> (Files.isRegularFile(firstCell) && deployed(events, "deploy model-b"))
                            || !bench.process.isAlive());
            assertThat(bench.process.isAlive())
                    .as("still running after its first cell:\n%s", bench.output())
                    .isTrue();
            // SIGTERM, as Ctrl-C would: the shutdown hook tears the second cell's deployment down
            bench.process.destroy();
            bench.awaitExit(30);
            assertThat(bench.output()).contains("interrupted during cell model-b.cloud");
        }
        assertThat(out.resolve("cells").resolve("model-b.cloud.json")).doesNotExist();
        String firstRunId = BenchmarkFiles.read(List.of(out.resolve("model-a.cloud.cold-start.json")))
                .get(0)
                .runId();
        assertThat(deploysAndTeardowns(events))
                .containsExactly("deploy model-a", "teardown model-a", "deploy model-b", "teardown model-b");

        CliCapture resumed = salvo("bench", matrix.toString(), "--out", out.toString(), "-q");
        assertThat(resumed.exit()).as(resumed.out() + resumed.err()).isZero();
        assertThat(resumed.out())
                .contains("Resuming in")
                .contains("1 of 2 cell(s) finished before and kept, not re-run (model-a.cloud)");
        List<ExperimentRecord> records = BenchmarkFiles.read(List.of(out));
        assertThat(records).hasSize(4);
        assertThat(records.stream()
                        .filter(r -> r.cell().equals("model-a.cloud") && r.experiment() == Experiment.COLD_START)
                        .findFirst()
                        .orElseThrow()
                        .runId())
                .isEqualTo(firstRunId);
        // only model-b was deployed again
        assertThat(deploysAndTeardowns(events))
                .containsExactly(
                        "deploy model-a",
                        "teardown model-a",
                        "deploy model-b",
                        "teardown model-b",
                        "deploy model-b",
                        "teardown model-b");
        assertThat(resumed.out()).contains("Model model-a").contains("Model model-b");
    }
}
