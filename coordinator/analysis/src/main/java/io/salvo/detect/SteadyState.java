package io.salvo.detect;

/**
 * Time to steady state: the start of the first run of W consecutive intervals that each reach the
 * success rate and error thresholds and whose p95 latencies stay within the spread.
 *
 * @param reached            false means "not reached" within the intervals seen; the other fields are then -1
 * @param startInterval      first interval of the first qualifying window
 * @param startOffsetMicros  its start, microseconds since run start (the time to steady state)
 * @param windowMinP95Micros smallest p95 of successful latency in that window
 * @param windowMaxP95Micros largest
 * @param settings           thresholds used
 */
public record SteadyState(
        boolean reached,
        long startInterval,
        long startOffsetMicros,
        long windowMinP95Micros,
        long windowMaxP95Micros,
        DetectorSettings settings) {

    static SteadyState notReached(DetectorSettings settings) {
        return new SteadyState(false, -1, -1, -1, -1, settings);
    }
}
