package io.salvo.coordinator.merge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramCodec.CorruptHistogramException;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.core.result.ReportedBy;
import io.salvo.proto.v1.CapturedHeader;
import io.salvo.proto.v1.HeaderValueCount;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.MergedInterval;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeHistograms;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class IntervalMergerTest {

    private static final long SECOND = 1_000_000_000L;
    private static final long START = 1_700_000_000L * SECOND;

    private static IntervalReport report(String worker, long index, Histogram latency, Histogram service) {
        return IntervalReport.newBuilder()
                .setRunId("r")
                .setWorkerId(worker)
                .setIntervalIndex(index)
                .addOutcomes(OutcomeHistograms.newBuilder()
                        .setOutcome(OutcomeClass.OUTCOME_CLASS_2XX)
                        .setLatencyMicros(HistogramCodec.encode(latency))
                        .setServiceTimeMicros(HistogramCodec.encode(service)))
                .setSent(latency.getTotalCount())
                .setCompleted(latency.getTotalCount())
                .setIntended(latency.getTotalCount())
                .build();
    }

    private static Histogram decode(ByteString bytes) throws Exception {
        return HistogramCodec.decode(bytes.toByteArray());
    }

    /** Merges as the coordinator does (decoded once, merged if new); whether the next interval may be complete. */
    private static boolean accept(IntervalMerger merger, IntervalReport report) throws Exception {
        return merger.mergeIfNew(IntervalMerger.decode(report)) == IntervalMerger.Merged.NEXT_MAY_BE_COMPLETE;
    }

    /** The snapshots of the intervals shown at {@code nowUnixNanos}. */
    private static List<LiveSnapshot> shown(IntervalMerger merger, long nowUnixNanos) {
        return merger.pollShown(nowUnixNanos).stream()
                .map(IntervalMerger.ShownInterval::snapshot)
                .toList();
    }

    /** The 2xx latency over every merged interval, late reports included. */
    private static Histogram total2xx(IntervalMerger merger) throws Exception {
        Histogram total = HistogramSpec.newHistogram();
        for (MergedInterval interval : merger.mergedIntervals()) {
            for (OutcomeHistograms outcome : interval.getOutcomesList()) {
                if (outcome.getOutcome() == OutcomeClass.OUTCOME_CLASS_2XX) {
                    total.add(decode(outcome.getLatencyMicros()));
                }
            }
        }
        return total;
    }

    /**
     * A run with regions: each region's merge holds exactly its own workers' samples, the run's merge all of them,
     * in the merged intervals and in the snapshots (region by region, in plan order, with their own worker counts).
     */
    @Test
    void regionsAreMergedExactlyOnTheirOwnAndTogether() throws Exception {
        IntervalMerger merger = new IntervalMerger(START, SECOND, SECOND, 100, List.of("us-east1", "europe-west1"));
        merger.addWorker("us-1", "us-east1");
        merger.addWorker("us-2", "us-east1");
        merger.addWorker("eu-1", "europe-west1");
        Histogram us = HistogramSpec.newHistogram();
        Histogram eu = HistogramSpec.newHistogram();
        SplittableRandom random = new SplittableRandom(5);
        // Europe reports first: the regions still come in plan order.
        for (String worker : List.of("eu-1", "us-1", "us-2")) {
            Histogram latency = HistogramSpec.newHistogram();
            for (int i = 0; i < 500; i++) {
                latency.recordValue(
                        worker.startsWith("us") ? 1_000 + random.nextInt(500) : 80_000 + random.nextInt(9_000));
            }
            (worker.startsWith("us") ? us : eu).add(latency);
            accept(merger, report(worker, 0, latency, latency));
        }
        LiveSnapshot snapshot = shown(merger, START + SECOND).get(0);
        assertThat(snapshot.getRegionsList())
                .extracting(LiveSnapshot::getRegion)
                .containsExactly("us-east1", "europe-west1");
        LiveSnapshot usSnapshot = snapshot.getRegions(0);
        LiveSnapshot euSnapshot = snapshot.getRegions(1);
        assertThat(usSnapshot.getWorkersReported()).isEqualTo(2);
        assertThat(usSnapshot.getWorkersAssigned()).isEqualTo(2);
        assertThat(euSnapshot.getWorkersAssigned()).isEqualTo(1);
        assertThat(usSnapshot.getLatencyP99Micros()).isEqualTo(us.getValueAtPercentile(99));
        assertThat(euSnapshot.getLatencyP50Micros()).isEqualTo(eu.getValueAtPercentile(50));
        Histogram both = us.copy();
        both.add(eu);
        assertThat(snapshot.getLatencyP99Micros()).isEqualTo(both.getValueAtPercentile(99));
        assertThat(decode(usSnapshot.getLatencyMicros())).isEqualTo(us);

        MergedInterval merged = merger.mergedIntervals().get(0);
        assertThat(merged.getRegionsList())
                .extracting(MergedInterval::getRegion)
                .containsExactly("us-east1", "europe-west1");
        assertThat(decode(merged.getRegions(0).getOutcomes(0).getLatencyMicros()))
                .isEqualTo(us);
        assertThat(decode(merged.getRegions(1).getOutcomes(0).getLatencyMicros()))
                .isEqualTo(eu);
        assertThat(reportedBy(merged.getRegions(0)))
                .as("us-1 and us-2, added first")
                .containsExactly(0, 1);
        assertThat(merged.getRegions(1).getSent()).isEqualTo(500);
        assertThat(merged.getSent()).isEqualTo(1500);
    }

    /** Three workers' histograms merged equal, count for count, all samples recorded in one place. */
    @Test
    void mergeIsExact() throws Exception {
        IntervalMerger merger = new IntervalMerger(START, SECOND, SECOND, 100);
        Histogram everything = HistogramSpec.newHistogram();
        SplittableRandom random = new SplittableRandom(3);
        for (String worker : List.of("w0", "w1", "w2")) {
            merger.addWorker(worker);
        }
        for (long index = 0; index < 3; index++) {
            for (int w = 0; w < 3; w++) {
                Histogram latency = HistogramSpec.newHistogram();
                // different shapes per worker: fast, slow with a long tail, bimodal
                for (int i = 0; i < 20_000; i++) {
                    long value = switch (w) {
                        case 0 -> 1_000 + random.nextLong(500);
                        case 1 -> (long) (20_000 * Math.exp(random.nextGaussian()));
                        default -> random.nextBoolean() ? 5_000 : 900_000 + random.nextLong(100_000);
                    };
                    latency.recordValue(Math.max(1, value));
                    everything.recordValue(Math.max(1, value));
                }
                accept(merger, report("w" + w, index, latency, latency));
            }
        }
        assertThat(shown(merger, START)).hasSize(3); // everyone reported: shown before grace
        Histogram merged = HistogramSpec.newHistogram();
        for (MergedInterval m : merger.mergedIntervals()) {
            merged.add(decode(m.getOutcomes(0).getLatencyMicros()));
        }
        assertThat(merged).isEqualTo(everything);
        assertThat(total2xx(merger)).isEqualTo(everything);
        for (double p : new double[] {50, 90, 99, 99.9, 100}) {
            assertThat(merged.getValueAtPercentile(p)).isEqualTo(everything.getValueAtPercentile(p));
        }
    }

    /** What the live views draw from: percentiles, outcome counts, lag and the exact histogram of all outcomes. */
    @Test
    void aSnapshotCarriesTheIntervalsExactLatencyHistogramAndItsFigures() throws Exception {
        IntervalMerger merger = new IntervalMerger(START, SECOND, SECOND, 100);
        merger.addWorker("a");
        merger.addWorker("b");
        Histogram fast = HistogramSpec.newHistogram();
        Histogram everything = HistogramSpec.newHistogram();
        for (int i = 1; i <= 1000; i++) {
            fast.recordValue(i * 10L);
            everything.recordValue(i * 10L);
        }
        Histogram timeouts = HistogramSpec.newHistogram();
        timeouts.recordValueWithCount(5_000_000, 7);
        everything.recordValueWithCount(5_000_000, 7);
        Histogram lag = HistogramSpec.newHistogram();
        for (int i = 1; i <= 100; i++) {
            lag.recordValue(i);
        }
        Histogram waitA = HistogramSpec.newHistogram();
        for (int i = 1; i <= 200; i++) {
            waitA.recordValue(i * 5L);
        }
        Histogram waitB = HistogramSpec.newHistogram();
        waitB.recordValue(250_000);
        accept(
                merger,
                report("a", 0, fast, fast).toBuilder()
                        .setSchedulerLagMicros(HistogramCodec.encode(lag))
                        .setConnectionWaitMicros(HistogramCodec.encode(waitA))
                        .setConnectionWaits(4)
                        .setUnsent(3)
                        .setInFlightCapHits(2)
                        .build());
        accept(
                merger,
                IntervalReport.newBuilder()
                        .setRunId("r")
                        .setWorkerId("b")
                        .setIntervalIndex(0)
                        .addOutcomes(OutcomeHistograms.newBuilder()
                                .setOutcome(OutcomeClass.OUTCOME_CLASS_TIMEOUT)
                                .setLatencyMicros(HistogramCodec.encode(timeouts))
                                .setServiceTimeMicros(HistogramCodec.encode(timeouts)))
                        .setSent(7)
                        .setCompleted(7)
                        .setIntended(7)
                        .setConnectionWaitMicros(HistogramCodec.encode(waitB))
                        .setConnectionWaits(1)
                        .build());
        Histogram waits = HistogramSpec.newHistogram();
        waits.add(waitA);
        waits.add(waitB);

        LiveSnapshot s = shown(merger, START).get(0);

        assertThat(decode(s.getLatencyMicros())).isEqualTo(everything);
        assertThat(s.getLatencyP50Micros()).isEqualTo(everything.getValueAtPercentile(50));
        assertThat(s.getLatencyP95Micros()).isEqualTo(everything.getValueAtPercentile(95));
        assertThat(s.getLatencyP99Micros()).isEqualTo(everything.getValueAtPercentile(99));
        assertThat(s.getLatencyMaxMicros()).isEqualTo(everything.getMaxValue());
        assertThat(s.getOutcomeCountsList())
                .extracting(c -> c.getOutcome(), c -> c.getCount())
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple(OutcomeClass.OUTCOME_CLASS_2XX, 1000L),
                        org.assertj.core.groups.Tuple.tuple(OutcomeClass.OUTCOME_CLASS_TIMEOUT, 7L));
        assertThat(s.getErrors()).isEqualTo(7);
        assertThat(s.getSchedulerLagP99Micros()).isEqualTo(lag.getValueAtPercentile(99));
        assertThat(s.getSchedulerLagMaxMicros()).isEqualTo(lag.getMaxValue());
        assertThat(s.getConnectionWaitP99Micros()).isEqualTo(waits.getValueAtPercentile(99));
        assertThat(s.getConnectionWaitMaxMicros()).isEqualTo(waits.getMaxValue());
        assertThat(s.getConnectionWaits()).isEqualTo(5);
        assertThat(s.getUnsent()).isEqualTo(3);
        assertThat(s.getInFlightCapHits()).isEqualTo(2);
        assertThat(s.getIntervalMillis()).isEqualTo(1000);
    }

    @Test
    void intervalsAreShownInIndexOrderRegardlessOfArrivalOrder() throws Exception {
        IntervalMerger merger = new IntervalMerger(START, SECOND, SECOND, 100);
        merger.addWorker("a");
        merger.addWorker("b");
        Histogram h = single(1000);
        accept(merger, report("a", 1, h, h));
        accept(merger, report("b", 1, h, h));
        accept(merger, report("a", 0, h, h));
        // interval 1 is complete but 0 still waits for b: nothing may be shown yet
        assertThat(shown(merger, START + SECOND + SECOND / 2)).isEmpty();
        accept(merger, report("b", 0, h, h));
        List<LiveSnapshot> shown = shown(merger, START + SECOND + SECOND / 2);
        assertThat(shown).extracting(LiveSnapshot::getIntervalIndex).containsExactly(0L, 1L);
        assertThat(shown.get(0).getWorkersReported()).isEqualTo(2);
        assertThat(shown.get(0).getSuccesses()).isEqualTo(2);
    }

    @Test
    void graceShowsAnIncompleteIntervalAndALateReportStillCounts() throws Exception {
        IntervalMerger merger = new IntervalMerger(START, SECOND, SECOND / 2, 100);
        merger.addWorker("a");
        merger.addWorker("b");
        accept(merger, report("a", 0, single(1000), single(900)));
        assertThat(shown(merger, START + SECOND + SECOND / 4)).isEmpty();
        List<LiveSnapshot> shown = shown(merger, START + SECOND + SECOND / 2);
        assertThat(shown).hasSize(1);
        assertThat(shown.get(0).getWorkersReported()).isEqualTo(1);
        assertThat(shown.get(0).getWorkersAssigned()).isEqualTo(2);

        accept(merger, report("b", 0, single(70_000), single(60_000))); // late
        MergedInterval interval0 = merger.mergedIntervals().get(0);
        assertThat(interval0.getHadLateReports()).isTrue();
        assertThat(reportedBy(interval0)).containsExactly(0, 1);
        Histogram latency = decode(interval0.getOutcomes(0).getLatencyMicros());
        assertThat(latency.getTotalCount()).isEqualTo(2);
        assertThat(latency.getMaxValue()).isEqualTo(latency.highestEquivalentValue(70_000));
        assertThat(total2xx(merger).getTotalCount()).isEqualTo(2);
    }

    @Test
    void finishedWorkersAreNotWaitedForAndTheRunCompletes() throws Exception {
        IntervalMerger merger = new IntervalMerger(START, SECOND, 10 * SECOND, 100);
        merger.addWorker("a");
        merger.addWorker("b");
        accept(merger, report("a", 0, single(10), single(10)));
        accept(merger, report("b", 0, single(10), single(10)));
        accept(merger, report("a", 1, single(10), single(10)));
        merger.workerFinished("b", 0);
        assertThat(merger.complete()).isFalse();
        merger.workerFinished("a", 1);
        assertThat(shown(merger, START))
                .extracting(LiveSnapshot::getIntervalIndex)
                .containsExactly(0L, 1L);
        assertThat(merger.complete()).isTrue();
    }

    @Test
    void lostWorkerStopsBeingExpectedAfterItsLastReport() throws Exception {
        IntervalMerger merger = new IntervalMerger(START, SECOND, 10 * SECOND, 100);
        merger.addWorker("a");
        merger.addWorker("b");
        accept(merger, report("a", 0, single(10), single(10)));
        accept(merger, report("b", 0, single(10), single(10)));
        accept(merger, report("a", 1, single(10), single(10)));
        merger.workerLost("b");
        assertThat(shown(merger, START))
                .extracting(LiveSnapshot::getIntervalIndex)
                .containsExactly(0L, 1L);
    }

    @Test
    void refusesCorruptUnknownAndImpossibleReportsAndIgnoresSecondCopiesKeepingWhatWasMerged() throws Exception {
        IntervalMerger merger = new IntervalMerger(START, SECOND, SECOND, 10);
        merger.addWorker("a");
        accept(merger, report("a", 0, single(500), single(400)));

        IntervalReport corrupt = report("a", 1, single(1), single(1)).toBuilder()
                .setOutcomes(
                        0,
                        OutcomeHistograms.newBuilder()
                                .setOutcome(OutcomeClass.OUTCOME_CLASS_2XX)
                                .setLatencyMicros(ByteString.copyFromUtf8("definitely not a histogram")))
                .build();
        assertThatThrownBy(() -> IntervalMerger.decode(corrupt)).isInstanceOf(CorruptHistogramException.class);
        assertThat(merger.mergeIfNew(IntervalMerger.decode(report("a", 0, single(1), single(1)))))
                .isEqualTo(IntervalMerger.Merged.ALREADY_MERGED);
        assertThatThrownBy(() -> accept(merger, report("mallory", 0, single(1), single(1))))
                .hasMessage("worker 'mallory' is not part of this run");
        assertThatThrownBy(() -> accept(merger, report("a", 11, single(1), single(1))))
                .hasMessage("interval index 11 is beyond the run's last possible interval 10");
        // Refusals are counted by whoever received the report, once, with its reason.
        assertThat(merger.rejectedReports()).isZero();
        merger.countRejection(corrupt, "corrupt histogram payload: test");
        assertThat(merger.rejectedReports()).isEqualTo(1);
        assertThat(merger.rejectionReasons()).containsExactly("worker a, interval 1: corrupt histogram payload: test");
        assertThat(total2xx(merger).getTotalCount()).isEqualTo(1);
        // the corrupt interval 1 can still be reported correctly afterwards
        accept(merger, report("a", 1, single(7), single(7)));
        assertThat(merger.mergedIntervals()).hasSize(2);
    }

    @Test
    void capturedHeadersAndCountersAddUp() throws Exception {
        IntervalMerger merger = new IntervalMerger(START, SECOND, SECOND, 10);
        merger.addWorker("a");
        merger.addWorker("b");
        for (String w : List.of("a", "b")) {
            accept(
                    merger,
                    report(w, 0, single(10), single(10)).toBuilder()
                            .setLateSends(2)
                            .setInFlightCapHits(3)
                            .setUnsent(1)
                            .addCapturedHeaders(CapturedHeader.newBuilder()
                                    .setName("Salvo-Instance-Id")
                                    .addValues(HeaderValueCount.newBuilder()
                                            .setValue("i-1")
                                            .setCount(5))
                                    .addValues(HeaderValueCount.newBuilder()
                                            .setValue("i-" + w)
                                            .setCount(1)))
                            .build());
        }
        MergedInterval m = merger.mergedIntervals().get(0);
        assertThat(m.getLateSends()).isEqualTo(4);
        assertThat(m.getInFlightCapHits()).isEqualTo(6);
        assertThat(m.getUnsent()).isEqualTo(2);
        assertThat(m.getCapturedHeaders(0).getValuesList())
                .extracting(HeaderValueCount::getValue, HeaderValueCount::getCount)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("i-1", 10L),
                        org.assertj.core.groups.Tuple.tuple("i-a", 1L),
                        org.assertj.core.groups.Tuple.tuple("i-b", 1L));
    }

    @Test
    void onlyTheLastExpectedReportOfTheNextIntervalAsksForAShow() throws Exception {
        IntervalMerger merger = new IntervalMerger(START, SECOND, 10 * SECOND, 100);
        for (String w : List.of("a", "b", "c")) {
            merger.addWorker(w);
        }
        assertThat(accept(merger, report("a", 0, single(10), single(10)))).isFalse();
        assertThat(accept(merger, report("b", 1, single(10), single(10)))).isFalse(); // not the next to show
        assertThat(merger.showDue(START)).isFalse();
        assertThat(accept(merger, report("b", 0, single(10), single(10)))).isFalse();
        merger.workerLost("c"); // c reported nothing: no interval waits for it any more
        assertThat(merger.showDue(START)).isTrue();
        assertThat(shown(merger, START))
                .extracting(LiveSnapshot::getIntervalIndex)
                .containsExactly(0L);
        assertThat(accept(merger, report("a", 1, single(10), single(10)))).isTrue();
        assertThat(merger.showDue(START)).isTrue();
        assertThat(shown(merger, START))
                .extracting(LiveSnapshot::getIntervalIndex)
                .containsExactly(1L);
        assertThat(merger.showDue(START)).isFalse();
        assertThat(merger.showDue(START + 3 * SECOND + 10 * SECOND - 1)).isFalse();
        assertThat(merger.showDue(START + 3 * SECOND + 10 * SECOND)).isTrue(); // interval 2 at the end of its grace
    }

    /**
     * Intervals shown by the grace period, then every late report at once (as after a stall):
     * whether the interval is still among the last shown ones or long compressed, it ends up
     * with exactly what was recorded, flagged as having had late reports.
     */
    @Test
    void lateReportsMergeExactlyIntoRecentAndLongShownIntervals() throws Exception {
        IntervalMerger merger = new IntervalMerger(START, SECOND, SECOND / 2, 100);
        merger.addWorker("a");
        merger.addWorker("b");
        SplittableRandom random = new SplittableRandom(11);
        int intervals = IntervalMerger.LIVE_SHOWN_INTERVALS + 4;
        Histogram[] everything = new Histogram[intervals];
        for (int i = 0; i < intervals; i++) {
            everything[i] = HistogramSpec.newHistogram();
            accept(merger, report("a", i, record(random, everything[i]), single(1)));
        }
        assertThat(shown(merger, START + intervals * SECOND + SECOND)).hasSize(intervals);
        for (int i = intervals - 1; i >= 0; i--) { // newest first: the oldest are long compressed by then
            accept(merger, report("b", i, record(random, everything[i]), single(1)));
        }
        List<MergedInterval> merged = merger.mergedIntervals();
        assertThat(merged).hasSize(intervals);
        for (int i = 0; i < intervals; i++) {
            assertThat(merged.get(i).getHadLateReports()).isTrue();
            assertThat(reportedBy(merged.get(i))).containsExactly(0, 1);
            assertThat(decode(merged.get(i).getOutcomes(0).getLatencyMicros()))
                    .as("interval %d", i)
                    .isEqualTo(everything[i]);
        }
        Histogram total = HistogramSpec.newHistogram();
        for (Histogram h : everything) {
            total.add(h);
        }
        assertThat(total2xx(merger)).isEqualTo(total);
    }

    /**
     * Intervals the run's store holds for good leave the merger's memory once shown and no longer live; a late
     * report for one is deferred until the caller reads the interval back, then merged into it; a copy of a report
     * it holds is still known, and the merged intervals (regions included) are exactly those of a merger that kept
     * everything. An interval the store lost is not read back, so its late report is never merged into an empty one.
     */
    @Test
    void intervalsHandedToTheStoreLeaveMemoryAndAreReadBackExactly() throws Exception {
        List<String> regions = List.of("us-east1", "europe-west1");
        IntervalMerger kept = new IntervalMerger(START, SECOND, SECOND / 2, 100, regions);
        IntervalMerger reference = new IntervalMerger(START, SECOND, SECOND / 2, 100, regions);
        Map<Long, MergedInterval> store = new TreeMap<>();
        kept.keepStoredIntervalsIn(indexes -> {
            Map<Long, MergedInterval> found = new TreeMap<>(store);
            found.keySet().retainAll(indexes);
            return found;
        });
        for (IntervalMerger m : List.of(kept, reference)) {
            m.addWorker("a", "us-east1");
            m.addWorker("b", "europe-west1");
        }
        SplittableRandom random = new SplittableRandom(17);
        int intervals = 20;
        for (int i = 0; i < intervals; i++) {
            for (String worker : List.of("a", "b")) {
                if (worker.equals("b") && (i == 3 || i == 4)) {
                    continue; // b's reports for 3 and 4 come late, after the store holds them
                }
                IntervalReport r = report(worker, i, record(random, HistogramSpec.newHistogram()), single(i + 1));
                accept(kept, r);
                accept(reference, r);
            }
        }
        assertThat(shown(kept, START + intervals * SECOND + SECOND)).hasSize(intervals);
        assertThat(shown(reference, START + intervals * SECOND + SECOND)).hasSize(intervals);
        for (long i = 0; i < 15; i++) {
            MergedInterval m = kept.mergedInterval(i);
            store.put(i, m);
            kept.keptInStore(i, ReportedBy.decode(m));
        }
        assertThat(kept.intervalsInMemory()).as("intervals 15-19 only").isEqualTo(5);

        IntervalReport late = report("b", 3, record(random, HistogramSpec.newHistogram()), single(7));
        assertThat(kept.mergeIfNew(IntervalMerger.decode(late)))
                .as("no store read under the merger's lock: the caller reads the interval back first")
                .isEqualTo(IntervalMerger.Merged.DEFERRED);
        assertThat(kept.hasReported("b", 3)).isFalse();
        assertThat(kept.intervalsInMemory()).isEqualTo(5);
        assertThat(kept.readBack(3, store.get(3L))).isTrue();
        accept(kept, late);
        accept(reference, late);
        assertThat(kept.intervalsInMemory()).isEqualTo(6);
        assertThat(kept.mergedInterval(3)).isEqualTo(reference.mergedInterval(3));
        assertThat(kept.mergedInterval(3).getHadLateReports()).isTrue();
        // The store's merge of 3 is now behind: handing it over with the old workers keeps it in memory.
        kept.keptInStore(3, ReportedBy.decode(store.get(3L)));
        assertThat(kept.intervalsInMemory()).isEqualTo(6);
        assertThat(kept.mergeIfNew(IntervalMerger.decode(report("a", 7, single(1), single(1)))))
                .as("a copy of a report the store holds")
                .isEqualTo(IntervalMerger.Merged.ALREADY_MERGED);
        assertThat(kept.mergedInterval(7)).isEqualTo(reference.mergedInterval(7));
        assertThat(kept.mergedIntervals()).isEqualTo(reference.mergedIntervals());

        store.remove(4L);
        IntervalReport lost = report("b", 4, single(5), single(5));
        assertThat(kept.mergeIfNew(IntervalMerger.decode(lost))).isEqualTo(IntervalMerger.Merged.DEFERRED);
        assertThat(kept.readBack(4, store.get(4L))).as("the store lost it").isFalse();
        assertThat(kept.hasReported("b", 4)).isFalse();
        assertThat(kept.mergedIntervals())
                .extracting(MergedInterval::getIntervalIndex)
                .doesNotContain(4L);
    }

    /**
     * The request phases (connection wait, time to first byte, connect, TLS handshake) and their counters merge
     * exactly like the outcome histograms: across workers, into intervals still live and into long compressed
     * ones by late reports. A phase no worker reported stays empty, as an older worker's report leaves it.
     */
    @Test
    void requestPhasesMergeExactlyAcrossWorkersLiveAndCompressed() throws Exception {
        IntervalMerger merger = new IntervalMerger(START, SECOND, SECOND / 2, 100);
        for (String worker : List.of("a", "b", "c")) {
            merger.addWorker(worker);
        }
        SplittableRandom random = new SplittableRandom(17);
        int intervals = IntervalMerger.LIVE_SHOWN_INTERVALS + 3;
        Histogram[][] everything = new Histogram[intervals][4];
        long[][] counters = new long[intervals][3];
        for (int i = 0; i < intervals; i++) {
            for (int phase = 0; phase < 4; phase++) {
                everything[i][phase] = HistogramSpec.newHistogram();
            }
        }
        // Worker c reports late, newest first, after every interval was shown (the oldest long compressed).
        for (String worker : List.of("a", "b", "LATE", "c")) {
            if (worker.equals("LATE")) {
                assertThat(shown(merger, START + intervals * SECOND + SECOND)).hasSize(intervals);
                continue;
            }
            for (int n = 0; n < intervals; n++) {
                int i = worker.equals("c") ? intervals - 1 - n : n;
                IntervalReport.Builder r = report(worker, i, single(1_000), single(900)).toBuilder();
                Histogram wait = record(random, everything[i][0]);
                Histogram firstByte = record(random, everything[i][1]);
                r.setConnectionWaitMicros(HistogramCodec.encode(wait))
                        .setTimeToFirstByteMicros(HistogramCodec.encode(firstByte));
                if (i % 2 == 0 && !worker.equals("b")) { // connects and handshakes are rare: some intervals have none
                    Histogram connect = HistogramSpec.newHistogram();
                    connect.recordValue(200 + random.nextLong(2_000));
                    everything[i][2].add(connect);
                    Histogram handshake = HistogramSpec.newHistogram();
                    handshake.recordValue(3_000 + random.nextLong(20_000));
                    everything[i][3].add(handshake);
                    r.setConnectMicros(HistogramCodec.encode(connect))
                            .setTlsHandshakeMicros(HistogramCodec.encode(handshake));
                }
                long waits = random.nextLong(50);
                long unsentWaiting = random.nextLong(5);
                long unsentFailed = random.nextLong(5);
                counters[i][0] += waits;
                counters[i][1] += unsentWaiting;
                counters[i][2] += unsentFailed;
                accept(
                        merger,
                        r.setConnectionWaits(waits)
                                .setUnsentConnectionWait(unsentWaiting)
                                .setUnsentConnectFailed(unsentFailed)
                                .setUnsent(unsentWaiting + unsentFailed)
                                .build());
            }
        }
        List<MergedInterval> merged = merger.mergedIntervals();
        assertThat(merged).hasSize(intervals);
        for (int i = 0; i < intervals; i++) {
            MergedInterval m = merged.get(i);
            assertThat(reportedBy(m)).containsExactly(0, 1, 2);
            assertThat(decode(m.getConnectionWaitMicros()))
                    .as("connection wait %d", i)
                    .isEqualTo(everything[i][0]);
            assertThat(decode(m.getTimeToFirstByteMicros()))
                    .as("time to first byte %d", i)
                    .isEqualTo(everything[i][1]);
            if (i % 2 == 0) {
                assertThat(decode(m.getConnectMicros())).as("connect %d", i).isEqualTo(everything[i][2]);
                assertThat(decode(m.getTlsHandshakeMicros()))
                        .as("handshake %d", i)
                        .isEqualTo(everything[i][3]);
            } else {
                assertThat(m.getConnectMicros()).as("connect %d", i).isEmpty();
                assertThat(m.getTlsHandshakeMicros()).as("handshake %d", i).isEmpty();
            }
            assertThat(m.getConnectionWaits()).isEqualTo(counters[i][0]);
            assertThat(m.getUnsentConnectionWait()).isEqualTo(counters[i][1]);
            assertThat(m.getUnsentConnectFailed()).isEqualTo(counters[i][2]);
            assertThat(m.getUnsent()).isEqualTo(counters[i][1] + counters[i][2]);
        }
    }

    @Test
    void aSecondCopyOfferedByItsReceiverIsNeitherMergedNorCounted() throws Exception {
        IntervalMerger merger = new IntervalMerger(START, SECOND, SECOND, 10);
        merger.addWorker("a");
        IntervalReport first = report("a", 0, single(500), single(400));
        assertThat(merger.mergeIfNew(IntervalMerger.decode(first)))
                .isEqualTo(IntervalMerger.Merged.NEXT_MAY_BE_COMPLETE);
        assertThat(merger.hasReported("a", 0)).isTrue();
        assertThat(merger.mergeIfNew(IntervalMerger.decode(report("a", 0, single(9), single(9)))))
                .isEqualTo(IntervalMerger.Merged.ALREADY_MERGED);
        assertThatThrownBy(() -> merger.mergeIfNew(IntervalMerger.decode(report("mallory", 0, single(1), single(1)))))
                .hasMessage("worker 'mallory' is not part of this run");
        assertThat(merger.rejectedReports()).isZero();
        assertThat(decode(merger.mergedIntervals().get(0).getOutcomes(0).getLatencyMicros())
                        .getTotalCount())
                .isEqualTo(1);
    }

    @Test
    void anIndexBeyondTwoToTheSixtyThreeIsImpossibleNotNegative() {
        IntervalMerger merger = new IntervalMerger(START, SECOND, SECOND, 10);
        merger.addWorker("a");
        assertThatThrownBy(() -> accept(merger, report("a", -3, single(1), single(1))))
                .hasMessage("interval index 18446744073709551613 is beyond the run's last possible interval 10");
        assertThat(merger.mergedIntervals()).isEmpty();
    }

    private static Histogram record(SplittableRandom random, Histogram alsoInto) {
        Histogram h = HistogramSpec.newHistogram();
        for (int i = 0; i < 500; i++) {
            long v = (long) (20_000 * Math.exp(0.5 * random.nextGaussian()));
            h.recordValue(v);
            alsoInto.recordValue(v);
        }
        return h;
    }

    private static Histogram single(long micros) {
        Histogram h = HistogramSpec.newHistogram();
        h.recordValue(micros);
        return h;
    }

    /** The positions (in the order workers were added) of the workers an interval names, with its count checked. */
    private static List<Integer> reportedBy(MergedInterval m) {
        List<Integer> positions = ReportedBy.decode(m).stream().boxed().toList();
        assertThat(m.getWorkersReported()).isEqualTo(positions.size());
        return positions;
    }
}
