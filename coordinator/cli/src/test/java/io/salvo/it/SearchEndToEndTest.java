package io.salvo.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.salvo.report.ReportFiles;
import io.salvo.target.ControllableTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `salvo search` against the built-in target with a known capacity: 4 slots held 20 ms each serve at most
 * 4 / 0.020 s = 200 requests per second (a little less in practice: a slot is held for whole timer ticks). The search
 * must bracket that capacity within the precision asked, through real coordinator and worker processes.
 */
class SearchEndToEndTest {

    private static final int SLOTS = 4;
    private static final int DELAY_MS = 20;
    private static final double CAPACITY = SLOTS * 1000.0 / DELAY_MS;
    private static final double PRECISION = 0.15;

    @TempDir
    Path dir;

    private ControllableTarget target;

    @BeforeEach
    void startTarget() {
        target = ControllableTarget.start(0);
        target.setDelay(Duration.ofMillis(DELAY_MS));
        target.setSlots(SLOTS);
    }

    @AfterEach
    void stopTarget() {
        target.close();
    }

    @Test
    void theSearchBracketsTheTargetsCapacityWithinThePrecision() throws Exception {
        Path plan = dir.resolve("plan.yaml");
        Files.writeString(
                plan, Plans.yaml(target.port(), 50, "10s", 1, """
                steadyState:
                  window: 3
                """).replace("interval: 1s", "interval: 500ms"));
        Path out = dir.resolve("results");
        SalvoProcess search = SalvoProcess.start(
                dir,
                "search",
                "search",
                plan.toString(),
                "--slo",
                "p99 < 100ms",
                "--slo",
                "errors < 1%",
                "--from",
                "50",
                "--precision",
                "15%",
                "--step-seconds",
                "15",
                "--judge-intervals",
                "4",
                // Loose on purpose: this test is about the target's capacity, and a loaded CI machine can pause
                // a worker for milliseconds; the generator-limit rule has its own tests.
                "--generator-lag-limit",
                "25ms",
                "--late-send-allowance",
                "25%",
                "--out",
                out.toString());
        try {
            assertThat(search.awaitExit(300)).as(search.output()).isZero();

            Path folder = only(out);
            JsonNode report =
                    ReportFiles.json().readTree(folder.resolve("search.json").toFile());
            assertThat(report.get("conclusion").asText()).as(search.output()).isEqualTo("converged");
            double pass = report.get("capacity_per_s").asDouble();
            double fail = report.get("lowest_failing_per_s").asDouble();
            assertThat(pass).as("highest passing rate").isBetween(CAPACITY * (1 - PRECISION), CAPACITY);
            assertThat(fail).as("lowest failing rate").isGreaterThan(pass);
            assertThat(fail - pass).isLessThanOrEqualTo(PRECISION * pass);

            JsonNode steps = report.get("steps");
            assertThat(steps.size()).isGreaterThanOrEqualTo(4);
            List<Double> judged = new ArrayList<>();
            steps.forEach(step -> {
                if (!step.get("verdict").asText().equals("generator_limit")) {
                    judged.add(step.get("rate_per_s").asDouble());
                }
            });
            assertThat(judged).as("the judged steps grow from --from, doubling").startsWith(50.0, 100.0);
            for (int i = 0; i < steps.size(); i++) {
                JsonNode step = steps.get(i);
                String verdict = step.get("verdict").asText();
                double rate = step.get("rate_per_s").asDouble();
                if (verdict.equals("generator_limit") && i + 1 < steps.size()) {
                    // A worker paused on a loaded machine voids a step; the search runs it once more, by design.
                    assertThat(steps.get(i + 1).get("rate_per_s").asDouble())
                            .as("the step after a generator limit repeats its rate")
                            .isEqualTo(rate);
                    assertThat(steps.get(i + 1).get("verdict").asText()).isIn("pass", "fail");
                    continue;
                }
                assertThat(verdict).as("step at %s/s", rate).isIn("pass", "fail");
                assertThat(verdict.equals("pass")).as("step at %s/s", rate).isEqualTo(rate <= pass);
                if (verdict.equals("pass")) {
                    assertThat(step.get("p99_ms").asDouble()).isBetween((double) DELAY_MS, 100.0);
                    assertThat(step.get("steady_state").asBoolean()).isTrue();
                }
                String runId = step.get("run_id").asText();
                assertThat(runId).isNotBlank();
            }
            try (Stream<Path> files = Files.list(folder)) {
                List<String> stepReports = files.map(p -> p.getFileName().toString())
                        .filter(n -> n.startsWith("step-") && n.endsWith(".json"))
                        .toList();
                assertThat(stepReports).hasSize(steps.size());
            }
            assertThat(search.output())
                    .contains("Highest rate within the objectives: ")
                    .contains("verdict");
        } finally {
            search.close();
        }
    }

    private static Path only(Path out) throws Exception {
        try (Stream<Path> folders = Files.list(out)) {
            List<Path> all = folders.filter(p -> p.getFileName().toString().startsWith("search-"))
                    .toList();
            assertThat(all).hasSize(1);
            return all.get(0);
        }
    }
}
