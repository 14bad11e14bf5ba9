package io.salvo.search;

import io.salvo.thresholds.ThresholdResult;
import java.util.List;

/**
 * One judged step of a capacity search.
 *
 * @param figures what the step measured on its judged intervals
 * @param objectives each objective's result, in the order given
 * @param verdict the step's verdict
 * @param reason why, in words: the failed objectives, the missing steady state, or the generator's lag
 * @param runId the run that carried the step, whose report holds every figure
 */
public record StepResult(
        StepFigures figures, List<ThresholdResult> objectives, Verdict verdict, String reason, String runId) {

    public StepResult {
        objectives = List.copyOf(objectives);
    }

    public double rate() {
        return figures.rate();
    }
}
