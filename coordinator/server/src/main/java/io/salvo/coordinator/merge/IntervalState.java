package io.salvo.coordinator.merge;

import com.google.protobuf.ByteString;
import io.salvo.core.histogram.DenseCounts;
import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramCodec.CorruptHistogramException;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.core.histogram.SparseHistogram;
import io.salvo.core.result.ReportedBy;
import io.salvo.proto.v1.CapturedHeader;
import io.salvo.proto.v1.HeaderValueCount;
import io.salvo.proto.v1.InstanceFirstResponse;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.MergedInterval;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeCount;
import io.salvo.proto.v1.OutcomeHistograms;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * One interval. Until it is shown, and while it is among the last few shown, its histograms are
 * live (full HdrHistograms, added to bucket by bucket); afterwards only their compressed encoding
 * is kept. The compressed form and the merged view are cached until the next report changes them.
 */
final class IntervalState {
    final long index;
    /** Null when only the compressed form is kept. */
    EnumMap<OutcomeClass, DenseCounts[]> live = new EnumMap<>(OutcomeClass.class);

    DenseCounts liveLag;
    /** Request phases by index (see {@link #phaseOf}); an entry is null until a report carried that phase. */
    DenseCounts[] livePhases = new DenseCounts[PHASE_COUNT];

    EnumMap<OutcomeClass, ByteString[]> compressed = new EnumMap<>(OutcomeClass.class);
    ByteString compressedLag;
    ByteString[] compressedPhases = new ByteString[PHASE_COUNT];

    /** Connection wait, time to first byte, TCP connect, TLS handshake: IntervalReport fields 24, 26, 27, 28. */
    static final int PHASE_COUNT = 4;
    /** Whether {@link #compressed} holds what {@link #live} holds. */
    boolean compressedCurrent = true;

    MergedInterval merged;
    long sent;
    long completed;
    long lateSends;
    long capHits;
    long unsent;
    long intended;
    long connectionWaits;
    long unsentConnectionWait;
    long unsentConnectFailed;
    final Map<String, Map<String, Long>> headers = new TreeMap<>();
    /**
     * The workers whose reports are merged here, by their position in the run's order: one bit per worker and
     * interval for as long as the run lasts, where a list of ids cost 4-8 bytes and a set ~40 (ADR 0022).
     */
    final BitSet reportedBy = new BitSet();
    /** The number of bits set in {@link #reportedBy}: the merger lets each worker's report of an interval in once. */
    int workersReported;
    /** Each region's own merge of this interval, in plan order; null for a run without regions. */
    Map<String, IntervalState> regions;
    /** Set on a region's state: the region it merges. */
    String region;

    boolean shown;
    /** The run's store holds this interval's merge as it is now (the merger may drop it; see keptInStore). */
    boolean keptInStore;

    boolean lateReports;
    // Precise marks for the detectors: min of offsets, exact sum of error instants, all first responses.
    Long firstSendOffsetMicros;
    Long firstSuccessOffsetMicros;
    Histogram errorCompletionOffsets;
    boolean errorCompletionOffsetsComplete = true;
    final List<InstanceFirstResponse> instanceFirstResponses = new ArrayList<>(0);

    IntervalState(long index) {
        this.index = index;
    }

