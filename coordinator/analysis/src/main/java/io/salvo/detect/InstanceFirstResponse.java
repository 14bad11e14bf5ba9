package io.salvo.detect;

/**
 * The first response an instance ever served, as a worker saw it: the response whose
 * {@code Salvo-Instance-Request-Seq} is 1. Not on the wire yet (see docs/detectors.md, "What the
 * worker must report"); the detectors use it when present and fall back to interval data otherwise.
 *
 * @param instanceId             value of {@code Salvo-Instance-Id}
 * @param success                the response was a 2xx
 * @param latencyMicros          completion minus intended send of that request
 * @param completedOffsetMicros  completion instant, microseconds since the run's interval-0 instant
 * @param modelLoadMillis        value of {@code Salvo-Model-Load-Ms}, or null when the header was absent
 */
public record InstanceFirstResponse(
        String instanceId, boolean success, long latencyMicros, long completedOffsetMicros, Long modelLoadMillis) {}
