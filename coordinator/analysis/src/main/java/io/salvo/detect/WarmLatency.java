package io.salvo.detect;

/**
 * Latency of successful responses over steady-state intervals, from instances already warm, read from
 * one exactly merged histogram (never averaged percentiles).
 *
 * @param count                 responses in the merge
 * @param p50Micros             -1 when count is 0
 * @param steadyIntervals       intervals that belong to at least one qualifying window
 * @param coldExcludedResponses successful responses left out because they met a cold instance
 * @param coldExclusion         how those were identified
 */
public record WarmLatency(
        long count,
        long p50Micros,
        long p95Micros,
        long p99Micros,
        long steadyIntervals,
        long coldExcludedResponses,
        ColdExclusion coldExclusion) {

    public enum ColdExclusion {
        /** Workers reported the latency of requests sent before their instance was ready; subtracted exactly. */
        COLD_REQUEST_HISTOGRAMS,
        /** Only interval data: every interval in which a cold start happened is left out entirely. */
        INTERVALS_WITH_COLD_STARTS
    }
}
