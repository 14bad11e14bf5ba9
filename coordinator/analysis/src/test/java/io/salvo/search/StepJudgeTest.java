package io.salvo.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salvo.report.ReportFiles;
import io.salvo.report.RunReport;
import io.salvo.report.RunReport.IntervalRow;
import io.salvo.testkit.Golden;
import io.salvo.thresholds.Criterion;
import io.salvo.thresholds.CriterionSyntax;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A step's figures come from its steady-state intervals only, and its verdict blames the generator first, then a
 * missing steady state, then the objectives. The golden reports are real run shapes: one reaches steady state at
 * interval 2 after a cold start with errors, one never does.
 */
class StepJudgeTest {

    private static RunReport golden(String name) throws Exception {
        return ReportFiles.json().readValue(Golden.read(name), RunReport.class);
    }

    private static SearchSettings settings(double lagLimitMillis, double lateAllowancePercent, String... objectives)
            throws Exception {
        List<Criterion> criteria = new ArrayList<>();
        for (String o : objectives) {
            criteria.add(CriterionSyntax.parse(o));
        }
        return new SearchSettings(criteria, 10, 1000, 0.05, 2, lagLimitMillis, lateAllowancePercent, 20);
    }

    @Test
    void theFiguresCoverTheSteadyStateIntervalsAndLeaveTheColdStartOut() throws Exception {
        RunReport report = golden("report-v1.json");
        long from = report.detectors().steadyState().startInterval();
        List<IntervalRow> judged = report.intervals().stream()
                .filter(r -> r.index() >= from && r.intended() > 0)
                .toList();

        StepFigures f = StepFigures.of(100, report);

        assertThat(f.steadyState()).isTrue();
        assertThat(f.judgedIntervals()).isEqualTo(judged.size()).isEqualTo(4);
        assertThat(f.intended())
                .isEqualTo(judged.stream().mapToLong(IntervalRow::intended).sum());
        assertThat(f.sent())
                .isEqualTo(judged.stream().mapToLong(IntervalRow::sent).sum());
        assertThat(f.successes())
                .isEqualTo(judged.stream().mapToLong(IntervalRow::successes).sum());
        assertThat(f.errors().total())
                .as("the cold start's errors happened before steady state")
                .isZero();
        assertThat(report.totals().errors().total()).isPositive();
        assertThat(f.achievedRate()).isEqualTo(100.0 * f.sent() / f.intended());
        assertThat(f.p50()).isEqualTo(report.detectors().warmLatency().p50());
        assertThat(f.p99()).isEqualTo(report.detectors().warmLatency().p99());
        assertThat(f.schedulerLagP99Max())
                .isEqualTo(judged.stream()
                        .mapToDouble(r -> r.schedulerLag().p99())
                        .max()
                        .orElseThrow());
    }

    @Test
    void aStepWithinEveryObjectivePasses() throws Exception {
        StepResult step = new StepJudge(settings(1, 0.1, "p99 < 20ms", "errors < 0.1%", "achieved_rate > 95/s"))
                .judge(StepFigures.of(100, golden("report-v1.json")), "run-1");

        assertThat(step.verdict()).isEqualTo(Verdict.PASS);
        assertThat(step.objectives()).allMatch(r -> r.passed());
        assertThat(step.runId()).isEqualTo("run-1");
    }

