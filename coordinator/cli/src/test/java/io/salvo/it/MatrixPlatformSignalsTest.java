package io.salvo.it;

import static io.salvo.it.CliCapture.salvo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.salvo.benchmark.BenchmarkFiles;
import io.salvo.benchmark.ExperimentRecord;
import io.salvo.benchmark.ExperimentRecord.Experiment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code salvo bench} uses what the platform driver says (issue 13 in the matrix): two cells on the scripted cloud,
 * one whose forced cold start really happens and one whose platform keeps serving from the instance it had before
 * ({@code fake-cold}). The driver is told the responses the worker captured, and its verdict decides each cell's cold
 * check and the tables' "cold verified" column; its scale-up at load start comes before the first request; its
 * breakdown and FailedScheduling warning reach each run's report (platform section), the file beside it, the record
 * and the tables.
 */
class MatrixPlatformSignalsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theDriversVerdictBreakdownAndScaleUpReachTheCellsRecordsReportsAndTables(@TempDir Path dir) throws Exception {
        Path realEvents = dir.resolve("real.log");
        Path fakeEvents = dir.resolve("fake.log");
        Path matrix = Files.writeString(dir.resolve("signals.yaml"), """
                name: signals
                load:
                  cold: 3s
                  warm: 2s
                models:
                  - name: model-a
                    rate: 10
                platforms:
                  - name: real-cold
                    platform: scripted-cloud
                    config:
                      events: %s
                      cold-start-ms: 300
                      warning: "0/3 nodes are available: 3 Insufficient cpu."
                  - name: fake-cold
                    platform: scripted-cloud
                    config:
                      events: %s
                      cold-start-ms: 300
                      fake-cold: "true"
                """.formatted(realEvents, fakeEvents));
        Path out = dir.resolve("out");
        CliCapture run = salvo("bench", matrix.toString(), "--out", out.toString());
        assertThat(run.exit()).as(run.out() + run.err()).isZero();

        List<ExperimentRecord> records = BenchmarkFiles.read(List.of(out));
        ExperimentRecord realCold = record(records, "real-cold", Experiment.COLD_START);
        ExperimentRecord fakeCold = record(records, "fake-cold", Experiment.COLD_START);

        // the verdict is the driver's, from the instance ids the worker captured
        assertThat(realCold.coldCheck())
                .startsWith("verified: forced cold")
                .contains("by the platform driver, the first response after it came from")
                .contains(realCold.measured().coldStarts().get(0).instanceId());
        assertThat(fakeCold.coldCheck())
                .startsWith("NOT COLD: by the platform driver")
                .contains("an instance that answered before it");
        assertThat(run.out()).contains("WARNING: NOT COLD: by the platform driver");

        // the explicit scale-up comes just before the cold run's first request, and only for the cold run
        List<String> lines = Files.readAllLines(realEvents);
        assertThat(lines).containsSubsequence("deploy model-a", "load starting", "first request", "teardown model-a");
        assertThat(lines.stream().filter("load starting"::equals).count()).isEqualTo(1);

        // the breakdown: in the record, beside the run's report, in the report's platform section
        ExperimentRecord.PlatformBreakdown breakdown = realCold.platformBreakdown();
        assertThat(breakdown).isNotNull();
        assertThat(breakdown.coldStarts()).isEqualTo(1);
        assertThat(breakdown.warnings()).isEqualTo(1);
        assertThat(breakdown.phases())
                .extracting(p -> p.phase())
                .containsExactly("instance start", "first response", "total");
        // the scripted instance is ready cold-start-ms after it was spawned (its own timer), never before
        assertThat(breakdown.phases().get(0).medianMs()).isBetween(300L, 3_000L);
        assertThat(breakdown.file()).isEqualTo("runs/" + realCold.runId() + "-platform.json");
        JsonNode beside = JSON.readTree(out.resolve(breakdown.file()).toFile());
        assertThat(beside.get("cold_start_check").asText()).isEqualTo("verified");
        assertThat(beside.get("cold_starts").get(0).get("instance_id").asText())
                .isEqualTo(realCold.measured().coldStarts().get(0).instanceId());
        JsonNode report = JSON.readTree(out.resolve(realCold.runReport()).toFile());
        JsonNode platform = report.get("platform");
        assertThat(platform.get("version").asInt()).isEqualTo(1);
        assertThat(platform.get("cold_start_check").asText()).isEqualTo("verified");
        assertThat(platform.get("phase_table")).isEqualTo(beside.get("phase_table"));
        List<String> reasons = new ArrayList<>();
        platform.get("events").forEach(e -> reasons.add(e.get("reason").asText()));
        assertThat(reasons).contains("FailedScheduling", "Ready");
        List<Integer> ready = new ArrayList<>();
        platform.get("instance_counts").forEach(c -> ready.add(c.get("ready").asInt()));
        assertThat(ready).contains(1);
        JsonNode fakeReport = JSON.readTree(out.resolve(fakeCold.runReport()).toFile());
        assertThat(fakeReport.get("platform").get("cold_start_check").asText()).isEqualTo("reused_instance");

        // the tables: the verdict per platform and the breakdown's medians with the file's name
        String tables = Files.readString(out.resolve("tables.txt"));
        assertThat(tables).contains("cold verified");
        assertThat(rowOf(tables, "real-cold")).containsPattern(" 300 ms +yes ");
        assertThat(rowOf(tables, "fake-cold")).containsPattern(" 300 ms +NO ");
        assertThat(tables)
                .contains("Where the cold-start time went")
                .containsPattern(
                        "model-a, real-cold cold-start: 1 cold start\\(s\\); instance start \\d+\\.\\d\\d s / ")
                .contains("1 platform warning(s) (" + breakdown.file() + ")");
        // the live lines of the cold run showed the platform's warning as it was reported to the coordinator
        assertThat(run.out())
                .contains("platform: Warning FailedScheduling instance/scripted-1: 0/3 nodes are available");
    }

    private static ExperimentRecord record(List<ExperimentRecord> records, String profile, Experiment experiment) {
        return records.stream()
                .filter(r -> r.profile().equals(profile) && r.experiment() == experiment)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + experiment + " record of " + profile));
    }

    /** The first table row of a platform column: the per-model table's. */
    private static String rowOf(String tables, String profile) {
        return tables.lines()
                .filter(l -> l.trim().startsWith(profile + " "))
                .findFirst()
                .orElseThrow()
                .stripTrailing();
    }
}
