package io.salvo.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.salvo.report.ReportFiles;
import io.salvo.target.ControllableTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `salvo run` with thresholds, as a CI job runs it: a local run against a controllable target, exit code and JSON. */
class ThresholdsEndToEndTest {

    @TempDir
    Path dir;

    private ControllableTarget target;

    @BeforeEach
    void startTarget() {
        target = ControllableTarget.start(0);
    }

    @AfterEach
    void stopTarget() {
        target.close();
    }

    @Test
    void aFailingThresholdExitsWith99AndTheReportsMarkIt() throws Exception {
        target.setDelay(Duration.ofMillis(20));
        SalvoProcess run = run(Plans.yaml(target.port(), 50, "3s", 1, """
                thresholds:
                  - p99 < 1ms
                  - errors == 0
                  - p50 < 10s
                """));
        try {
            assertThat(run.awaitExit(120)).as(run.output()).isEqualTo(99);

            JsonNode report = report();
            assertThat(report.at("/run/state").asText()).isEqualTo("completed");
            JsonNode thresholds = report.get("thresholds");
            assertThat(thresholds).hasSize(3);
            assertThat(thresholds.get(0).get("criterion").asText()).isEqualTo("p99 < 1ms");
            assertThat(thresholds.get(0).get("figure").asText()).isEqualTo("latency.p99");
            assertThat(thresholds.get(0).get("observed").asDouble()).isGreaterThanOrEqualTo(20.0);
            assertThat(thresholds.get(0).get("passed").asBoolean()).isFalse();
            assertThat(thresholds.get(1).get("passed").asBoolean()).isTrue();
            assertThat(thresholds.get(2).get("passed").asBoolean()).isTrue();
            assertThat(run.output())
                    .contains("Thresholds: 1 of 3 FAILED")
                    .containsPattern("FAIL  p99 < 1ms +latency\\.p99 = [0-9.]+ ms")
                    .contains("PASS  errors == 0");
        } finally {
            run.close();
        }
    }

    /** What a green CI job sees: every criterion passed, exit 0, and the reports say so. */
    @Test
    void thresholdsThatAllPassExitZero() throws Exception {
        target.setDelay(Duration.ofMillis(5));
        SalvoProcess run = run(Plans.yaml(target.port(), 20, "2s", 1, """
                thresholds:
                  - p99 < 10s
                  - errors == 0
                  - check: max < 10s
                    abortOnFail: true
                  - time_to_first_response < 30s
                  - time_to_first_byte.p99 < 10s
                  - connection_wait.max < 10s
                  - achieved_rate > 1/s
                """));
        try {
            assertThat(run.awaitExit(120)).as(run.output()).isZero();

            JsonNode report = report();
            assertThat(report.at("/run/state").asText()).isEqualTo("completed");
            JsonNode thresholds = report.get("thresholds");
            assertThat(thresholds).hasSize(7);
            thresholds.forEach(t ->
                    assertThat(t.get("passed").asBoolean()).as(t.toString()).isTrue());
            assertThat(thresholds.get(4).get("figure").asText()).isEqualTo("time_to_first_byte.p99");
            assertThat(thresholds.get(4).get("observed").asDouble())
                    .isEqualTo(report.at("/totals/time_to_first_byte/p99_ms").asDouble());
            assertThat(thresholds.get(5).get("observed").asDouble())
                    .isEqualTo(report.at("/totals/connection_wait/max_ms").asDouble());
            assertThat(run.output()).contains("Thresholds: all 7 passed").doesNotContain("FAIL ");
        } finally {
            run.close();
        }
    }

    @Test
    void abortOnFailStopsTheRunOnceTheCriterionCanNoLongerPass() throws Exception {
        target.setStatus(500);
        // 50/s for 60 s: at most 3,001 responses, so 31 errors already break "errors < 1%" about a second in
        SalvoProcess run = run(Plans.yaml(target.port(), 50, "60s", 1, """
                thresholds:
                  - check: errors < 1%
                    abortOnFail: true
                """));
        try {
            assertThat(run.awaitExit(120)).as(run.output()).isEqualTo(99);

            JsonNode report = report();
            assertThat(report.at("/run/state").asText()).isEqualTo("stopped");
            assertThat(report.at("/run/message").asText())
                    .contains("errors < 1%")
                    .contains("abortOnFail");
            // stopped long before the 60 s of load: a loaded machine may take a few intervals to get there
            assertThat(report.at("/totals/sent").asLong()).as("sent").isLessThan(1_500);
            assertThat(report.at("/thresholds/0/passed").asBoolean()).isFalse();
            assertThat(report.at("/thresholds/0/abort_on_fail").asBoolean()).isTrue();
            assertThat(report.at("/thresholds/0/observed").asDouble()).isEqualTo(100.0);
            assertThat(run.output()).contains("threshold 'errors < 1%' can no longer pass");
        } finally {
            run.close();
        }
    }

    private SalvoProcess run(String plan) throws Exception {
        Path file = dir.resolve("plan.yaml");
        Files.writeString(file, plan);
        return SalvoProcess.start(
                dir,
                "run",
                "run",
                file.toString(),
                "--out",
                dir.resolve("results").toString());
    }

    private JsonNode report() throws Exception {
        try (Stream<Path> files = Files.list(dir.resolve("results"))) {
            Path json = files.filter(p -> p.toString().endsWith(".json"))
                    .findFirst()
                    .orElseThrow();
            return ReportFiles.json().readTree(json.toFile());
        }
    }
}
