package io.salvo.search;

import io.salvo.thresholds.Criterion;
import java.util.List;

/**
 * How a capacity search proceeds.
 *
 * @param objectives the criteria every step must meet on its steady-state intervals ({@link StepFigures} lists the
 *     figures they may name)
 * @param startRate the first step's rate, requests per second
 * @param maxRate the highest rate tried; a search whose step at this rate passes ends with "at least maxRate"
 * @param precision the relative width of the final bracket: the search stops when the lowest failing rate exceeds the
 *     highest passing one by at most this fraction of it (0.05 = 5 %)
 * @param growth the factor between steps while every step passes (2 doubles the rate)
 * @param generatorLagLimitMillis a step whose scheduler lag p99 exceeds this in any judged interval is a generator
 *     limit
 * @param maxLateSendPercent a step whose late sends exceed this share of its sends (in percent) is a generator limit;
 *     a small allowance keeps one pause of the worker's JVM from voiding a step
 * @param maxSteps a bound on the number of steps, so a search always ends
 */
public record SearchSettings(
        List<Criterion> objectives,
        double startRate,
        double maxRate,
        double precision,
        double growth,
        double generatorLagLimitMillis,
        double maxLateSendPercent,
        int maxSteps) {

    public SearchSettings {
        objectives = List.copyOf(objectives);
        if (objectives.isEmpty()) {
            throw new IllegalArgumentException("a capacity search needs at least one objective");
        }
        if (!(startRate > 0) || !(maxRate >= startRate)) {
            throw new IllegalArgumentException(
                    "the rates must satisfy 0 < start <= max, got start " + startRate + "/s and max " + maxRate + "/s");
        }
        if (!(precision > 0 && precision < 1)) {
            throw new IllegalArgumentException(
                    "precision must be above 0 % and below 100 %, got " + 100 * precision + " %");
        }
        if (!(growth > 1)) {
            throw new IllegalArgumentException("growth must exceed 1, got " + growth);
        }
        if (!(generatorLagLimitMillis > 0)) {
            throw new IllegalArgumentException("the generator lag limit must be above 0 ms");
        }
        if (!(maxLateSendPercent >= 0 && maxLateSendPercent <= 100)) {
            throw new IllegalArgumentException("the late-send allowance must be 0..100 %, got " + maxLateSendPercent);
        }
        if (maxSteps < 1) {
            throw new IllegalArgumentException("maxSteps must be at least 1");
        }
    }
}
