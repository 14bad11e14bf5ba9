package io.salvo.detect;

/**
 * Something a detector decided, emitted the moment the interval that decides it is fed. Offsets are
 * microseconds since the run's interval-0 instant.
 */
public sealed interface DetectionEvent {

    /** Index of the interval whose arrival decided this event. */
    long decidedAtInterval();

    /**
     * An instance served its first response (or, with {@link InstanceSource#PLATFORM_SIGNALS}, became
     * ready while the target was serving).
     *
     * @param intervalIndex              interval of the first response (platform source: of readiness)
     * @param firstResponseLatencyMicros latency of the instance's first request; null when the worker did not
     *                                   report it (only interval data) or the source is the platform
     * @param modelLoadMillis            model load time from the response header or the platform; null if neither said
     * @param responsesInInterval        responses the new instance served in that interval (0 for platform source)
     */
    record ColdStart(
            String instanceId,
            long intervalIndex,
            InstanceSource source,
            String sourceLabel,
            Long firstResponseLatencyMicros,
            Long modelLoadMillis,
            long responsesInInterval,
            long decidedAtInterval)
            implements DetectionEvent {}

    /** Time to first successful response was decided. */
    record FirstSuccess(TimeToFirstSuccess result, long decidedAtInterval) implements DetectionEvent {}

    /** The first window of W qualifying intervals closed. */
    record SteadyStateReached(SteadyState result, long decidedAtInterval) implements DetectionEvent {}

    /**
     * Instances over time, one per interval.
     *
     * @param respondingInstances distinct instance ids among this interval's responses (0 without headers)
     * @param newInstances        of those, ids never seen before
     * @param platformRunning     instances the platform had running at the interval's end; null without platform signals
     * @param platformReady       of those, ready ones; null without platform signals
     */
    record InstancesInInterval(
            long intervalIndex,
            int respondingInstances,
            int newInstances,
            Integer platformRunning,
            Integer platformReady)
            implements DetectionEvent {

        @Override
        public long decidedAtInterval() {
            return intervalIndex;
        }
    }
}
