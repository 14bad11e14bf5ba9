package io.salvo.search;

import io.salvo.thresholds.ThresholdResult;
import io.salvo.thresholds.Thresholds;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Gives a step its verdict. Pure. */
public final class StepJudge {

    private final SearchSettings settings;

    public StepJudge(SearchSettings settings) {
        this.settings = settings;
    }

    /**
     * The generator is judged first: a step whose workers lagged (scheduler lag P99 over the limit in a judged
     * interval, or late sends beyond the allowance) did not offer the rate it names, so its latency says nothing
     * certain about the target; so is a step whose requests waited in the workers for a free connection. Unless the
     * target's own service time already breaks a latency objective: then the waits are the target's doing and the
     * step fails. Then steady state: a rate the target cannot settle at is above its capacity. Then the objectives.
     */
    public StepResult judge(StepFigures figures, String runId) {
        List<ThresholdResult> results = Thresholds.evaluate(settings.objectives(), figures::value);
        List<String> generator = new ArrayList<>();
        if (figures.schedulerLagP99Max() != null && figures.schedulerLagP99Max() > settings.generatorLagLimitMillis()) {
            generator.add(String.format(
                    Locale.ROOT,
                    "scheduler lag p99 reached %.2f ms (limit %.2f ms)",
                    figures.schedulerLagP99Max(),
                    settings.generatorLagLimitMillis()));
        }
        if (figures.connectionWaitP99Max() != null
                && figures.connectionWaitP99Max() > settings.generatorLagLimitMillis()) {
            generator.add(String.format(
                    Locale.ROOT,
                    "connection wait p99 reached %.2f ms (limit %.2f ms): the workers queued for connections"
                            + " (raise maxConnections or add workers)",
                    figures.connectionWaitP99Max(),
                    settings.generatorLagLimitMillis()));
        }
        double latePercent = figures.sent() == 0 ? 0 : 100.0 * figures.lateSends() / figures.sent();
        if (latePercent > settings.maxLateSendPercent()) {
            generator.add(String.format(
                    Locale.ROOT,
                    "%d late sends, %.2f %% of the sends (allowance %.2f %%)",
                    figures.lateSends(),
                    latePercent,
                    settings.maxLateSendPercent()));
        }
        if (!generator.isEmpty()) {
            List<String> brokenByTheTarget = brokenByServiceTime(figures);
            if (!brokenByTheTarget.isEmpty()) {
                return new StepResult(
                        figures,
                        results,
                        Verdict.FAIL,
                        "the target's own service time breaks " + String.join("; ", brokenByTheTarget)
                                + ": it held the workers' connections, so their waits ("
                                + String.join(", ", generator) + ") follow from the target",
                        runId);
            }
            return new StepResult(
                    figures,
                    results,
                    Verdict.GENERATOR_LIMIT,
                    "the workers could not send on time: " + String.join(", ", generator),
                    runId);
        }
        if (!figures.steadyState()) {
            return new StepResult(figures, results, Verdict.FAIL, "no steady state within the step", runId);
        }
        List<String> failed = results.stream()
                .filter(r -> !r.passed())
                .map(r -> r.criterion().text() + " (observed "
                        + (r.observed() == null
                                ? "nothing"
                                : r.criterion().figure().format(r.observed()))
                        + ")")
                .toList();
        if (!failed.isEmpty()) {
            return new StepResult(figures, results, Verdict.FAIL, String.join("; ", failed), runId);
        }
        return new StepResult(figures, results, Verdict.PASS, "every objective held", runId);
    }

    /**
     * The latency objectives the target's service time alone breaks, with the bound observed. A target past its
     * capacity holds every connection a worker may open, so the workers queue and send late: those are its
     * symptoms, not a generator limit, once the service time (which leaves out any wait in the workers) is over
     * the objective by itself.
     */
    private List<String> brokenByServiceTime(StepFigures figures) {
        StepFigures.ServiceTimeFloor floor = figures.serviceTimeFloor();
        if (floor == null) {
            return List.of();
        }
        return Thresholds.evaluate(settings.objectives(), floor::of).stream()
                .filter(r -> r.observed() != null && !r.passed())
                .map(r -> r.criterion().text() + " (service time "
                        + r.criterion()
                                .figure()
                                .name()
                                .substring(r.criterion().figure().name().indexOf('.') + 1)
                        + " at least " + r.criterion().figure().format(r.observed()) + " in every settled interval)")
                .toList();
    }
}
