package io.salvo.detect;

/**
 * Thresholds of the live detectors. They are copied into every result so a reader knows which rule
 * produced it.
 *
 * @param intervalMicros        length of one reporting interval, microseconds
 * @param steadyWindowIntervals W: consecutive intervals that must all qualify (default 5)
 * @param minSuccessRateRatio   successful responses per second must reach this fraction of the target rate (0.95)
 * @param maxErrorRatio         errors / responses must not exceed this (0.001, i.e. 0.1 %)
 * @param maxP95Spread          how far the window's p95s of successful latency may differ: the largest lower
 *                              99 % bound at most this times the smallest upper bound (1.10; with many samples
 *                              Triton perf_analyzer's max/min stability rule; see {@link QuantileBounds})
 * @param instanceHeader        captured response header naming the instance that served a response
 */
public record DetectorSettings(
        long intervalMicros,
        int steadyWindowIntervals,
        double minSuccessRateRatio,
        double maxErrorRatio,
        double maxP95Spread,
        String instanceHeader) {

    public static final String INSTANCE_ID_HEADER = "Salvo-Instance-Id";

    public DetectorSettings {
        if (intervalMicros <= 0) {
            throw new IllegalArgumentException("interval must be positive, got " + intervalMicros + " us");
        }
        if (steadyWindowIntervals < 1) {
            throw new IllegalArgumentException(
                    "steady-state window must be at least 1 interval, got " + steadyWindowIntervals);
        }
        if (minSuccessRateRatio <= 0 || minSuccessRateRatio > 1) {
            throw new IllegalArgumentException("success-rate ratio must be in (0, 1], got " + minSuccessRateRatio);
        }
        if (maxErrorRatio < 0 || maxErrorRatio >= 1) {
            throw new IllegalArgumentException("error ratio must be in [0, 1), got " + maxErrorRatio);
        }
        if (maxP95Spread < 1) {
            throw new IllegalArgumentException("p95 spread (max/min) must be at least 1, got " + maxP95Spread);
        }
    }

    /** The documented defaults (docs/detectors.md) for intervals of the given length. */
    public static DetectorSettings defaults(long intervalMillis) {
        return new DetectorSettings(intervalMillis * 1000, 5, 0.95, 0.001, 1.10, INSTANCE_ID_HEADER);
    }

    public DetectorSettings withSteadyWindow(int intervals) {
        return new DetectorSettings(
                intervalMicros, intervals, minSuccessRateRatio, maxErrorRatio, maxP95Spread, instanceHeader);
    }
}
