package io.salvo.coordinator.merge;

import com.google.protobuf.ByteString;
import io.salvo.coordinator.merge.HistogramCodec.CorruptHistogramException;
import io.salvo.proto.v1.CapturedHeader;
import io.salvo.proto.v1.HeaderValueCount;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.MergedInterval;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeHistograms;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
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
 *   <li>Shown intervals are kept compressed, so a long run costs a few KB per interval, not the
 *       ~180 KB that a live 1 µs–1 h histogram occupies.</li>
 *   <li>A report that is corrupt, duplicated, from an unknown worker or for an impossible interval is
 *       rejected with a reason and counted; nothing already merged changes.</li>
 * </ul>
 * Thread-safe: decoding happens outside the lock, merging under it.
 */
public final class IntervalMerger {

    private final long startUnixNanos;
    private final long intervalNanos;
    private final long graceNanos;
    private final long maxIntervalIndex;

    private final Map<String, WorkerProgress> workers = new HashMap<>();
    private final TreeMap<Long, IntervalState> intervals = new TreeMap<>();
    private final EnumMap<OutcomeClass, Histogram> totalLatency = new EnumMap<>(OutcomeClass.class);
    private final EnumMap<OutcomeClass, Histogram> totalServiceTime = new EnumMap<>(OutcomeClass.class);
    private final Histogram totalSchedulerLag = HistogramCodec.newHistogram();
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
        workers.putIfAbsent(workerId, new WorkerProgress());
    }

    /** The worker reported everything up to {@code lastIndex}; it is not waited for beyond it. */
    public synchronized void workerFinished(String workerId, long lastIndex) {
        WorkerProgress progress = workers.get(workerId);
        if (progress != null) {
            progress.lastIndex = lastIndex;
        }
    }

    /** The worker is gone; intervals after the last one it reported do not wait for it. */
    public synchronized void workerLost(String workerId) {
        WorkerProgress progress = workers.get(workerId);
        if (progress != null && progress.lastIndex == Long.MAX_VALUE) {
            progress.lastIndex = progress.highestReported;
        }
    }

    public synchronized boolean allWorkersFinished() {
        return workers.values().stream().allMatch(p -> p.lastIndex != Long.MAX_VALUE);
    }

    /** True when every worker finished and every interval any of them reported has been shown. */
    public synchronized boolean complete() {
        if (!allWorkersFinished()) {
            return false;
        }
        long last = workers.values().stream().mapToLong(p -> p.lastIndex).max().orElse(-1);
        return nextToShow > last;
    }

    /**
     * Validates and merges one report.
     *
     * @throws RejectedReportException naming why the report cannot be merged; it was counted
     */
    public void accept(IntervalReport report) throws RejectedReportException {
        DecodedReport decoded;
        try {
            decoded = DecodedReport.decode(report);
        } catch (CorruptHistogramException e) {
            throw reject(report, "corrupt histogram payload: " + e.getMessage());
        }
        synchronized (this) {
            WorkerProgress progress = workers.get(report.getWorkerId());
            if (progress == null) {
                throw reject(report, "worker '" + report.getWorkerId() + "' is not part of this run");
            }
            long index = report.getIntervalIndex();
            if (index > maxIntervalIndex) {
                throw reject(report, "interval index " + index + " is beyond the run's last possible interval "
                        + maxIntervalIndex);
            }
            if (!progress.reported.add(index)) {
                throw reject(report, "duplicate report for interval " + index);
            }
            progress.highestReported = Math.max(progress.highestReported, index);
            intervals.computeIfAbsent(index, IntervalState::new).merge(report.getWorkerId(), decoded);
            decoded.outcomes.forEach((outcome, pair) -> {
                pair[0].addTo(totalLatency.computeIfAbsent(outcome, o -> HistogramCodec.newHistogram()));
                pair[1].addTo(totalServiceTime.computeIfAbsent(outcome, o -> HistogramCodec.newHistogram()));
            });
            if (decoded.schedulerLag != null) {
                decoded.schedulerLag.addTo(totalSchedulerLag);
            }
        }
    }

    /**
     * Checks that a report's histogram payloads decode within bounds, as {@link #accept} does, so a
     * coordinator can refuse a corrupt report before it enters the replicated state.
     */
    public static void checkPayload(IntervalReport report) throws CorruptHistogramException {
        DecodedReport.decode(report);
    }

    private synchronized RejectedReportException reject(IntervalReport report, String reason) {
        rejected++;
        if (rejectionReasons.size() < 100) {
            rejectionReasons.add("worker " + report.getWorkerId() + ", interval " + report.getIntervalIndex()
                    + ": " + reason);
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

    /** Like {@link #pollCompleted} but with each interval's merged data, for live detectors. */
    public synchronized List<ShownInterval> pollShown(long nowUnixNanos) {
        List<ShownInterval> shown = new ArrayList<>();
        while (true) {
            long index = nextToShow;
            long lastExpected = workers.values().stream().mapToLong(p -> p.lastIndex).max().orElse(Long.MAX_VALUE);
            if (allWorkersFinished() && index > lastExpected) {
                break;
            }
            boolean everyoneReported = !workers.isEmpty() && workers.values().stream()
                    .allMatch(p -> p.lastIndex < index || p.reported.contains(index));
            long endOfGrace = startUnixNanos + (index + 1) * intervalNanos + graceNanos;
            if (!everyoneReported && nowUnixNanos < endOfGrace) {
                break;
            }
            IntervalState state = intervals.computeIfAbsent(index, IntervalState::new);
            LiveSnapshot snapshot = state.show(expectedWorkers(index), intervalNanos);
            shown.add(new ShownInterval(snapshot, state.toMergedInterval()));
            nextToShow++;
        }
        return shown;
    }

    private int expectedWorkers(long index) {
        return (int) workers.values().stream().filter(p -> p.lastIndex >= index).count();
    }

    /** Every interval with data, in index order, including late reports. */
    public synchronized List<MergedInterval> mergedIntervals() {
        List<MergedInterval> result = new ArrayList<>();
        for (IntervalState state : intervals.values()) {
            result.add(state.toMergedInterval());
        }
        return result;
    }

    public synchronized Histogram totalLatency(OutcomeClass outcome) {
        Histogram h = totalLatency.get(outcome);
        return h == null ? HistogramCodec.newHistogram() : h.copy();
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
        return p == null ? 0 : p.reported.size();
    }

    private static final class WorkerProgress {
        final Set<Long> reported = new java.util.HashSet<>();
        long highestReported = -1;
        /** Last interval this worker will report; MAX_VALUE while it is still running. */
        long lastIndex = Long.MAX_VALUE;
    }

    /** A report whose histograms were decoded and validated, ready to merge under the lock. */
    private static final class DecodedReport {
        final EnumMap<OutcomeClass, SparseHistogram[]> outcomes = new EnumMap<>(OutcomeClass.class);
        SparseHistogram schedulerLag;
        IntervalReport report;

        static DecodedReport decode(IntervalReport report) throws CorruptHistogramException {
            DecodedReport decoded = new DecodedReport();
            decoded.report = report;
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
                decoded.schedulerLag = HistogramCodec.decodeSparse(report.getSchedulerLagMicros().toByteArray());
            }
            return decoded;
        }

        private static final SparseHistogram EMPTY = new SparseHistogram(new long[0], new long[0], 0);

        private static SparseHistogram decodeOrEmpty(ByteString bytes) throws CorruptHistogramException {
            return bytes.isEmpty() ? EMPTY : HistogramCodec.decodeSparse(bytes.toByteArray());
        }
    }

    /** One interval: live histograms until shown, compressed afterwards. */
    private static final class IntervalState {
        final long index;
        EnumMap<OutcomeClass, Histogram[]> live = new EnumMap<>(OutcomeClass.class);
        Histogram liveLag;
        EnumMap<OutcomeClass, byte[][]> compressed;
        byte[] compressedLag;
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

        void merge(String workerId, DecodedReport decoded) {
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
            instanceFirstResponses.addAll(r.getInstanceFirstResponsesList());
            boolean reportHadErrors = decoded.outcomes.keySet().stream()
                    .anyMatch(o -> o != OutcomeClass.OUTCOME_CLASS_2XX && decoded.outcomes.get(o)[0].totalCount() > 0);
            if (!r.getErrorCompletionOffsetMicros().isEmpty()) {
                try {
                    Histogram errorOffsets = HistogramCodec.decode(r.getErrorCompletionOffsetMicros().toByteArray());
                    if (errorCompletionOffsets == null) {
                        errorCompletionOffsets = HistogramCodec.newHistogram();
                    }
                    errorCompletionOffsets.add(errorOffsets);
                } catch (CorruptHistogramException e) {
                    // Optional detail: without it the detectors count this interval's errors as an upper bound.
                    errorCompletionOffsetsComplete = false;
                }
            } else if (reportHadErrors) {
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
                inflate();
                addHistograms(decoded);
                deflate();
            } else {
                addHistograms(decoded);
            }
        }

        private void addHistograms(DecodedReport decoded) {
            decoded.outcomes.forEach((outcome, pair) -> {
                Histogram[] target = live.computeIfAbsent(outcome,
                        o -> new Histogram[] {HistogramCodec.newHistogram(), HistogramCodec.newHistogram()});
                pair[0].addTo(target[0]);
                pair[1].addTo(target[1]);
            });
            if (decoded.schedulerLag != null) {
                if (liveLag == null) {
                    liveLag = HistogramCodec.newHistogram();
                }
                decoded.schedulerLag.addTo(liveLag);
            }
        }

        LiveSnapshot show(int workersExpected, long intervalNanos) {
            Histogram all = HistogramCodec.newHistogram();
            long successes = 0;
            for (Map.Entry<OutcomeClass, Histogram[]> e : live.entrySet()) {
                all.add(e.getValue()[0]);
                if (e.getKey() == OutcomeClass.OUTCOME_CLASS_2XX) {
                    successes = e.getValue()[0].getTotalCount();
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
            deflate();
            return snapshot;
        }

        private void deflate() {
            compressed = new EnumMap<>(OutcomeClass.class);
            live.forEach((outcome, pair) -> compressed.put(outcome,
                    new byte[][] {HistogramCodec.encode(pair[0]), HistogramCodec.encode(pair[1])}));
            compressedLag = liveLag == null ? null : HistogramCodec.encode(liveLag);
            live = null;
            liveLag = null;
        }

        private void inflate() {
            live = new EnumMap<>(OutcomeClass.class);
            try {
                for (Map.Entry<OutcomeClass, byte[][]> e : compressed.entrySet()) {
                    live.put(e.getKey(), new Histogram[] {
                            HistogramCodec.decode(e.getValue()[0]), HistogramCodec.decode(e.getValue()[1])});
                }
                liveLag = compressedLag == null ? null : HistogramCodec.decode(compressedLag);
            } catch (CorruptHistogramException e) {
                throw new IllegalStateException("the coordinator's own encoding failed to decode", e);
            }
        }

        MergedInterval toMergedInterval() {
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
            if (shown) {
                compressed.forEach((outcome, pair) -> b.addOutcomes(OutcomeHistograms.newBuilder()
                        .setOutcome(outcome)
                        .setLatencyMicros(ByteString.copyFrom(pair[0]))
                        .setServiceTimeMicros(ByteString.copyFrom(pair[1]))));
                if (compressedLag != null) {
                    b.setSchedulerLagMicros(ByteString.copyFrom(compressedLag));
                }
            } else {
                live.forEach((outcome, pair) -> b.addOutcomes(OutcomeHistograms.newBuilder()
                        .setOutcome(outcome)
                        .setLatencyMicros(ByteString.copyFrom(HistogramCodec.encode(pair[0])))
                        .setServiceTimeMicros(ByteString.copyFrom(HistogramCodec.encode(pair[1])))));
                if (liveLag != null) {
                    b.setSchedulerLagMicros(ByteString.copyFrom(HistogramCodec.encode(liveLag)));
                }
            }
            headers.forEach((name, values) -> {
                CapturedHeader.Builder h = CapturedHeader.newBuilder().setName(name);
                values.forEach((value, count) -> h.addValues(HeaderValueCount.newBuilder().setValue(value).setCount(count)));
                b.addCapturedHeaders(h);
            });
            return b.build();
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