    @Test
    void aStepOverAnObjectiveFailsAndSaysWhichWithTheObservedValue() throws Exception {
        StepResult step = new StepJudge(settings(1, 0.1, "p99 < 10ms", "errors < 0.1%"))
                .judge(StepFigures.of(100, golden("report-v1.json")), "run-1");

        assertThat(step.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(step.reason()).isEqualTo("p99 < 10ms (observed 11.999 ms)");
    }

    @Test
    void aStepThatNeverSettlesFailsEvenWithoutAnObjectiveToBreak() throws Exception {
        RunReport report = golden("report-not-steady-v1.json");
        StepFigures f = StepFigures.of(100, report);

        StepResult step = new StepJudge(settings(1_000, 100, "errors < 100%")).judge(f, "run-2");

        assertThat(f.steadyState()).isFalse();
        assertThat(f.p99()).as("no warm latency without steady state").isNull();
        assertThat(f.judgedIntervals())
                .as("without steady state every loaded interval is judged")
                .isEqualTo((int) report.intervals().stream()
                        .filter(r -> r.intended() > 0)
                        .count());
        assertThat(step.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(step.reason()).isEqualTo("no steady state within the step");
    }

    @Test
    void aLaggingGeneratorIsReportedAsSuchEvenWhenTheObjectivesFail() throws Exception {
        // Warm p99 11.999 ms breaks the objective; the target's own service time (p99 11.863 ms at least) does not.
        StepResult step = new StepJudge(settings(0.2, 0.1, "p99 < 11.9ms"))
                .judge(StepFigures.of(100, golden("report-v1.json")), "run-1");

        assertThat(step.verdict()).isEqualTo(Verdict.GENERATOR_LIMIT);
        assertThat(step.reason()).contains("scheduler lag p99 reached 0.23 ms (limit 0.20 ms)");
    }

    @Test
    void lateSendsBeyondTheAllowanceMakeAGeneratorLimitAndWithinItDoNot() throws Exception {
        StepJudge judge = new StepJudge(settings(1, 0.1, "p99 < 100ms"));

        assertThat(judge.judge(figures(1_000, 5), "r").verdict()).isEqualTo(Verdict.GENERATOR_LIMIT);
        assertThat(judge.judge(figures(1_000, 5), "r").reason()).contains("5 late sends, 0.50 %");
        assertThat(judge.judge(figures(1_000, 1), "r").verdict()).isEqualTo(Verdict.PASS);
    }

    private static StepFigures figures(long sent, long late, double wait) {
        return figures(sent, late, wait, new StepFigures.ServiceTimeFloor(5.0, 8.0, 9.0));
    }

    private static StepFigures figures(long sent, long late, double wait, StepFigures.ServiceTimeFloor floor) {
        return new StepFigures(
                100,
                true,
                10,
                sent,
                sent,
                sent,
                sent,
                new RunReport.Errors(0, 0, 0, 0, 0),
                10.0,
                20.0,
                30.0,
                0.1,
                wait,
                floor,
                late,
                0);
    }

    private static StepFigures figures(long sent, long late) {
        return figures(sent, late, 0.0);
    }

    @Test
    void requestsQueuedInTheWorkersForConnectionsAreAGeneratorLimit() throws Exception {
        StepJudge judge = new StepJudge(settings(1, 0.1, "p99 < 100ms"));

        StepResult step = judge.judge(figures(1_000, 0, 4.5), "r");

        assertThat(step.verdict()).isEqualTo(Verdict.GENERATOR_LIMIT);
        assertThat(step.reason()).contains("connection wait p99 reached 4.50 ms");
        assertThat(judge.judge(figures(1_000, 0, 0.5), "r").verdict()).isEqualTo(Verdict.PASS);
    }

    @Test
    void aTargetWhoseOwnServiceTimeBreaksTheObjectiveFailsTheStepEvenWhenTheWorkersQueued() throws Exception {
        StepJudge judge = new StepJudge(settings(1, 0.1, "p99 < 100ms", "p50 < 50ms"));
        StepFigures.ServiceTimeFloor saturated = new StepFigures.ServiceTimeFloor(40.0, 900.0, 2_400.0);

        StepResult step = judge.judge(figures(1_000, 600, 2_600, saturated), "r");

        assertThat(step.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(step.reason())
                .startsWith("the target's own service time breaks p99 < 100ms (service time p99 at least 2400")
                .doesNotContain("p50 < 50ms")
                .contains("connection wait p99 reached 2600.00 ms", "600 late sends");
        StepFigures.ServiceTimeFloor quick = new StepFigures.ServiceTimeFloor(4.0, 20.0, 60.0);
        assertThat(judge.judge(figures(1_000, 600, 2_600, quick), "r").verdict())
                .as("a target that answers within the objective leaves the waits to the workers")
                .isEqualTo(Verdict.GENERATOR_LIMIT);
        assertThat(judge.judge(figures(1_000, 600, 2_600, StepFigures.ServiceTimeFloor.NONE), "r")
                        .verdict())
                .isEqualTo(Verdict.GENERATOR_LIMIT);
    }

    @Test
    void theServiceTimeFloorIsTheLowestPercentileOfTheSettledHalfOfTheJudgedIntervals() throws Exception {
        RunReport report = golden("report-not-steady-v1.json");
        List<IntervalRow> judged =
                report.intervals().stream().filter(r -> r.intended() > 0).toList();
        List<IntervalRow> settled = judged.subList(judged.size() / 2, judged.size());

        StepFigures f = StepFigures.of(100, report);

        assertThat(settled).isNotEmpty();
        assertThat(f.serviceTimeFloor().p99())
                .isEqualTo(settled.stream()
                        .filter(r -> r.serviceTime() != null && r.serviceTime().count() > 0)
                        .mapToDouble(r -> r.serviceTime().p99())
                        .min()
                        .orElseThrow());
        assertThat(f.serviceTimeFloor().p50())
                .isLessThanOrEqualTo(f.serviceTimeFloor().p99());
    }

    @Test
    void anObjectiveAStepCannotJudgeIsRefusedNamingWhatItCanJudge() throws Exception {
        assertThatThrownBy(() -> StepFigures.requireJudgeable(CriterionSyntax.parse("time_to_steady_state < 10s")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'time_to_steady_state < 10s'")
                .hasMessageContaining("p50, p95, p99");
        StepFigures.requireJudgeable(CriterionSyntax.parse("p99 < 10ms"));
        StepFigures.requireJudgeable(CriterionSyntax.parse("errors.5xx < 1%"));
    }
}
