package io.salvo.detect;

/**
 * Time to first successful response: from the first request sent to the (cold) target to the first 2xx
 * completion. With sub-interval marks from the workers it is exact; with interval data alone it is only
 * known to lie between two bounds, and {@link #micros()} is the upper bound.
 *
 * @param firstSendOffsetMicros    first send, microseconds since run start (interval start without marks)
 * @param firstSuccessOffsetMicros first 2xx completion, microseconds since run start (interval end without marks)
 * @param micros                   firstSuccess - firstSend (the upper bound when resolution is INTERVAL)
 * @param lowerBoundMicros         smallest value consistent with the data
 * @param errorsBefore             error outcomes completed before the first 2xx
 * @param errorsBeforeIsUpperBound true when errors of the first success's interval were all counted because their
 *                                 instants relative to the first 2xx are unknown
 */
public record TimeToFirstSuccess(
        long firstSendOffsetMicros,
        long firstSuccessOffsetMicros,
        long micros,
        long lowerBoundMicros,
        Resolution resolution,
        long errorsBefore,
        boolean errorsBeforeIsUpperBound,
        long firstSendInterval,
        long firstSuccessInterval) {

    public enum Resolution {
        /** From per-request instants reported by the workers. */
        EXACT,
        /** From interval indexes only: the true value lies in [lowerBound, micros]. */
        INTERVAL
    }
}
