package io.salvo.worker.recording;

import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.proto.v1.CapturedHeader;
import io.salvo.proto.v1.HeaderValueCount;
import io.salvo.proto.v1.InstanceFirstResponse;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeHistograms;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;

/**
 * Interval recording for one run on one worker: hands out a {@link LaneRecorder} per writer
 * thread and harvests them into {@link IntervalReport}s.
 *
 * <h2>Interval semantics</h2>
 * Interval i covers [start + i·L, start + (i+1)·L) on the {@code nanoTime} clock. Each event is
 * filed under the interval containing the instant it was recorded: dispatches (scheduler lag,
 * late sends) when dispatched, writes (sent, connection wait) when written, completions (latency,
 * service time, time to first byte, outcome, captured headers) when they complete, connects and
 * TLS handshakes when made, cap hits when the cap was found reached, unsent requests when they
 * were given up. Events before the start count in interval 0.
 *
 * <h2>Assumptions and guarantees</h2>
 * <ul>
 *   <li>{@link #harvest(long)} is called with increasing indices, each no earlier than the end of
 *       that interval (plus a small grace for writers that read the clock just before the end).
 *       It returns every event of intervals ≤ index not yet harvested; an event of an interval
 *       already harvested (only possible if a writer stalled in its critical section for longer
 *       than the grace) is folded into the report being produced rather than lost.</li>
 *   <li>Harvest is serialised ({@code synchronized}); writers are never blocked by it.</li>
 *   <li>{@code in_flight_at_end} is exact for the recorded timestamps: all sends up to the end of
 *       the interval minus completions of sent requests up to then.</li>
 * </ul>
 */
public final class IntervalRecorder {

    private final long startNanos;
    private final long intervalNanos;
    final long lateSendThresholdNanos;
    private final List<String> capturedHeaders;
    private final LongSupplier clock;
    private final List<LaneRecorder> lanes = new CopyOnWriteArrayList<>();
    /** Cleared buckets, shared by all lanes for reuse. */
    final ConcurrentLinkedQueue<IntervalBucket> recycled = new ConcurrentLinkedQueue<>();

    // Reader-owned state (guarded by `this`).
    private final List<IntervalBucket> collectedAhead = new ArrayList<>();
    private final Histogram[] mergedLatency = new Histogram[OutcomeClass.OUTCOME_CLASS_CONNECT_ERROR_VALUE + 1];
    private final Histogram[] mergedServiceTime = new Histogram[mergedLatency.length];
    private final Histogram mergedLag = HistogramSpec.newHistogram();
    private final Histogram mergedErrorOffsets = HistogramSpec.newHistogram();
    private final Histogram[] mergedPhases = new Histogram[IntervalBucket.PHASE_COUNT];
    private long totalIntended;
    private long totalSent;
    private long totalCompleted;
    private long totalUnsent;

    /**
     * @param startNanos instant of interval 0, {@code System.nanoTime()} clock
     * @param intervalNanos length of one interval, nanoseconds (> 0)
     * @param lateSendThresholdNanos a send whose lag exceeds this counts as late
     * @param capturedHeaders response header names whose values are counted, in plan order
     * @param clock the nanoTime clock writers read (injectable for tests)
     */
    public IntervalRecorder(
            long startNanos,
            long intervalNanos,
            long lateSendThresholdNanos,
            List<String> capturedHeaders,
            LongSupplier clock) {
        if (intervalNanos <= 0) {
            throw new IllegalArgumentException("interval must be positive");
        }
        this.startNanos = startNanos;
        this.intervalNanos = intervalNanos;
        this.lateSendThresholdNanos = lateSendThresholdNanos;
        this.capturedHeaders = List.copyOf(capturedHeaders);
        this.clock = clock;
        for (int i = 0; i < mergedLatency.length; i++) {
            mergedLatency[i] = HistogramSpec.newHistogram();
            mergedServiceTime[i] = HistogramSpec.newHistogram();
        }
        for (int i = 0; i < mergedPhases.length; i++) {
            mergedPhases[i] = HistogramSpec.newHistogram();
        }
    }

    /** A new lane for one writer thread. Thread-safe. */
    public LaneRecorder newLane() {
        LaneRecorder lane = new LaneRecorder(this, clock);
        lanes.add(lane);
        return lane;
    }

    public List<String> capturedHeaders() {
        return capturedHeaders;
    }

    /** The interval containing instant {@code nanos} (nanoTime clock); 0 before the start. */
    public long intervalIndexAt(long nanos) {
        long sinceStart = nanos - startNanos;
        return sinceStart <= 0 ? 0 : sinceStart / intervalNanos;
    }

