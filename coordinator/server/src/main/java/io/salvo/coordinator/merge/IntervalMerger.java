package io.salvo.coordinator.merge;

import com.google.protobuf.ByteString;
import io.salvo.core.histogram.DenseCounts;
import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramCodec.CorruptHistogramException;
import io.salvo.core.histogram.SparseHistogram;
import io.salvo.proto.v1.CapturedHeader;
import io.salvo.proto.v1.HeaderValueCount;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.MergedInterval;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeHistograms;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * Merges the interval reports of one run by interval index, never by arrival order.
 *
 * <p>Assumptions and guarantees:
 * <ul>
 *   <li>Merging is exact: histograms of equal range and precision are added with HdrHistogram's
 *       {@code add}; percentiles are only ever read from merged histograms, never averaged.</li>
 *   <li>Interval i is <em>shown</em> (a live snapshot is emitted) once every worker expected for it
 *       has reported it, or once its end plus the grace period has passed. Intervals are shown in
 *       index order.</li>
 *   <li>A report arriving after its interval was shown is still merged: it reaches the final result
 *       (the interval is flagged {@code had_late_reports}) and the run totals.</li>
 *   <li>Intervals are kept compressed once {@value #LIVE_SHOWN_INTERVALS} newer ones have been shown,
 *       so a long run costs a few KB per interval, not the ~180 KB that a live 1 µs–1 h histogram
 *       occupies.</li>
 *   <li>A report that is corrupt, duplicated, from an unknown worker or for an impossible interval is
 *       rejected with a reason and counted; nothing already merged changes.</li>
 *   <li>Per report, the cost is the sparse decoding of its histograms (outside the lock) and one
 *       bucket update per non-zero bucket (under it); no full histogram is allocated, and deciding
 *       whether the next interval can be shown does not look at every worker.</li>
 * </ul>
 * Thread-safe: decoding happens outside the lock ({@link #decode}), merging under it.
 */
public final class IntervalMerger {

    /**
     * Shown intervals that keep their full histograms: the reports that arrive just after an interval
     * was shown by the grace period usually come as a burst, and each one is then a few hundred
     * bucket updates instead of decompressing and recompressing the interval's histograms.
     */
    static final int LIVE_SHOWN_INTERVALS = 2;

    private final long startUnixNanos;
    private final long intervalNanos;
    private final long graceNanos;
    private final long maxIntervalIndex;

    private final Map<String, WorkerProgress> workers = new HashMap<>();
    private final TreeMap<Long, IntervalState> intervals = new TreeMap<>();
    /** Workers whose last interval is not known yet (still running). */
    private int running;
    /** The other workers, counted by their last interval: who is expected for an interval, without a scan. */
    private final TreeMap<Long, Integer> lastIndexCounts = new TreeMap<>();
    /** Shown intervals that still hold full histograms, oldest first. */
    private final ArrayDeque<IntervalState> liveShown = new ArrayDeque<>();
    private long nextToShow;
    private long rejected;
    private final List<String> rejectionReasons = new ArrayList<>();

    /**
     * @param startUnixNanos   the run's interval-0 instant, coordinator clock
     * @param maxIntervalIndex the largest index a report may carry (the plan's duration plus drain time)
     */
    public IntervalMerger(long startUnixNanos, long intervalNanos, long graceNanos, long maxIntervalIndex) {
        this.startUnixNanos = startUnixNanos;
        this.intervalNanos = intervalNanos;
        this.graceNanos = graceNanos;
        this.maxIntervalIndex = maxIntervalIndex;
    }

    /** Expects reports from this worker from now on. */
    public synchronized void addWorker(String workerId) {
        if (workers.putIfAbsent(workerId, new WorkerProgress()) == null) {
            running++;
        }
    }

    /** The worker reported everything up to {@code lastIndex}; it is not waited for beyond it. */
    public synchronized void workerFinished(String workerId, long lastIndex) {
        WorkerProgress progress = workers.get(workerId);
        if (progress != null) {
            setLastIndex(progress, lastIndex);
        }
    }

    /** The worker is gone; intervals after the last one it reported do not wait for it. */
    public synchronized void workerLost(String workerId) {
        WorkerProgress progress = workers.get(workerId);
        if (progress != null && progress.lastIndex == Long.MAX_VALUE) {
            setLastIndex(progress, progress.highestReported);
        }
    }

    private void setLastIndex(WorkerProgress progress, long lastIndex) {
        if (progress.lastIndex == Long.MAX_VALUE) {
            running--;
        } else {
            lastIndexCounts.computeIfPresent(progress.lastIndex, (k, n) -> n == 1 ? null : n - 1);
        }
        progress.lastIndex = lastIndex;
        if (lastIndex == Long.MAX_VALUE) {
            running++;
        } else {
            lastIndexCounts.merge(lastIndex, 1, Integer::sum);
        }
    }

    public synchronized boolean allWorkersFinished() {
        return running == 0;
    }

    /** True when every worker finished and every interval any of them reported has been shown. */
    public synchronized boolean complete() {
        if (running > 0) {
            return false;
        }
        long last = lastIndexCounts.isEmpty() ? -1 : lastIndexCounts.lastKey();
        return nextToShow > last;
    }

    /**
     * Decodes and checks a report's histograms without touching the merger, so a coordinator can
     * refuse a corrupt report before it enters the replicated state, and merge it later without
     * decoding it again.
     */
    public static Decoded decode(IntervalReport report) throws CorruptHistogramException {
        return Decoded.decode(report);
    }

    /**
     * Validates and merges one report.
     *
     * @return whether the next interval to show may now be complete (every worker expected for it
     *         reported), so the caller can show it without waiting for its next tick
     * @throws RejectedReportException naming why the report cannot be merged; it was counted
     */
    public boolean accept(IntervalReport report) throws RejectedReportException {
        Decoded decoded;
        try {
            decoded = Decoded.decode(report);
        } catch (CorruptHistogramException e) {
            throw reject(report, "corrupt histogram payload: " + e.getMessage());
        }
        return accept(decoded);
    }

    /** Like {@link #accept(IntervalReport)}, for a report {@linkplain #decode decoded} already. */
    public boolean accept(Decoded decoded) throws RejectedReportException {
        return merge(decoded, true) == Merged.NEXT_MAY_BE_COMPLETE;
    }

    /** What {@link #mergeIfNew} did. */
    public enum Merged {
        MERGED,
        /** Merged, and every worker expected for the next interval to show has now reported it. */
        NEXT_MAY_BE_COMPLETE,
        /** Not merged: this worker's report for that interval was merged before. */
        ALREADY_MERGED
    }

    /**
     * Merges a report unless the worker's report for that interval was merged already. Nothing is
     * counted as rejected here, not even when this throws: the caller, which received the report,
     * decides whether a second copy is a harmless re-delivery and counts what it refuses.
     */
    public Merged mergeIfNew(Decoded decoded) throws RejectedReportException {
        return merge(decoded, false);
    }

    private synchronized Merged merge(Decoded decoded, boolean countRejections) throws RejectedReportException {
        IntervalReport report = decoded.report;
        WorkerProgress progress = workers.get(report.getWorkerId());
        if (progress == null) {
            throw reject(report, "worker '" + report.getWorkerId() + "' is not part of this run", countRejections);
        }
        long index = report.getIntervalIndex();
        // The index is unsigned on the wire: a huge one reads as negative here and is just as impossible.
        if (index < 0 || index > maxIntervalIndex) {
            throw reject(report, "interval index " + Long.toUnsignedString(index)
                    + " is beyond the run's last possible interval " + maxIntervalIndex, countRejections);
        }
        if (!progress.markReported(index)) {
            if (!countRejections) {
                return Merged.ALREADY_MERGED;
            }
            throw reject(report, "duplicate report for interval " + index, true);
        }
        progress.highestReported = Math.max(progress.highestReported, index);
        IntervalState state = intervals.computeIfAbsent(index, IntervalState::new);
        boolean wasLive = state.live != null;
        state.merge(report.getWorkerId(), decoded);
        if (state.shown && !wasLive) {
            keepLive(state);
        }
        return index == nextToShow && state.workerIds.size() >= expectedWorkers(index)
                ? Merged.NEXT_MAY_BE_COMPLETE : Merged.MERGED;
    }

    /** Whether this worker's report for this interval was merged already. */
    public synchronized boolean hasReported(String workerId, long index) {
        WorkerProgress progress = workers.get(workerId);
        return progress != null && progress.isReported(index);
    }

    /** Counts a report refused for {@code reason} by the caller of {@link #mergeIfNew}. */
    public void countRejection(IntervalReport report, String reason) {
        reject(report, reason, true);
    }

    private RejectedReportException reject(IntervalReport report, String reason) {
        return reject(report, reason, true);
    }

    private synchronized RejectedReportException reject(IntervalReport report, String reason, boolean count) {
        if (!count) {
            return new RejectedReportException(reason);
        }
        rejected++;
        if (rejectionReasons.size() < 100) {
            rejectionReasons.add("worker " + report.getWorkerId() + ", interval "
                    + Long.toUnsignedString(report.getIntervalIndex()) + ": " + reason);
        }
        return new RejectedReportException(reason);
    }

    /** An interval just shown: its live snapshot and its merged data as they were at that moment. */
    public record ShownInterval(LiveSnapshot snapshot, MergedInterval merged) {
    }

    /**
     * Shows every interval that became complete by {@code nowUnixNanos} (coordinator clock), in index
     * order, and returns their snapshots (state and run id left for the caller to fill).
     */
    public synchronized List<LiveSnapshot> pollCompleted(long nowUnixNanos) {
        return pollShown(nowUnixNanos).stream().map(ShownInterval::snapshot).toList();
    }

    /** Whether {@link #pollShown} would show an interval now; cheap enough to ask on every tick. */
    public synchronized boolean showDue(long nowUnixNanos) {
        return showable(nextToShow, nowUnixNanos);
    }

    /** Like {@link #pollCompleted} but with each interval's merged data, for live detectors. */
    public synchronized List<ShownInterval> pollShown(long nowUnixNanos) {
        List<ShownInterval> shown = new ArrayList<>();
        while (showable(nextToShow, nowUnixNanos)) {
            long index = nextToShow;
            IntervalState state = intervals.computeIfAbsent(index, IntervalState::new);
            LiveSnapshot snapshot = state.show(expectedWorkers(index), intervalNanos);
            shown.add(new ShownInterval(snapshot, state.toMergedInterval()));
            keepLive(state);
            nextToShow++;
        }
        return shown;
    }

    private boolean showable(long index, long nowUnixNanos) {
        if (running == 0 && !lastIndexCounts.isEmpty() && index > lastIndexCounts.lastKey()) {
            return false;   // every worker finished before this interval
        }
        long endOfGrace = startUnixNanos + (index + 1) * intervalNanos + graceNanos;
        return nowUnixNanos >= endOfGrace || everyoneReported(index);
    }

    private boolean everyoneReported(long index) {
        if (workers.isEmpty()) {
            return false;
        }
        IntervalState state = intervals.get(index);
        // Fewer reports than expected workers settles it without a scan, which is the common case
        // on every tick until the interval's last report arrives.
        if (state == null || state.workerIds.size() < expectedWorkers(index)) {
            return false;
        }
        for (WorkerProgress p : workers.values()) {
            if (p.lastIndex >= index && !p.isReported(index)) {
                return false;
            }
        }
        return true;
    }

    private int expectedWorkers(long index) {
        int expected = running;
        if (!lastIndexCounts.isEmpty() && lastIndexCounts.lastKey() >= index) {
            for (int n : lastIndexCounts.tailMap(index, true).values()) {
                expected += n;
            }
        }
        return expected;
    }

    /** A shown interval keeps its full histograms until enough newer ones are shown. */
    private void keepLive(IntervalState state) {
        liveShown.addLast(state);
        while (liveShown.size() > LIVE_SHOWN_INTERVALS) {
            liveShown.pollFirst().release();
        }
    }

    /** Every interval with data, in index order, including late reports. */
    public synchronized List<MergedInterval> mergedIntervals() {
        List<MergedInterval> result = new ArrayList<>();
        for (IntervalState state : intervals.values()) {
            result.add(state.toMergedInterval());
        }
        return result;
    }

    /** The latency of one outcome class over every interval, late reports included. */
    public synchronized Histogram totalLatency(OutcomeClass outcome) {
        Histogram total = HistogramCodec.newHistogram();
        for (IntervalState state : intervals.values()) {
            state.addLatencyTo(outcome, total);
        }
        return total;
    }

    public synchronized long rejectedReports() {
        return rejected;
    }

    public synchronized List<String> rejectionReasons() {
        return List.copyOf(rejectionReasons);
    }

    /** Highest interval index the worker reported, or -1. */
    public synchronized long highestReportedBy(String workerId) {
        WorkerProgress p = workers.get(workerId);
        return p == null ? -1 : p.highestReported;
    }

    public synchronized long intervalsReportedBy(String workerId) {
        WorkerProgress p = workers.get(workerId);
        return p == null ? 0 : p.reportedCount;
    }

    private static final class WorkerProgress {
        /** Indices below this are kept in a bit set (a bit per interval); larger ones, which only absurdly long plans allow, in a set. */
        private static final long BITSET_LIMIT = 1 << 20;
        private final BitSet reported = new BitSet();
        private Set<Long> reportedBeyondLimit;
        long reportedCount;
        long highestReported = -1;
        /** Last interval this worker will report; MAX_VALUE while it is still running. */
        long lastIndex = Long.MAX_VALUE;

        boolean isReported(long index) {
            if (index < 0) {
                return false;
            }
            if (index < BITSET_LIMIT) {
                return reported.get((int) index);
            }
            return reportedBeyondLimit != null && reportedBeyondLimit.contains(index);
        }

        /** Records the index; false when it was reported already. */
        boolean markReported(long index) {
            if (isReported(index)) {
                return false;
            }
            if (index < BITSET_LIMIT) {
                reported.set((int) index);
            } else {
                if (reportedBeyondLimit == null) {
                    reportedBeyondLimit = new HashSet<>();
                }
                reportedBeyondLimit.add(index);
            }
            reportedCount++;
            return true;
        }
    }

    /**
     * A report whose histograms were decoded and checked, ready to merge: produced once where the
     * report arrives, outside any lock.
     */
    public static final class Decoded {
        private static final SparseHistogram EMPTY = new SparseHistogram(new int[0], new long[0], 0);

        final IntervalReport report;
        final EnumMap<OutcomeClass, SparseHistogram[]> outcomes = new EnumMap<>(OutcomeClass.class);
        SparseHistogram schedulerLag;
        /** Null when absent; {@link #errorOffsetsCorrupt} when present but unreadable (optional detail). */
        SparseHistogram errorOffsets;
        boolean errorOffsetsCorrupt;

        private Decoded(IntervalReport report) {
            this.report = report;
        }

        public IntervalReport report() {
            return report;
        }

        static Decoded decode(IntervalReport report) throws CorruptHistogramException {
            Decoded decoded = new Decoded(report);
            for (OutcomeHistograms outcome : report.getOutcomesList()) {
                if (outcome.getOutcome() == OutcomeClass.OUTCOME_CLASS_UNSPECIFIED
                        || outcome.getOutcome() == OutcomeClass.UNRECOGNIZED) {
                    throw new CorruptHistogramException("unknown outcome class " + outcome.getOutcomeValue());
                }
                if (decoded.outcomes.containsKey(outcome.getOutcome())) {
                    throw new CorruptHistogramException("outcome class " + outcome.getOutcome() + " appears twice");
                }
                decoded.outcomes.put(outcome.getOutcome(), new SparseHistogram[] {
                        decodeOrEmpty(outcome.getLatencyMicros()), decodeOrEmpty(outcome.getServiceTimeMicros())});
            }
            if (!report.getSchedulerLagMicros().isEmpty()) {
                decoded.schedulerLag = HistogramCodec.decodeSparse(report.getSchedulerLagMicros());
            }
            if (!report.getErrorCompletionOffsetMicros().isEmpty()) {
                try {
                    decoded.errorOffsets = HistogramCodec.decodeSparse(report.getErrorCompletionOffsetMicros());
                } catch (CorruptHistogramException e) {
                    // Optional detail: without it the detectors count this interval's errors as an upper bound.
                    decoded.errorOffsetsCorrupt = true;
                }
            }
            return decoded;
        }

        private static SparseHistogram decodeOrEmpty(ByteString bytes) throws CorruptHistogramException {
            return bytes.isEmpty() ? EMPTY : HistogramCodec.decodeSparse(bytes);
        }

        boolean hadErrors() {
            for (Map.Entry<OutcomeClass, SparseHistogram[]> e : outcomes.entrySet()) {
                if (e.getKey() != OutcomeClass.OUTCOME_CLASS_2XX && e.getValue()[0].totalCount() > 0) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * One interval. Until it is shown, and while it is among the last few shown, its histograms are
     * live (full HdrHistograms, added to bucket by bucket); afterwards only their compressed encoding
     * is kept. The compressed form and the merged view are cached until the next report changes them.
     */
    private static final class IntervalState {
        final long index;
        /** Null when only the compressed form is kept. */
        EnumMap<OutcomeClass, DenseCounts[]> live = new EnumMap<>(OutcomeClass.class);
        DenseCounts liveLag;
        EnumMap<OutcomeClass, ByteString[]> compressed = new EnumMap<>(OutcomeClass.class);
        ByteString compressedLag;
        /** Whether {@link #compressed} holds what {@link #live} holds. */
        boolean compressedCurrent = true;
        MergedInterval merged;
        long sent;
        long completed;
        long lateSends;
        long capHits;
        long unsent;
        long intended;
        final Map<String, Map<String, Long>> headers = new TreeMap<>();
        final Set<String> workerIds = new LinkedHashSet<>();
        boolean shown;
        boolean lateReports;
        // Precise marks for the detectors: min of offsets, exact sum of error instants, all first responses.
        Long firstSendOffsetMicros;
        Long firstSuccessOffsetMicros;
        Histogram errorCompletionOffsets;
        boolean errorCompletionOffsetsComplete = true;
        final List<io.salvo.proto.v1.InstanceFirstResponse> instanceFirstResponses = new ArrayList<>(0);

        IntervalState(long index) {
            this.index = index;
        }

        void merge(String workerId, Decoded decoded) {
            IntervalReport r = decoded.report;
            workerIds.add(workerId);
            sent += r.getSent();
            completed += r.getCompleted();
            lateSends += r.getLateSends();
            capHits += r.getInFlightCapHits();
            unsent += r.getUnsent();
            intended += r.getIntended();
            if (r.hasFirstSendOffsetMicros()) {
                firstSendOffsetMicros = firstSendOffsetMicros == null ? r.getFirstSendOffsetMicros()
                        : Math.min(firstSendOffsetMicros, r.getFirstSendOffsetMicros());
            }
            if (r.hasFirstSuccessOffsetMicros()) {
                firstSuccessOffsetMicros = firstSuccessOffsetMicros == null ? r.getFirstSuccessOffsetMicros()
                        : Math.min(firstSuccessOffsetMicros, r.getFirstSuccessOffsetMicros());
            }
            if (r.getInstanceFirstResponsesCount() > 0) {
                instanceFirstResponses.addAll(r.getInstanceFirstResponsesList());
            }
            if (decoded.errorOffsets != null) {
                if (errorCompletionOffsets == null) {
                    errorCompletionOffsets = HistogramCodec.newHistogram();
                }
                decoded.errorOffsets.addTo(errorCompletionOffsets);
            } else if (decoded.errorOffsetsCorrupt || decoded.hadErrors()) {
                errorCompletionOffsetsComplete = false;
            }
            for (CapturedHeader header : r.getCapturedHeadersList()) {
                Map<String, Long> values = headers.computeIfAbsent(header.getName(), n -> new TreeMap<>());
                for (HeaderValueCount v : header.getValuesList()) {
                    values.merge(v.getValue(), v.getCount(), Long::sum);
                }
            }
            if (shown) {
                lateReports = true;
            }
            if (live == null) {
                inflate();
            }
            for (Map.Entry<OutcomeClass, SparseHistogram[]> e : decoded.outcomes.entrySet()) {
                DenseCounts[] target = live.computeIfAbsent(e.getKey(),
                        o -> new DenseCounts[] {new DenseCounts(), new DenseCounts()});
                target[0].add(e.getValue()[0]);
                target[1].add(e.getValue()[1]);
            }
            if (decoded.schedulerLag != null) {
                if (liveLag == null) {
                    liveLag = new DenseCounts();
                }
                liveLag.add(decoded.schedulerLag);
            }
            compressedCurrent = false;
            merged = null;
        }

        LiveSnapshot show(int workersExpected, long intervalNanos) {
            if (live == null) {
                inflate();
            }
            Histogram all = HistogramCodec.newHistogram();
            long successes = 0;
            for (Map.Entry<OutcomeClass, DenseCounts[]> e : live.entrySet()) {
                e.getValue()[0].addTo(all);
                if (e.getKey() == OutcomeClass.OUTCOME_CLASS_2XX) {
                    successes = e.getValue()[0].totalCount();
                }
            }
            double seconds = intervalNanos / 1e9;
            LiveSnapshot snapshot = LiveSnapshot.newBuilder()
                    .setIntervalIndex(index)
                    .setWorkersReported(workerIds.size())
                    .setWorkersAssigned(workersExpected)
                    .setSent(sent)
                    .setCompleted(completed)
                    .setSuccesses(successes)
                    .setErrors(all.getTotalCount() - successes)
                    .setSuccessRatePerSecond(successes / seconds)
                    .setTargetRatePerSecond(intended / seconds)
                    .setLatencyP50Micros(all.getTotalCount() == 0 ? 0 : all.getValueAtPercentile(50))
                    .setLatencyP99Micros(all.getTotalCount() == 0 ? 0 : all.getValueAtPercentile(99))
                    .setLateSends(lateSends)
                    .build();
            shown = true;
            return snapshot;
        }

        /** Keeps only the compressed form. */
        void release() {
            if (live != null) {
                compress();
                live = null;
                liveLag = null;
            }
        }

        private void compress() {
            if (compressedCurrent) {
                return;
            }
            compressed = new EnumMap<>(OutcomeClass.class);
            live.forEach((outcome, pair) -> compressed.put(outcome, new ByteString[] {
                    ByteString.copyFrom(HistogramCodec.encode(pair[0].toHistogram())),
                    ByteString.copyFrom(HistogramCodec.encode(pair[1].toHistogram()))}));
            compressedLag = liveLag == null ? null : ByteString.copyFrom(HistogramCodec.encode(liveLag.toHistogram()));
            compressedCurrent = true;
        }

        private void inflate() {
            live = new EnumMap<>(OutcomeClass.class);
            try {
                for (Map.Entry<OutcomeClass, ByteString[]> e : compressed.entrySet()) {
                    live.put(e.getKey(), new DenseCounts[] {dense(e.getValue()[0]), dense(e.getValue()[1])});
                }
                liveLag = compressedLag == null ? null : dense(compressedLag);
            } catch (CorruptHistogramException e) {
                throw new IllegalStateException("the coordinator's own encoding failed to decode", e);
            }
        }

        private static DenseCounts dense(ByteString compressed) throws CorruptHistogramException {
            DenseCounts counts = new DenseCounts();
            counts.add(HistogramCodec.decodeSparse(compressed));
            return counts;
        }

        void addLatencyTo(OutcomeClass outcome, Histogram total) {
            if (live != null) {
                DenseCounts[] pair = live.get(outcome);
                if (pair != null) {
                    pair[0].addTo(total);
                }
                return;
            }
            ByteString[] pair = compressed.get(outcome);
            if (pair != null) {
                try {
                    total.add(HistogramCodec.decode(pair[0].toByteArray()));
                } catch (CorruptHistogramException e) {
                    throw new IllegalStateException("the coordinator's own encoding failed to decode", e);
                }
            }
        }

        MergedInterval toMergedInterval() {
            if (merged != null) {
                return merged;
            }
            compress();
            MergedInterval.Builder b = MergedInterval.newBuilder()
                    .setIntervalIndex(index)
                    .setSent(sent)
                    .setCompleted(completed)
                    .setLateSends(lateSends)
                    .setInFlightCapHits(capHits)
                    .setUnsent(unsent)
                    .setIntended(intended)
                    .addAllWorkerIds(workerIds)
                    .setHadLateReports(lateReports)
                    .addAllInstanceFirstResponses(instanceFirstResponses)
                    .setErrorCompletionOffsetsComplete(errorCompletionOffsetsComplete);
            if (firstSendOffsetMicros != null) {
                b.setFirstSendOffsetMicros(firstSendOffsetMicros);
            }
            if (firstSuccessOffsetMicros != null) {
                b.setFirstSuccessOffsetMicros(firstSuccessOffsetMicros);
            }
            if (errorCompletionOffsets != null && errorCompletionOffsets.getTotalCount() > 0) {
                b.setErrorCompletionOffsetMicros(ByteString.copyFrom(HistogramCodec.encode(errorCompletionOffsets)));
            }
            compressed.forEach((outcome, pair) -> b.addOutcomes(OutcomeHistograms.newBuilder()
                    .setOutcome(outcome)
                    .setLatencyMicros(pair[0])
                    .setServiceTimeMicros(pair[1])));
            if (compressedLag != null) {
                b.setSchedulerLagMicros(compressedLag);
            }
            headers.forEach((name, values) -> {
                CapturedHeader.Builder h = CapturedHeader.newBuilder().setName(name);
                values.forEach((value, count) -> h.addValues(HeaderValueCount.newBuilder().setValue(value).setCount(count)));
                b.addCapturedHeaders(h);
            });
            merged = b.build();
            return merged;
        }
    }

    /** Why a report was not merged. */
    public static final class RejectedReportException extends Exception {
        private static final long serialVersionUID = 1L;

        public RejectedReportException(String message) {
            super(message);
        }
    }
}
