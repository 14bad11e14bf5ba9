package io.salvo.detect;

import io.salvo.detect.TimeToFirstSuccess.Resolution;

/**
 * Decides the time to first successful response. Each end of the span is known either exactly (a
 * worker-reported instant) or only as an interval; the result carries both bounds, so a reader never
 * mistakes interval resolution for a measurement.
 */
final class FirstSuccessDetector {

    private final long intervalMicros;
    private long firstSendInterval = -1;
    private Long firstSendExact;
    private long errorsBefore;
    private TimeToFirstSuccess result;

    FirstSuccessDetector(long intervalMicros) {
        this.intervalMicros = intervalMicros;
    }

    /** The result, the first time an interval contains a 2xx; null otherwise. */
    TimeToFirstSuccess accept(IntervalObservation interval) {
        if (result != null) {
            return null;
        }
        IntervalObservation.PreciseMarks marks = interval.precise();
        if (firstSendInterval < 0 && (interval.sent() > 0 || interval.responses() > 0)) {
            firstSendInterval = interval.index();
            firstSendExact = marks.firstSendOffsetMicros();
        }
        long intervalStart = interval.index() * intervalMicros;
        if (interval.successes() == 0) {
            errorsBefore += interval.errors();
            return null;
        }
        boolean errorsUpperBound;
        if (marks.firstSuccessOffsetMicros() != null && marks.errorCompletionOffsets() != null) {
            long successWithinInterval = marks.firstSuccessOffsetMicros() - intervalStart;
            errorsBefore += successWithinInterval <= 0
                    ? 0
                    : marks.errorCompletionOffsets().getCountBetweenValues(0, successWithinInterval - 1);
            errorsUpperBound = false;
        } else {
            errorsBefore += interval.errors();
            errorsUpperBound = interval.errors() > 0;
        }
        long sendLow = firstSendExact != null ? firstSendExact : firstSendInterval * intervalMicros;
        long sendHigh = firstSendExact != null ? firstSendExact : (firstSendInterval + 1) * intervalMicros;
        long successLow = marks.firstSuccessOffsetMicros() != null ? marks.firstSuccessOffsetMicros() : intervalStart;
        long successHigh = marks.firstSuccessOffsetMicros() != null
                ? marks.firstSuccessOffsetMicros()
                : intervalStart + intervalMicros;
        boolean exact = firstSendExact != null && marks.firstSuccessOffsetMicros() != null;
        result = new TimeToFirstSuccess(
                sendLow,
                successHigh,
                successHigh - sendLow,
                Math.max(0, successLow - sendHigh),
                exact ? Resolution.EXACT : Resolution.INTERVAL,
                errorsBefore,
                errorsUpperBound,
                firstSendInterval,
                interval.index());
        return result;
    }

    TimeToFirstSuccess result() {
        return result;
    }
}
