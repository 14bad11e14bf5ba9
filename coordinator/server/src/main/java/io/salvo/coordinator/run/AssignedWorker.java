package io.salvo.coordinator.run;

import io.salvo.coordinator.cluster.RunRecord.WorkerRecord;
import io.salvo.coordinator.cluster.SealedCounts;
import io.salvo.coordinator.cluster.SentSeries;
import io.salvo.proto.v1.Slice;
import io.salvo.proto.v1.WorkerHello;

/**
 * One worker of a run as its leader sees it: its slice, its current stream (none while it reconnects),
 * how it ended, and what it reported sending. Changes of slice, stream and end are made by the run under
 * its lock; the counts under this object's monitor, by whichever thread merged the report.
 */
final class AssignedWorker {

    final String workerId;
    final WorkerHello hello;
    final long clockOffsetNanos;
    final long clockRoundTripNanos;
    /** The latest slice; replaced at each re-slice. */
    volatile Slice slice;
    /** The worker's current stream; null while it reconnects after its coordinator left. */
    volatile WorkerChannel channel;
    /** The stream the run's request bodies were last sent on; they go again on any other. */
    volatile WorkerChannel bodiesSentOn;

    /** When a worker without a stream counts as lost (meaningful only while {@link #channel} is null). */
    volatile long reconnectDeadlineUnixNanos;

    volatile boolean finished;
    volatile boolean lost;
    /** Guarded by this. */
    long sent;
    /** Guarded by this. */
    long completed;
    /** Guarded by this: requests sent per interval (or group of intervals, for long plans). */
    final SentSeries sentByInterval;

    /** @param maxIntervalIndex the largest interval index the run's reports may carry (groups the series) */
    AssignedWorker(
            String workerId,
            WorkerHello hello,
            Slice slice,
            long clockOffsetNanos,
            long clockRoundTripNanos,
            long maxIntervalIndex) {
        this.sentByInterval = new SentSeries(maxIntervalIndex);
        this.workerId = workerId;
        this.hello = hello;
        this.slice = slice;
        this.clockOffsetNanos = clockOffsetNanos;
        this.clockRoundTripNanos = clockRoundTripNanos;
    }

    /** A worker joining with its stream, its clock estimate taken from it. */
    static AssignedWorker of(WorkerChannel channel, Slice slice, long maxIntervalIndex) {
        AssignedWorker w = new AssignedWorker(
                channel.workerId(),
                channel.hello(),
                slice,
                channel.clockOffsetNanos(),
                channel.clockRoundTripNanos(),
                maxIntervalIndex);
        w.channel = channel;
        return w;
    }

    /** A worker as a run's stored record has it, without a stream until it reconnects. */
    static AssignedWorker restore(WorkerRecord record, long reconnectDeadlineUnixNanos, long maxIntervalIndex) {
        AssignedWorker w = new AssignedWorker(
                record.workerId(),
                record.hello(),
                record.slice(),
                record.clockOffsetNanos(),
                record.clockRoundTripNanos(),
                maxIntervalIndex);
        w.finished = record.finished();
        w.lost = record.lost();
        w.reconnectDeadlineUnixNanos = reconnectDeadlineUnixNanos;
        return w;
    }

    /** Neither finished nor lost: it carries part of the load. */
    boolean live() {
        return !finished && !lost;
    }

    int weight() {
        return Math.max(1, hello.getWeight());
    }

    /** The region label the worker announced ("" when none). */
    String region() {
        return hello.getRegion();
    }

    synchronized void countReport(long intervalIndex, long sentInInterval, long completedInInterval) {
        sent += sentInInterval;
        completed += completedInInterval;
        sentByInterval.add(intervalIndex, sentInInterval);
    }

    /** Counts what the worker's reports of the run's sealed intervals counted (a new leader, from the store). */
    synchronized void countSealed(SealedCounts.Worker sealed) {
        sent += sealed.sent();
        completed += sealed.completed();
        sentByInterval.addAll(sealed.series());
    }
}
