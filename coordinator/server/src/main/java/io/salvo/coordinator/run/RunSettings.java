package io.salvo.coordinator.run;

import java.time.Duration;

/**
 * Tunables with defaults fit for loopback and LAN clusters.
 *
 * @param startLead            how far ahead of the assignments a run starts (plus the slowest probe round trip)
 * @param grace                how long after its end an interval waits for missing reports before it is shown
 * @param heartbeatTimeout     how long a connected worker may be silent before it counts as lost (at least two
 *                             of the plan's intervals)
 * @param stopTimeout          how long after a stop request workers may take to report their last interval
 * @param tick                 how often each run is driven
 * @param minClockSamples      clock probe replies each worker needs before a run starts on it
 * @param finishedRunRetention how long an ended run keeps its per-interval reports, live snapshots and events
 *                             in the cluster, so that late reports still reach its result and watchers can replay
 *                             it; after that only its record and final result stay (see {@link RunArchive})
 * @param compactionMargin     how long after its grace period ended an interval of a running run has its reports
 *                             compacted into one entry (see {@link Compaction}); null: never (for comparisons)
 */
public record RunSettings(
        Duration startLead,
        Duration grace,
        Duration heartbeatTimeout,
        Duration stopTimeout,
        Duration tick,
        int minClockSamples,
        Duration finishedRunRetention,
        Duration compactionMargin) {

    /** Reports stay raw for the grace period plus this, then their interval is compacted. */
    public static final Duration DEFAULT_COMPACTION_MARGIN = Duration.ofSeconds(2);

    public RunSettings {
        if (compactionMargin != null && compactionMargin.isNegative()) {
            throw new IllegalArgumentException("compactionMargin must not be negative, got " + compactionMargin);
        }
        if (finishedRunRetention.isNegative() || finishedRunRetention.isZero()) {
            throw new IllegalArgumentException("finishedRunRetention must be positive, got " + finishedRunRetention);
        }
    }

    public static RunSettings defaults() {
        // A worker silent for two intervals is lost; at least 3 s (three missed 1 s heartbeats), so
        // a JVM pause on a loaded machine is not mistaken for a crash. A broken stream is detected at once.
        // Ten minutes covers a worker that lost the coordinator near the end and re-delivers its buffer.
        return new RunSettings(
                Duration.ofMillis(1000),
                Duration.ofMillis(1500),
                Duration.ofSeconds(3),
                Duration.ofSeconds(10),
                Duration.ofMillis(50),
                3,
                Duration.ofMinutes(10),
                DEFAULT_COMPACTION_MARGIN);
    }

    public RunSettings withStartLead(Duration value) {
        return new RunSettings(
                value,
                grace,
                heartbeatTimeout,
                stopTimeout,
                tick,
                minClockSamples,
                finishedRunRetention,
                compactionMargin);
    }

    public RunSettings withGrace(Duration value) {
        return new RunSettings(
                startLead,
                value,
                heartbeatTimeout,
                stopTimeout,
                tick,
                minClockSamples,
                finishedRunRetention,
                compactionMargin);
    }

    public RunSettings withHeartbeatTimeout(Duration value) {
        return new RunSettings(
                startLead, grace, value, stopTimeout, tick, minClockSamples, finishedRunRetention, compactionMargin);
    }

    public RunSettings withStopTimeout(Duration value) {
        return new RunSettings(
                startLead,
                grace,
                heartbeatTimeout,
                value,
                tick,
                minClockSamples,
                finishedRunRetention,
                compactionMargin);
    }

    public RunSettings withTick(Duration value) {
        return new RunSettings(
                startLead,
                grace,
                heartbeatTimeout,
                stopTimeout,
                value,
                minClockSamples,
                finishedRunRetention,
                compactionMargin);
    }

    public RunSettings withMinClockSamples(int value) {
        return new RunSettings(
                startLead, grace, heartbeatTimeout, stopTimeout, tick, value, finishedRunRetention, compactionMargin);
    }

    public RunSettings withFinishedRunRetention(Duration value) {
        return new RunSettings(
                startLead, grace, heartbeatTimeout, stopTimeout, tick, minClockSamples, value, compactionMargin);
    }

    public RunSettings withCompactionMargin(Duration value) {
        return new RunSettings(
                startLead, grace, heartbeatTimeout, stopTimeout, tick, minClockSamples, finishedRunRetention, value);
    }

    /** The margin as a run takes it: nanoseconds, negative when compaction is off. */
    long compactionMarginNanos() {
        return compactionMargin == null ? -1 : compactionMargin.toNanos();
    }
}