    /** Microseconds from interval 0 to {@code nanos} (nanoTime clock); negative before the start. */
    long offsetMicros(long nanos) {
        return Math.floorDiv(nanos - startNanos, 1000);
    }

    /** End instant (exclusive) of interval {@code index}, nanoTime clock. */
    public long intervalEndNanos(long index) {
        return startNanos + (index + 1) * intervalNanos;
    }

    public long startNanos() {
        return startNanos;
    }

    public long intervalNanos() {
        return intervalNanos;
    }

    IntervalBucket newBucket(long index) {
        return new IntervalBucket(capturedHeaders.size(), index);
    }

    /**
     * Collects every lane's events of intervals ≤ {@code index} not yet harvested into one report
     * for {@code index}. The report has no run id, worker id or epoch; the caller adds them.
     * Outcome classes without events are omitted; the scheduler-lag histogram is always present.
     */
    public synchronized IntervalReport harvest(long index) {
        List<IntervalBucket> due = new ArrayList<>();
        for (IntervalBucket bucket : collectedAhead) {
            if (bucket.index <= index) {
                due.add(bucket);
            }
        }
        collectedAhead.removeAll(due);
        for (LaneRecorder lane : lanes) {
            collect(lane, index, due);
        }

        for (int i = 0; i < mergedLatency.length; i++) {
            mergedLatency[i].reset();
            mergedServiceTime[i].reset();
        }
        mergedLag.reset();
        for (Histogram phase : mergedPhases) {
            phase.reset();
        }
        List<Map<String, Long>> headerCounts = new ArrayList<>();
        for (int i = 0; i < capturedHeaders.size(); i++) {
            headerCounts.add(new TreeMap<>());
        }
        long intended = 0;
        long sent = 0;
        long completed = 0;
        long late = 0;
        long capHits = 0;
        long unsent = 0;
        long unsentConnectionWait = 0;
        long unsentConnectFailed = 0;
        long connectionWaits = 0;
        long firstSend = Long.MAX_VALUE;
        long firstSuccess = Long.MAX_VALUE;
        mergedErrorOffsets.reset();
        List<InstanceFirstResponse> firstResponses = new ArrayList<>(0);
        for (IntervalBucket bucket : due) {
            firstSend = Math.min(firstSend, bucket.firstSendNanos);
            firstSuccess = Math.min(firstSuccess, bucket.firstSuccessNanos);
            if (bucket.errorCompletionOffsets != null) {
                // A bucket of an earlier interval folded in late keeps offsets relative to its own start;
                // that only happens when a writer stalled past the grace, and the error still counts.
                mergedErrorOffsets.add(bucket.errorCompletionOffsets);
            }
            firstResponses.addAll(bucket.instanceFirstResponses);
            intended += bucket.intended;
            sent += bucket.sent;
            completed += bucket.completed;
            late += bucket.lateSends;
            capHits += bucket.capHits;
            unsent += bucket.unsent;
            unsentConnectionWait += bucket.unsentConnectionWait;
            unsentConnectFailed += bucket.unsentConnectFailed;
            connectionWaits += bucket.connectionWaits;
            mergedLag.add(bucket.schedulerLag);
            for (int i = 0; i < mergedPhases.length; i++) {
                if (bucket.phases[i] != null) {
                    mergedPhases[i].add(bucket.phases[i]);
                }
            }
            for (int i = 0; i < bucket.latency.length; i++) {
                if (bucket.latency[i] != null) {
                    mergedLatency[i].add(bucket.latency[i]);
                    mergedServiceTime[i].add(bucket.serviceTime[i]);
                }
            }
            for (int h = 0; h < bucket.headerValues.length; h++) {
                Map<String, Long> counts = headerCounts.get(h);
                bucket.headerValues[h].forEach((value, count) -> counts.merge(value, count[0], Long::sum));
            }
            bucket.reset(0);
            recycled.add(bucket);
        }
        totalIntended += intended;
        totalSent += sent;
        totalCompleted += completed;
        totalUnsent += unsent;

        IntervalReport.Builder report = IntervalReport.newBuilder()
                .setIntervalIndex(index)
                .setIntended(intended)
                .setSent(sent)
                .setCompleted(completed)
                .setLateSends(late)
                .setInFlightCapHits(capHits)
                .setUnsent(unsent)
                .setInFlightAtEnd(Math.max(0, totalSent - (totalCompleted - totalUnsent)))
                .setSchedulerLagMicros(HistogramCodec.encode(mergedLag))
                .addAllInstanceFirstResponses(firstResponses);
        if (firstSend != Long.MAX_VALUE) {
            report.setFirstSendOffsetMicros(offsetMicros(firstSend));
        }
        if (firstSuccess != Long.MAX_VALUE) {
            report.setFirstSuccessOffsetMicros(offsetMicros(firstSuccess));
        }
        // Each phase is left out when empty, as a worker without phase timings would send it.
        if (mergedPhases[IntervalBucket.PHASE_CONNECTION_WAIT].getTotalCount() > 0) {
            report.setConnectionWaitMicros(HistogramCodec.encode(mergedPhases[IntervalBucket.PHASE_CONNECTION_WAIT]));
        }
        if (mergedPhases[IntervalBucket.PHASE_TIME_TO_FIRST_BYTE].getTotalCount() > 0) {
            report.setTimeToFirstByteMicros(
                    HistogramCodec.encode(mergedPhases[IntervalBucket.PHASE_TIME_TO_FIRST_BYTE]));
        }
        if (mergedPhases[IntervalBucket.PHASE_CONNECT].getTotalCount() > 0) {
            report.setConnectMicros(HistogramCodec.encode(mergedPhases[IntervalBucket.PHASE_CONNECT]));
        }
        if (mergedPhases[IntervalBucket.PHASE_TLS_HANDSHAKE].getTotalCount() > 0) {
            report.setTlsHandshakeMicros(HistogramCodec.encode(mergedPhases[IntervalBucket.PHASE_TLS_HANDSHAKE]));
        }
        report.setConnectionWaits(connectionWaits)
                .setUnsentConnectionWait(unsentConnectionWait)
                .setUnsentConnectFailed(unsentConnectFailed);
        if (mergedErrorOffsets.getTotalCount() > 0) {
            report.setErrorCompletionOffsetMicros(HistogramCodec.encode(mergedErrorOffsets));
        }
        for (OutcomeClass outcome : OutcomeClass.values()) {
            if (outcome == OutcomeClass.UNRECOGNIZED || outcome == OutcomeClass.OUTCOME_CLASS_UNSPECIFIED) {
                continue;
            }
            Histogram latency = mergedLatency[outcome.getNumber()];
            if (latency.getTotalCount() > 0) {
                report.addOutcomes(OutcomeHistograms.newBuilder()
                        .setOutcome(outcome)
                        .setLatencyMicros(HistogramCodec.encode(latency))
                        .setServiceTimeMicros(HistogramCodec.encode(mergedServiceTime[outcome.getNumber()])));
            }
        }
        for (int h = 0; h < capturedHeaders.size(); h++) {
            if (headerCounts.get(h).isEmpty()) {
                continue;
            }
            CapturedHeader.Builder header = CapturedHeader.newBuilder().setName(capturedHeaders.get(h));
            headerCounts
                    .get(h)
                    .forEach((value, count) -> header.addValues(
                            HeaderValueCount.newBuilder().setValue(value).setCount(count)));
            report.addCapturedHeaders(header);
        }
        return report.build();
    }