    /**
     * An interval as {@link #toMergedInterval} wrote it (its compacted form): only the compressed histograms are
     * kept, as for an interval shown long ago; a late report inflates them. {@code fromMerged(m).toMergedInterval()}
     * equals {@code m}.
     */
    static IntervalState fromMerged(MergedInterval m) {
        IntervalState s = new IntervalState(m.getIntervalIndex());
        s.sent = m.getSent();
        s.completed = m.getCompleted();
        s.lateSends = m.getLateSends();
        s.capHits = m.getInFlightCapHits();
        s.unsent = m.getUnsent();
        s.intended = m.getIntended();
        s.connectionWaits = m.getConnectionWaits();
        s.unsentConnectionWait = m.getUnsentConnectionWait();
        s.unsentConnectFailed = m.getUnsentConnectFailed();
        s.reportedBy.or(ReportedBy.decode(m));
        s.workersReported = s.reportedBy.cardinality();
        s.lateReports = m.getHadLateReports();
        s.instanceFirstResponses.addAll(m.getInstanceFirstResponsesList());
        s.errorCompletionOffsetsComplete = m.getErrorCompletionOffsetsComplete();
        if (m.hasFirstSendOffsetMicros()) {
            s.firstSendOffsetMicros = m.getFirstSendOffsetMicros();
        }
        if (m.hasFirstSuccessOffsetMicros()) {
            s.firstSuccessOffsetMicros = m.getFirstSuccessOffsetMicros();
        }
        try {
            if (!m.getErrorCompletionOffsetMicros().isEmpty()) {
                s.errorCompletionOffsets = HistogramCodec.decode(m.getErrorCompletionOffsetMicros());
            }
        } catch (CorruptHistogramException e) {
            throw new IllegalStateException("a compacted interval's error offsets do not decode", e);
        }
        for (OutcomeHistograms o : m.getOutcomesList()) {
            s.compressed.put(o.getOutcome(), new ByteString[] {o.getLatencyMicros(), o.getServiceTimeMicros()});
        }
        s.compressedLag = m.getSchedulerLagMicros().isEmpty() ? null : m.getSchedulerLagMicros();
        for (int i = 0; i < PHASE_COUNT; i++) {
            ByteString phase = mergedPhaseOf(m, i);
            s.compressedPhases[i] = phase.isEmpty() ? null : phase;
        }
        for (CapturedHeader header : m.getCapturedHeadersList()) {
            Map<String, Long> values = s.headers.computeIfAbsent(header.getName(), n -> new TreeMap<>());
            for (HeaderValueCount v : header.getValuesList()) {
                values.merge(v.getValue(), v.getCount(), Long::sum);
            }
        }
        if (!m.getRegion().isEmpty()) {
            s.region = m.getRegion();
        }
        if (m.getRegionsCount() > 0) {
            s.regions = new java.util.LinkedHashMap<>();
            for (MergedInterval r : m.getRegionsList()) {
                s.regions.put(r.getRegion(), fromMerged(r));
            }
        }
        s.live = null;
        s.livePhases = null;
        s.compressedCurrent = true;
        s.merged = m;
        return s;
    }

    private static ByteString mergedPhaseOf(MergedInterval m, int i) {
        return switch (i) {
            case 0 -> m.getConnectionWaitMicros();
            case 1 -> m.getTimeToFirstByteMicros();
            case 2 -> m.getConnectMicros();
            case 3 -> m.getTlsHandshakeMicros();
            default -> throw new IllegalArgumentException("no request phase " + i);
        };
    }

    /** The region's own merge of this interval, created empty (and kept in call order) when first asked for. */
    IntervalState region(String name) {
        if (regions == null) {
            regions = new java.util.LinkedHashMap<>();
        }
        return regions.computeIfAbsent(name, n -> {
            IntervalState state = new IntervalState(index);
            state.region = n;
            return state;
        });
    }

    /** A worker report's histogram of request phase {@code i} (empty when it has none). */
    static ByteString phaseOf(IntervalReport report, int i) {
        return switch (i) {
            case 0 -> report.getConnectionWaitMicros();
            case 1 -> report.getTimeToFirstByteMicros();
            case 2 -> report.getConnectMicros();
            case 3 -> report.getTlsHandshakeMicros();
            default -> throw new IllegalArgumentException("no request phase " + i);
        };
    }

    private static void setPhase(MergedInterval.Builder b, int i, ByteString histogram) {
        switch (i) {
            case 0 -> b.setConnectionWaitMicros(histogram);
            case 1 -> b.setTimeToFirstByteMicros(histogram);
            case 2 -> b.setConnectMicros(histogram);
            case 3 -> b.setTlsHandshakeMicros(histogram);
            default -> throw new IllegalArgumentException("no request phase " + i);
        }
    }

