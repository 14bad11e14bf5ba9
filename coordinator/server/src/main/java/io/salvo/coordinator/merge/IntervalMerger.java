package io.salvo.coordinator.merge;

import com.google.protobuf.ByteString;
import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramCodec.CorruptHistogramException;
import io.salvo.core.histogram.SparseHistogram;
import io.salvo.core.result.ReportedBy;
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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.logging.Logger;

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
 *       occupies; and once the run's store holds an interval for good ({@link #keptInStore}), a bit: a late
 *       report for it waits until the caller has read it back ({@link Merged#DEFERRED}), a result reads it
 *       back itself.</li>
 *   <li>A report that is corrupt, duplicated, from an unknown worker or for an impossible interval is
 *       rejected with a reason and counted; nothing already merged changes.</li>
 *   <li>Per report, the cost is the sparse decoding of its histograms (outside the lock) and one
 *       bucket update per non-zero bucket (under it); no full histogram is allocated, and deciding
 *       whether the next interval can be shown does not look at every worker.</li>
 * </ul>
 * Thread-safe: decoding happens outside the lock ({@link #decode}), merging under it.
 */
public final class IntervalMerger {

    private static final Logger LOG = Logger.getLogger(IntervalMerger.class.getName());

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
    /** The same workers in the order they were added: a worker's position is its bit in every interval's set. */
    private final List<WorkerProgress> inOrder = new ArrayList<>();
    /** The plan's regions in plan order; empty when results are not kept per region. */
    private final List<String> regions;

    private final TreeMap<Long, IntervalState> intervals = new TreeMap<>();
    /** Workers whose last interval is not known yet (still running). */
    private int running;
    /** The other workers, counted by their last interval: who is expected for an interval, without a scan. */
    private final TreeMap<Long, Integer> lastIndexCounts = new TreeMap<>();
    /** Shown intervals that still hold full histograms, oldest first. */
    private final ArrayDeque<IntervalState> liveShown = new ArrayDeque<>();

    /** Where intervals handed over for good are read back from; null: every interval stays in memory. */
    private StoredIntervals store;
    /** Intervals whose merge is only in {@link #store} ({@link #keptInStore}): nothing of them is in memory. */
    private final BitSet onlyInStore = new BitSet();

    private long nextToShow;
    private long rejected;
    private final List<String> rejectionReasons = new ArrayList<>();

    /**
     * @param startUnixNanos   the run's interval-0 instant, coordinator clock
     * @param maxIntervalIndex the largest index a report may carry (the plan's duration plus drain time)
     */
    public IntervalMerger(long startUnixNanos, long intervalNanos, long graceNanos, long maxIntervalIndex) {
        this(startUnixNanos, intervalNanos, graceNanos, maxIntervalIndex, List.of());
    }

    /**
     * A merger that also keeps each region's own merge (exact, like the run's): every interval's
     * {@link MergedInterval#getRegionsList()} and every snapshot's {@link LiveSnapshot#getRegionsList()} hold one
     * entry per region of {@code regions}, in that order. Workers of other regions count in the run's merge only.
     */
    public IntervalMerger(
            long startUnixNanos, long intervalNanos, long graceNanos, long maxIntervalIndex, List<String> regions) {
        this.startUnixNanos = startUnixNanos;
        this.intervalNanos = intervalNanos;
        this.graceNanos = graceNanos;
        this.maxIntervalIndex = maxIntervalIndex;
        this.regions = List.copyOf(regions);
    }

    /**
     * Where a run keeps its intervals' merges for good (its replicated state): an interval handed over with
     * {@link #keptInStore} is read back from it by {@link #mergedInterval} and {@link #mergedIntervals}.
     */
    @FunctionalInterface
    public interface StoredIntervals {
        /** These stored intervals' merges, by index, in one call; those the store does not have are absent. */
        Map<Long, MergedInterval> read(Set<Long> indexes);
    }

    /** Lets this merger drop intervals the store holds (see {@link #keptInStore}); set before the first report. */
    public synchronized void keepStoredIntervalsIn(StoredIntervals store) {
        this.store = store;
    }

    /** Expects reports from this worker from now on. */
    public synchronized void addWorker(String workerId) {
        addWorker(workerId, "");
    }

    /**
     * Expects reports from this worker, of {@code region}, from now on. Workers must be added in the run's order
     * (the order they were assigned, as the run's record keeps them): a worker's position in it is its bit in each
     * merged interval's {@link MergedInterval#getReportedBy()}, for this coordinator and any that restores the run.
     */
    public synchronized void addWorker(String workerId, String region) {
        WorkerProgress progress = new WorkerProgress(inOrder.size(), regions.contains(region) ? region : null);
        if (workers.putIfAbsent(workerId, progress) == null) {
            inOrder.add(progress);
            running++;
        }
    }

    /** The worker's position in the run's order, or -1 when it is not part of the run. */
    public synchronized int positionOf(String workerId) {
        WorkerProgress progress = workers.get(workerId);
        return progress == null ? -1 : progress.ordinal;
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

    /** What {@link #mergeIfNew} did. */
    public enum Merged {
        MERGED,
        /** Merged, and every worker expected for the next interval to show has now reported it. */
        NEXT_MAY_BE_COMPLETE,
        /** Not merged: this worker's report for that interval was merged before. */
        ALREADY_MERGED,
        /**
         * Not merged yet: the interval is only in the store ({@link #keptInStore}). The caller keeps the report and
         * merges it again once it has read the stored merge back ({@link #readBack}), away from any lock and
         * transport thread.
         */
        DEFERRED
    }

    /**
     * Merges a report unless the worker's report for that interval was merged already. Nothing is
     * counted as rejected here, not even when this throws: the caller, which received the report,
     * decides whether a second copy is a harmless re-delivery and counts what it refuses.
     */
    public synchronized Merged mergeIfNew(Decoded decoded) throws RejectedReportException {
        IntervalReport report = decoded.report;
        WorkerProgress progress = workers.get(report.getWorkerId());
        if (progress == null) {
            throw new RejectedReportException("worker '" + report.getWorkerId() + "' is not part of this run");
        }
        long index = report.getIntervalIndex();
        // The index is unsigned on the wire: a huge one reads as negative here and is just as impossible.
        if (index < 0 || index > maxIntervalIndex) {
            throw new RejectedReportException("interval index " + Long.toUnsignedString(index)
                    + " is beyond the run's last possible interval " + maxIntervalIndex);
        }
        if (progress.isReported(index)) {
            return Merged.ALREADY_MERGED;
        }
        if (isOnlyInStore(index)) {
            return Merged.DEFERRED;
        }
        IntervalState state = intervals.computeIfAbsent(index, this::newState);
        progress.markReported(index);
        progress.highestReported = Math.max(progress.highestReported, index);
        boolean wasLive = state.live != null;
        state.merge(progress.ordinal, decoded);
        if (progress.region != null) {
            state.region(progress.region).merge(progress.ordinal, decoded);
        }
        if (state.shown && !wasLive) {
            keepLive(state);
        }
        return index == nextToShow && state.workersReported >= expectedWorkers(index)
                ? Merged.NEXT_MAY_BE_COMPLETE
                : Merged.MERGED;
    }

    /**
     * Takes an interval only the store holds back into memory, from its stored merge as the caller read it, so that
     * the reports {@link #mergeIfNew} deferred for it can be merged. True when the interval is in memory now (also
     * when it was already); false when {@code stored} is null (the store lost it): the deferred reports cannot be
     * added to it.
     */
    public synchronized boolean readBack(long index, MergedInterval stored) {
        if (!isOnlyInStore(index)) {
            return true;
        }
        if (stored == null) {
            return false;
        }
        if (stored.getIntervalIndex() != index) {
            throw new IllegalArgumentException(
                    "interval " + stored.getIntervalIndex() + " was read back for interval " + index);
        }
        IntervalState state = IntervalState.fromMerged(stored);
        state.markShown();
        intervals.put(index, state);
        onlyInStore.clear((int) index);
        return true;
    }

    private boolean isOnlyInStore(long index) {
        return index >= 0 && index < Integer.MAX_VALUE && onlyInStore.get((int) index);
    }

    private MergedInterval readStored(long index) {
        try {
            return store.read(Set.of(index)).get(index);
        } catch (RuntimeException e) {
            LOG.warning(() -> "interval " + index + ": reading its merge back from the run's store failed: " + e);
            return null;
        }
    }

    /**
     * The store now holds, for good, this interval's merge of the reports of {@code reportedBy} (positions in the
     * run's order): once the interval is shown and no longer among the {@value #LIVE_SHOWN_INTERVALS} kept live, the
     * merger keeps one bit of it and reads the rest back when needed. Ignored unless those are exactly the reports
     * merged here (one merged since, or a stored merge another coordinator wrote, must not be dropped), or when no
     * store was given.
     */
    public synchronized void keptInStore(long index, BitSet reportedBy) {
        IntervalState state = intervals.get(index);
        if (store == null || state == null || !state.reportedBy.equals(reportedBy) || index >= Integer.MAX_VALUE) {
            return;
        }
        state.keptInStore = true;
        if (state.shown && !liveShown.contains(state)) {
            dropToStore(state);
        }
    }

    private void dropToStore(IntervalState state) {
        intervals.remove(state.index);
        onlyInStore.set((int) state.index);
    }

    /** Intervals whose merge is in memory (the others are only in the store): for tests. */
    public synchronized int intervalsInMemory() {
        return intervals.size();
    }

    /** Whether this worker's report for this interval was merged already. */
    public synchronized boolean hasReported(String workerId, long index) {
        WorkerProgress progress = workers.get(workerId);
        return progress != null && progress.isReported(index);
    }

    /** Counts a report refused for {@code reason} by the caller of {@link #mergeIfNew}. */
    public synchronized void countRejection(IntervalReport report, String reason) {
        rejected++;
        if (rejectionReasons.size() < 100) {
            rejectionReasons.add("worker " + report.getWorkerId() + ", interval "
                    + Long.toUnsignedString(report.getIntervalIndex()) + ": " + reason);
        }
    }

    /** An interval just shown: its live snapshot and its merged data as they were at that moment. */
    public record ShownInterval(LiveSnapshot snapshot, MergedInterval merged) {}

    /** Whether {@link #pollShown} would show an interval now; cheap enough to ask on every tick. */
    public synchronized boolean showDue(long nowUnixNanos) {
        return showable(nextToShow, nowUnixNanos);
    }

    /**
     * Shows every interval that became complete by {@code nowUnixNanos} (coordinator clock), in index order:
     * each one's snapshot (state and run id left for the caller to fill) and merged data, for the detectors.
     */
    public synchronized List<ShownInterval> pollShown(long nowUnixNanos) {
        List<ShownInterval> shown = new ArrayList<>();
        while (showable(nextToShow, nowUnixNanos)) {
            long index = nextToShow;
            IntervalState state = intervals.computeIfAbsent(index, this::newState);
            LiveSnapshot snapshot = state.show(expectedWorkers(index), intervalNanos);
            if (!regions.isEmpty()) {
                LiveSnapshot.Builder withRegions = snapshot.toBuilder();
                for (String region : regions) {
                    withRegions.addRegions(
                            state.region(region).show(expectedWorkers(index, region), intervalNanos).toBuilder()
                                    .setRegion(region));
                }
                snapshot = withRegions.build();
            }
            shown.add(new ShownInterval(snapshot, withRegions(state)));
            keepLive(state);
            nextToShow++;
        }
        return shown;
    }

    /** A new interval, with its regions' merges in plan order. */
    private IntervalState newState(long index) {
        IntervalState state = new IntervalState(index);
        regions.forEach(state::region);
        return state;
    }

    /** The interval's merge, with one entry per region of the plan, in plan order (those without reports empty). */
    private MergedInterval withRegions(IntervalState state) {
        return state.toMergedInterval();
    }

    private boolean showable(long index, long nowUnixNanos) {
        if (running == 0 && !lastIndexCounts.isEmpty() && index > lastIndexCounts.lastKey()) {
            return false; // every worker finished before this interval
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
        if (state == null || state.workersReported < expectedWorkers(index)) {
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

    /** The workers of {@code region} expected to report interval {@code index}: a scan, once per shown interval. */
    private int expectedWorkers(long index, String region) {
        int expected = 0;
        for (WorkerProgress p : workers.values()) {
            if (region.equals(p.region) && p.lastIndex >= index) {
                expected++;
            }
        }
        return expected;
    }

    /** A shown interval keeps its full histograms until enough newer ones are shown. */
    private void keepLive(IntervalState state) {
        liveShown.addLast(state);
        while (liveShown.size() > LIVE_SHOWN_INTERVALS) {
            IntervalState old = liveShown.pollFirst();
            old.release();
            if (old.keptInStore && intervals.get(old.index) == old) {
                dropToStore(old);
            }
        }
    }

    /** The interval's merged data as it stands now, or null when nothing was merged for it. */
    public synchronized MergedInterval mergedInterval(long index) {
        IntervalState state = intervals.get(index);
        if (state != null) {
            return state.toMergedInterval();
        }
        return isOnlyInStore(index) ? readStored(index) : null;
    }

    /** Intervals below this index have been shown. */
    public synchronized long shownBelow() {
        return nextToShow;
    }

    /**
     * Restores an interval from its compacted form (a new leader, or a copy answering for the result): its
     * merged data as it was, and every worker it names ({@link MergedInterval#getReportedBy()}, by position in the
     * run's order) counted as having reported it, so their copies are {@code ALREADY_MERGED}. Positions beyond the
     * workers added are ignored. The interval must have nothing merged
     * yet: a restore reads compacted intervals before any raw report.
     *
     * @throws IllegalStateException when something was merged for the interval already
     */
    public synchronized void restoreCompacted(MergedInterval merged) {
        long index = merged.getIntervalIndex();
        if (intervals.containsKey(index) || isOnlyInStore(index)) {
            throw new IllegalStateException(
                    "interval " + index + " has data already; compacted intervals are " + "restored before any report");
        }
        IntervalState state = IntervalState.fromMerged(merged);
        intervals.put(index, state);
        BitSet named = ReportedBy.decode(merged);
        for (int i = named.nextSetBit(0); i >= 0 && i < inOrder.size(); i = named.nextSetBit(i + 1)) {
            WorkerProgress progress = inOrder.get(i);
            if (progress.markReported(index)) {
                progress.highestReported = Math.max(progress.highestReported, index);
            }
        }
    }

    /**
     * Every interval with data, in index order, including late reports. Those only in the store are read back from
     * it outside the merger's lock, in one call; one the store lost is left out (logged).
     */
    public List<MergedInterval> mergedIntervals() {
        TreeMap<Long, MergedInterval> result = new TreeMap<>();
        BitSet stored;
        synchronized (this) {
            for (IntervalState state : intervals.values()) {
                result.put(state.index, withRegions(state));
            }
            stored = (BitSet) onlyInStore.clone();
        }
        if (!stored.isEmpty()) {
            Set<Long> indexes = new HashSet<>();
            for (int i = stored.nextSetBit(0); i >= 0; i = stored.nextSetBit(i + 1)) {
                indexes.add((long) i);
            }
            Map<Long, MergedInterval> read = store.read(indexes);
            int lost = 0;
            for (int i = stored.nextSetBit(0); i >= 0; i = stored.nextSetBit(i + 1)) {
                MergedInterval m = read.get((long) i);
                if (m != null) {
                    result.putIfAbsent((long) i, m);
                } else if (!result.containsKey((long) i)) {
                    lost++;
                }
            }
            if (lost > 0) {
                int missing = lost;
                LOG.warning(() -> missing + " intervals' merges are missing from the run's replicated state and are "
                        + "left out of its result");
            }
        }
        return new ArrayList<>(result.values());
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
        /** The worker's region when the merger keeps that region's merge, else null. */
        final String region;
        /** Last interval this worker will report; MAX_VALUE while it is still running. */
        long lastIndex = Long.MAX_VALUE;

        /** Position in the run's order. */
        final int ordinal;

        WorkerProgress(int ordinal, String region) {
            this.ordinal = ordinal;
            this.region = region;
        }

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
        /**
         * The request phases by {@link IntervalState#phaseOf} index (connection wait, time to first byte,
         * connect, TLS handshake); an entry is null when the report left it empty.
         */
        final SparseHistogram[] phases = new SparseHistogram[IntervalState.PHASE_COUNT];
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
                    decodeOrEmpty(outcome.getLatencyMicros()), decodeOrEmpty(outcome.getServiceTimeMicros())
                });
            }
            if (!report.getSchedulerLagMicros().isEmpty()) {
                decoded.schedulerLag = HistogramCodec.decodeSparse(report.getSchedulerLagMicros());
            }
            for (int i = 0; i < IntervalState.PHASE_COUNT; i++) {
                ByteString phase = IntervalState.phaseOf(report, i);
                if (!phase.isEmpty()) {
                    decoded.phases[i] = HistogramCodec.decodeSparse(phase);
                }
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

    /** Why a report was not merged. */
    public static final class RejectedReportException extends Exception {
        private static final long serialVersionUID = 1L;

        public RejectedReportException(String message) {
            super(message);
        }
    }
}
