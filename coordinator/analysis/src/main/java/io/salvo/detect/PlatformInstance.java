package io.salvo.detect;

/**
 * One instance as the platform (not the responses) saw it; offsets are microseconds since the run's
 * interval-0 instant, converted by whoever adapts a platform driver's signals. Null means "not yet" or
 * "unknown".
 */
public record PlatformInstance(
        String instanceId,
        long spawnedOffsetMicros,
        Long readyOffsetMicros,
        Long stoppedOffsetMicros,
        Long modelLoadMillis) {

    /** True when the instance was ready and not stopped at {@code offsetMicros}. */
    public boolean readyAt(long offsetMicros) {
        return readyOffsetMicros != null
                && readyOffsetMicros <= offsetMicros
                && (stoppedOffsetMicros == null || stoppedOffsetMicros > offsetMicros);
    }

    /** True when the process existed (spawned, not stopped) at {@code offsetMicros}. */
    public boolean runningAt(long offsetMicros) {
        return spawnedOffsetMicros <= offsetMicros
                && (stoppedOffsetMicros == null || stoppedOffsetMicros > offsetMicros);
    }
}