    /** Merges a report of the worker at {@code ordinal} in the run's order (not merged here before). */
    void merge(int ordinal, IntervalMerger.Decoded decoded) {
        IntervalReport r = decoded.report;
        keptInStore = false;
        reportedBy.set(ordinal);
        workersReported++;
        sent += r.getSent();
        completed += r.getCompleted();
        lateSends += r.getLateSends();
        capHits += r.getInFlightCapHits();
        unsent += r.getUnsent();
        intended += r.getIntended();
        connectionWaits += r.getConnectionWaits();
        unsentConnectionWait += r.getUnsentConnectionWait();
        unsentConnectFailed += r.getUnsentConnectFailed();
        if (r.hasFirstSendOffsetMicros()) {
            firstSendOffsetMicros = firstSendOffsetMicros == null
                    ? r.getFirstSendOffsetMicros()
                    : Math.min(firstSendOffsetMicros, r.getFirstSendOffsetMicros());
        }
        if (r.hasFirstSuccessOffsetMicros()) {
            firstSuccessOffsetMicros = firstSuccessOffsetMicros == null
                    ? r.getFirstSuccessOffsetMicros()
                    : Math.min(firstSuccessOffsetMicros, r.getFirstSuccessOffsetMicros());
        }
        if (r.getInstanceFirstResponsesCount() > 0) {
            instanceFirstResponses.addAll(r.getInstanceFirstResponsesList());
        }
        if (decoded.errorOffsets != null) {
            if (errorCompletionOffsets == null) {
                errorCompletionOffsets = HistogramSpec.newHistogram();
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
            DenseCounts[] target =
                    live.computeIfAbsent(e.getKey(), o -> new DenseCounts[] {new DenseCounts(), new DenseCounts()});
            target[0].add(e.getValue()[0]);
            target[1].add(e.getValue()[1]);
        }
        if (decoded.schedulerLag != null) {
            if (liveLag == null) {
                liveLag = new DenseCounts();
            }
            liveLag.add(decoded.schedulerLag);
        }
        for (int i = 0; i < PHASE_COUNT; i++) {
            if (decoded.phases[i] != null) {
                if (livePhases[i] == null) {
                    livePhases[i] = new DenseCounts();
                }
                livePhases[i].add(decoded.phases[i]);
            }
        }
        compressedCurrent = false;
        merged = null;
    }

    LiveSnapshot show(int workersExpected, long intervalNanos) {
        if (live == null) {
            inflate();
        }
        Histogram all = HistogramSpec.newHistogram();
        long successes = 0;
        List<OutcomeCount> outcomeCounts = new ArrayList<>(live.size());
        for (Map.Entry<OutcomeClass, DenseCounts[]> e : live.entrySet()) {
            e.getValue()[0].addTo(all);
            long count = e.getValue()[0].totalCount();
            if (e.getKey() == OutcomeClass.OUTCOME_CLASS_2XX) {
                successes = count;
            }
            if (count > 0) {
                outcomeCounts.add(OutcomeCount.newBuilder()
                        .setOutcome(e.getKey())
                        .setCount(count)
                        .build());
            }
        }
        double seconds = intervalNanos / 1e9;
        boolean any = all.getTotalCount() > 0;
        LiveSnapshot.Builder snapshot = LiveSnapshot.newBuilder()
                .setIntervalIndex(index)
                .setIntervalMillis((int) (intervalNanos / 1_000_000))
                .setWorkersReported(workersReported)
                .setWorkersAssigned(workersExpected)
                .setSent(sent)
                .setCompleted(completed)
                .setSuccesses(successes)
                .setErrors(all.getTotalCount() - successes)
                .setSuccessRatePerSecond(successes / seconds)
                .setTargetRatePerSecond(intended / seconds)
                .setLatencyP50Micros(any ? all.getValueAtPercentile(50) : 0)
                .setLatencyP95Micros(any ? all.getValueAtPercentile(95) : 0)
                .setLatencyP99Micros(any ? all.getValueAtPercentile(99) : 0)
                .setLatencyMaxMicros(any ? all.getMaxValue() : 0)
                .addAllOutcomeCounts(outcomeCounts)
                .setLateSends(lateSends)
                .setUnsent(unsent)
                .setInFlightCapHits(capHits);
        if (any) {
            snapshot.setLatencyMicros(HistogramCodec.encode(all));
        }
        if (liveLag != null && liveLag.totalCount() > 0) {
            Histogram lag = liveLag.toHistogram();
            snapshot.setSchedulerLagP99Micros(lag.getValueAtPercentile(99)).setSchedulerLagMaxMicros(lag.getMaxValue());
        }
        DenseCounts liveWait = livePhases == null ? null : livePhases[0];
        if (liveWait != null && liveWait.totalCount() > 0) {
            Histogram wait = liveWait.toHistogram();
            snapshot.setConnectionWaitP99Micros(wait.getValueAtPercentile(99))
                    .setConnectionWaitMaxMicros(wait.getMaxValue());
        }
        snapshot.setConnectionWaits(connectionWaits);
        shown = true;
        return snapshot.build();
    }

    /** Marks an interval read back from its stored form as shown, as it was when stored; its regions too. */
    void markShown() {
        shown = true;
        if (regions != null) {
            regions.values().forEach(IntervalState::markShown);
        }
    }

    /** Keeps only the compressed form. */
    void release() {
        if (regions != null) {
            regions.values().forEach(IntervalState::release);
        }
        if (live != null) {
            compress();
            live = null;
            liveLag = null;
            livePhases = null;
        }
    }

    private void compress() {
        if (compressedCurrent) {
            return;
        }
        compressed = new EnumMap<>(OutcomeClass.class);
        live.forEach((outcome, pair) -> compressed.put(outcome, new ByteString[] {
            HistogramCodec.encode(pair[0].toHistogram()), HistogramCodec.encode(pair[1].toHistogram())
        }));
        compressedLag = liveLag == null ? null : HistogramCodec.encode(liveLag.toHistogram());
        compressedPhases = new ByteString[PHASE_COUNT];
        for (int i = 0; i < PHASE_COUNT; i++) {
            compressedPhases[i] = livePhases[i] == null ? null : HistogramCodec.encode(livePhases[i].toHistogram());
        }
        compressedCurrent = true;
    }

    private void inflate() {
        live = new EnumMap<>(OutcomeClass.class);
        try {
            for (Map.Entry<OutcomeClass, ByteString[]> e : compressed.entrySet()) {
                live.put(e.getKey(), new DenseCounts[] {dense(e.getValue()[0]), dense(e.getValue()[1])});
            }
            liveLag = compressedLag == null ? null : dense(compressedLag);
            livePhases = new DenseCounts[PHASE_COUNT];
            for (int i = 0; i < PHASE_COUNT; i++) {
                livePhases[i] = compressedPhases[i] == null ? null : dense(compressedPhases[i]);
            }
        } catch (CorruptHistogramException e) {
            throw new IllegalStateException("the coordinator's own encoding failed to decode", e);
        }
    }

    private static DenseCounts dense(ByteString compressed) throws CorruptHistogramException {
        DenseCounts counts = new DenseCounts();
        counts.add(HistogramCodec.decodeSparse(compressed));
        return counts;
    }

    MergedInterval toMergedInterval() {
        if (merged != null && (regions == null || regions.values().stream().allMatch(r -> r.merged != null))) {
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
                .setConnectionWaits(connectionWaits)
                .setUnsentConnectionWait(unsentConnectionWait)
                .setUnsentConnectFailed(unsentConnectFailed)
                .setWorkersReported(workersReported)
                .setReportedBy(ReportedBy.encode(reportedBy))
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
            b.setErrorCompletionOffsetMicros(HistogramCodec.encode(errorCompletionOffsets));
        }
        compressed.forEach((outcome, pair) -> b.addOutcomes(OutcomeHistograms.newBuilder()
                .setOutcome(outcome)
                .setLatencyMicros(pair[0])
                .setServiceTimeMicros(pair[1])));
        if (compressedLag != null) {
            b.setSchedulerLagMicros(compressedLag);
        }
        for (int i = 0; i < PHASE_COUNT; i++) {
            if (compressedPhases[i] != null) {
                setPhase(b, i, compressedPhases[i]);
            }
        }
        headers.forEach((name, values) -> {
            CapturedHeader.Builder h = CapturedHeader.newBuilder().setName(name);
            values.forEach((value, count) ->
                    h.addValues(HeaderValueCount.newBuilder().setValue(value).setCount(count)));
            b.addCapturedHeaders(h);
        });
        if (region != null) {
            b.setRegion(region);
        }
        if (regions != null) {
            regions.values().forEach(r -> b.addRegions(r.toMergedInterval()));
        }
        merged = b.build();
        return merged;
    }
}
