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
     * interval, or late sends beyond the allowance) did not offer the rate it names, so its latency says nothing certain about the
     * target; so is a step whose requests waited in the workers for a free connection. Then steady state: a rate the target cannot settle at is above its capacity. Then the objectives.
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
}
