package io.salvo.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.proto.v1.RunResult;
import io.salvo.report.RunReport.ThresholdRow;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The plan's thresholds judged on the report of the fixed runs of {@link GoldenRuns}, in JSON and on the console. */
class ReportThresholdsTest {

    @Test
    void eachCriterionIsJudgedOnTheReportsOwnFigure() {
        RunReport report = RunReport.from(GoldenRuns.steady());

        assertThat(report.thresholds())
                .extracting(ThresholdRow::criterion, ThresholdRow::passed)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("p99 < 2s", true),
                        org.assertj.core.groups.Tuple.tuple("errors < 0.1%", false),
                        org.assertj.core.groups.Tuple.tuple("warm.p50 <= 12ms", true),
                        org.assertj.core.groups.Tuple.tuple("steady_state: reached", true),
                        org.assertj.core.groups.Tuple.tuple("time_to_first_response < 5s", true));
        RunReport.Totals t = report.totals();
        assertThat(report.thresholds().get(0).observed()).isEqualTo(t.latency().p99());
        assertThat(report.thresholds().get(1).observed())
                .isEqualTo(100.0 * t.errors().total() / t.requests());
        assertThat(report.thresholds().get(2).observed())
                .isEqualTo(report.detectors().warmLatency().p50());
        assertThat(report.thresholds().get(4).observed())
                .isEqualTo(report.detectors().timeToFirstSuccess().millis());
        assertThat(report.thresholds().get(4).abortOnFail()).isTrue();
        assertThat(report.anyThresholdFailed()).isTrue();
    }

    @Test
    void aFigureTheRunDoesNotHaveFailsWithNoValue() {
        RunReport report = RunReport.from(GoldenRuns.notSteady(), GoldenRuns.notSteadyPlatform());

        ThresholdRow warm = report.thresholds().get(0);
        assertThat(warm.figure()).isEqualTo("warm.p99");
        assertThat(warm.observed()).isNull();
        assertThat(warm.passed()).isFalse();
        assertThat(report.thresholds().get(1).observed()).isEqualTo(0.0);
        assertThat(report.thresholds().get(2).observed())
                .isEqualTo((double) report.totals().errors().status5xx());
    }

    @Test
    void aPlanWithoutThresholdsHasNoneAndNothingFailed() {
        RunResult result = GoldenRuns.steady();
        RunResult without = result.toBuilder()
                .setPlan(result.getPlan().toBuilder().clearThresholds())
                .build();

        RunReport report = RunReport.from(without);

        assertThat(report.thresholds()).isEmpty();
        assertThat(report.anyThresholdFailed()).isFalse();
        assertThat(console(report)).doesNotContain("Thresholds");
    }

    @Test
    void theConsoleEndsOnOnePassOrFailLinePerCriterion() {
        String steady = console(RunReport.from(GoldenRuns.steady()));
        String notSteady = console(RunReport.from(GoldenRuns.notSteady(), GoldenRuns.notSteadyPlatform()));

        assertThat(steady)
                .contains("Thresholds: 1 of 5 FAILED")
                .contains("  PASS  p99 < 2s                      latency.p99 = 1004.031 ms")
                .contains("  FAIL  errors < 0.1%                 error_rate = 14.652 %")
                .contains("  PASS  time_to_first_response < 5s   time_to_first_success = 1818 ms   (abortOnFail)");
        assertThat(notSteady)
                .contains("Thresholds: 3 of 3 FAILED")
                .contains("  FAIL  warm.p99 < 100ms          warm.p99 = no value")
                .contains("  FAIL  steady_state == reached   steady_state = not_reached");
        assertThat(steady.strip().lines().reduce((a, b) -> b).orElseThrow()).contains("time_to_first_response");
    }

    private static String console(RunReport report) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ConsoleReport.print(report, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
