package io.salvo.thresholds;

/**
 * A criterion judged on a report.
 *
 * @param observed the figure's value in the figure's unit, or null when the run has none (no warm latency without
 *                 steady state, no time to first success without a success); a criterion without a value fails
 */
public record ThresholdResult(Criterion criterion, Double observed, boolean passed) {}