    private void collect(LaneRecorder lane, long index, List<IntervalBucket> due) {
        lane.phaser.readerLock();
        try {
            IntervalBucket taken = null;
            while (true) {
                IntervalBucket current = lane.active.get();
                if (current.index > index) {
                    break;
                }
                IntervalBucket fresh = recycled.poll();
                if (fresh == null) {
                    fresh = newBucket(index + 1);
                } else {
                    fresh.index = index + 1;
                }
                if (lane.active.compareAndSet(current, fresh)) {
                    taken = current;
                    break;
                }
                recycled.add(fresh);
            }
            // After the flip no writer still uses `taken`, and everything written to retired
            // buckets before their retirement is visible.
            lane.phaser.flipPhase();
            if (taken != null) {
                file(taken, index, due);
            }
            for (IntervalBucket retired = lane.retired.poll(); retired != null; retired = lane.retired.poll()) {
                file(retired, index, due);
            }
        } finally {
            lane.phaser.readerUnlock();
        }
    }

    private void file(IntervalBucket bucket, long index, List<IntervalBucket> due) {
        if (bucket.index <= index) {
            due.add(bucket);
        } else {
            collectedAhead.add(bucket);
        }
    }

    /** Sum of intended sends over all harvested reports. */
    public synchronized long totalIntended() {
        return totalIntended;
    }

    /** Sum of sends over all harvested reports. */
    public synchronized long totalSent() {
        return totalSent;
    }

    /** Sum of completions (every outcome, abandoned requests included) over all harvested reports. */
    public synchronized long totalCompleted() {
        return totalCompleted;
    }

    /** Sum of abandoned unsent requests over all harvested reports. */
    public synchronized long totalUnsent() {
        return totalUnsent;
    }
}
