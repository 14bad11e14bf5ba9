package io.salvo.coordinator.run;

import io.salvo.coordinator.cluster.RunRecord;
import io.salvo.proto.v1.RunPlan;

/**
 * What a run is and how long things in it may take, fixed when it starts: its id, plan, seed and start
 * instant, and the waits derived from them. A coordinator taking the run over gets the same from the run's
 * record, except the stop timeout, which is its own.
 *
 * @param startUnixNanos        interval 0 begins here, coordinator clock
 * @param graceNanos            how long after its end an interval waits for missing reports before it is shown
 * @param heartbeatTimeoutNanos how long a connected worker may be silent before it counts as lost
 * @param stopTimeoutNanos      how long after a stop request workers may take to report their last interval
 * @param compactionMarginNanos how long after its grace period ended an interval's reports are compacted (see
 *                              {@link Compaction}); negative: never. Like the stop timeout, the leader's own.
 */
public record RunSpec(
        String id,
        RunPlan plan,
        long seed,
        long startUnixNanos,
        long graceNanos,
        long heartbeatTimeoutNanos,
        long stopTimeoutNanos,
        long compactionMarginNanos) {

    /** With the default compaction margin. */
    public RunSpec(
            String id,
            RunPlan plan,
            long seed,
            long startUnixNanos,
            long graceNanos,
            long heartbeatTimeoutNanos,
            long stopTimeoutNanos) {
        this(
                id,
                plan,
                seed,
                startUnixNanos,
                graceNanos,
                heartbeatTimeoutNanos,
                stopTimeoutNanos,
                RunSettings.DEFAULT_COMPACTION_MARGIN.toNanos());
    }

    /** Workers must have finished by the end of the load, plus the drain, plus this much. */
    static final long DEADLINE_SLACK_NANOS = 30_000_000_000L;

    /** The run as its record has it, with this coordinator's stop timeout and compaction margin. */
    static RunSpec of(RunRecord record, long stopTimeoutNanos, long compactionMarginNanos) {
        return new RunSpec(
                record.runId(),
                record.plan(),
                record.seed(),
                record.startUnixNanos(),
                record.graceNanos(),
                record.heartbeatTimeoutNanos(),
                stopTimeoutNanos,
                compactionMarginNanos);
    }

    long intervalNanos() {
        return plan.getIntervalMillis() * 1_000_000L;
    }

    /** How long a worker whose coordinator left may take to reconnect before it counts as lost. */
    long reconnectWindowNanos() {
        return Math.max(2 * heartbeatTimeoutNanos, 5_000_000_000L);
    }

    /** Silence is judged a few times per heartbeat timeout, not on every tick. */
    long silenceCheckNanos() {
        return Math.min(250_000_000L, heartbeatTimeoutNanos / 4);
    }

    /** When workers that have not finished stop being waited for: load, drain and {@link #DEADLINE_SLACK_NANOS}. */
    long deadlineUnixNanos(long loadNanos) {
        return startUnixNanos + loadNanos + plan.getRequestTimeoutMillis() * 1_000_000L + DEADLINE_SLACK_NANOS;
    }
}
