package io.salvo.coordinator.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salvo.coordinator.cluster.CompactedInterval;
import io.salvo.coordinator.cluster.ReportKey;
import io.salvo.coordinator.cluster.RunStore;
import io.salvo.coordinator.merge.IntervalMerger;
import io.salvo.coordinator.server.ScriptedReports;
import io.salvo.coordinator.slicing.SlicePlanner;
import io.salvo.core.histogram.HistogramCodec;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.MergedInterval;
import io.salvo.proto.v1.OutcomeHistograms;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.Slice;
import io.salvo.proto.v1.WorkerEvent;
import io.salvo.proto.v1.WorkerFinished;
import io.salvo.proto.v1.WorkerSummary;
import io.salvo.testkit.FakeClock;
import io.salvo.testkit.TestPlans;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/**
 * A running run's reports are compacted, on fake time, as its manager drives it: intervals older than the grace
 * period plus the margin become one entry each, the raw reports they replace leave the store, a late report for a
 * compacted interval is folded in exactly, and a coordinator restoring the run from the store (a takeover, or a
 * follower answering for the result) gets the same merged intervals as the leader and as a plain merge of every
 * report.
 */
class RunCompactionTest {

    private static final long GRACE_NANOS = Duration.ofMillis(1500).toNanos();
    private static final long HEARTBEAT_TIMEOUT_NANOS = Duration.ofSeconds(30).toNanos();
    private static final long STOP_TIMEOUT_NANOS = Duration.ofSeconds(10).toNanos();
    private static final long MARGIN_NANOS = RunSettings.DEFAULT_COMPACTION_MARGIN.toNanos();

    private final FakeClock clock = new FakeClock();
    private final InMemoryRunStore store = new InMemoryRunStore();
    private final FakeChannel a = new FakeChannel("w-a", clock);
    private final FakeChannel b = new FakeChannel("w-b", clock);
    /** Every report the run was given, for a plain merge to compare with. */
    private final List<IntervalReport> sent = new ArrayList<>();

    private Run start(RunPlan plan) {
        long start = clock.unixNanos() + Duration.ofSeconds(1).toNanos();
        Run run = Run.create(
                new RunSpec(
                        "run-c",
                        plan,
                        7,
                        start,
                        GRACE_NANOS,
                        HEARTBEAT_TIMEOUT_NANOS,
                        STOP_TIMEOUT_NANOS,
                        MARGIN_NANOS),
                clock::unixNanos,
                store,
                "coordinator-c");
        Map<String, Slice> slices = SlicePlanner.plan(
                List.of(new SlicePlanner.Participant("w-a", 1), new SlicePlanner.Participant("w-b", 1)), 7);
        run.assign(a, slices.get("w-a"));
        run.assign(b, slices.get("w-b"));
        run.persist();
        run.sendAssignments();
        run.driveOn(clock);
        run.compactOn(clock);
        ScheduledFuture<?> unusedTicks =
                clock.scheduleAtFixedRate(() -> run.tick(clock.unixNanos()), 50, 50, TimeUnit.MILLISECONDS);
        ScheduledFuture<?> unusedHeartbeats = clock.scheduleAtFixedRate(
                () -> {
                    a.heard();
                    b.heard();
                },
                1,
                1,
                TimeUnit.SECONDS);
        return run;
    }

    private void at(long millis) {
        clock.forward(Duration.ofMillis(millis).minus(clock.elapsed()));
    }

    /** As the leader takes in a report from its own stream: merged at once, stored raw (the batcher's job). */
    private IntervalMerger.Merged report(Run run, FakeChannel worker, long index) throws Exception {
        IntervalReport r = ScriptedReports.report(
                run.id(),
                worker.workerId(),
                index,
                1_000 + index * 10,
                2_000 + worker.workerId().length(),
                50_000);
        byte[] bytes = r.toByteArray();
        store.reports.put(ReportKey.of(index, worker.workerId()), bytes);
        IntervalMerger.Merged merged = run.inbox().receivedReport(IntervalMerger.decode(r), bytes);
        sent.add(r);
        return merged;
    }

    @Test
    void oldIntervalsBecomeOneEntryEachAndEveryRestoreIsExact() throws Exception {
        Run run = start(TestPlans.constantRate(100, 30_000, 2).build());
        int maxRaw = 0;
        for (int i = 0; i < 30; i++) {
            at(1_000 + (i + 1) * 1_000L + 20);
            report(run, a, i);
            if (i != 3) {
                report(run, b, i); // w-b's report for interval 3 comes much later
            }
            if (i == 14) {
                // Interval 3 was compacted long ago (end at 4 s, + 1.5 s grace + 2 s margin + 1 s quiet).
                assertThat(CompactedInterval.decode(entry(3L)).countsByWorker()).containsOnlyKeys("w-a");
                report(run, b, 3);
                // A copy of w-a's report for interval 5 that a coordinator not leading the run stored (a re-send
                // after a reconnect) reaches the leader through the store: merged already, held by 5's entry.
                IntervalReport copy = sent.stream()
                        .filter(r ->
                                r.getIntervalIndex() == 5 && r.getWorkerId().equals("w-a"))
                        .findFirst()
                        .orElseThrow();
                String key = ReportKey.of(5, "w-a");
                store.reports.put(key, copy.toByteArray());
                run.inbox().storedReport(key, copy.toByteArray());
                assertThat(store.reports).containsKey(key);
            }
            if (i == 15) {
                assertThat(store.reports)
                        .as("the stray copy is removed at the next pass")
                        .doesNotContainKey(ReportKey.of(5, "w-a"));
            }
            maxRaw = Math.max(maxRaw, store.reports.size() - (i == 14 ? 1 : 0)); // less the stray copy
            if (i >= 10) {
                long oldestRaw = 7L + (i - 10) - 1;
                boolean lateStillRaw = i <= 16; // w-b's late report waits for the next pass after a quiet second
                boolean strayJustStored = i == 14; // removed by the pass after it was stored
                // Only the intervals within grace + margin + quiet (+ the one being reported) stay raw.
                assertThat(store.reports.keySet())
                        .filteredOn(key -> !(lateStillRaw && key.equals("000000000003/w-b")))
                        .filteredOn(key -> !(strayJustStored && key.equals("000000000005/w-a")))
                        .allSatisfy(key ->
                                assertThat(Long.parseLong(key.substring(0, 12))).isGreaterThanOrEqualTo(oldestRaw));
            }
        }
        // Two reports per interval, for at most six intervals: bounded, however long the run.
        assertThat(maxRaw).isLessThanOrEqualTo(2 * 6 + 1);
        at(1_000 + 31_000 + 1_500 + 2_000 + 1_100);
        assertThat(store.compacted).containsKey(28L);
        assertThat(store.reports.keySet()).noneMatch(key -> key.startsWith(ReportKey.of(3, "")));

        CompactedInterval three = CompactedInterval.decode(entry(3L));
        assertThat(three.countsByWorker()).containsOnlyKeys("w-a", "w-b");
        assertThat(three.merged().getWorkersReported()).isEqualTo(2);
        IntervalReport late = sent.stream()
                .filter(r -> r.getIntervalIndex() == 3 && r.getWorkerId().equals("w-b"))
                .findFirst()
                .orElseThrow();
        assertThat(three.digestOf("w-b")).isEqualTo(CompactedInterval.digestOf(late.toByteArray()));

        List<MergedInterval> expected = plainMerge();
        assertSameData(run.result().getIntervalsList(), expected);

        // A coordinator restoring the run from the store, as at a takeover, has every report exactly once.
        assertThat(restoreAndCheck("coordinator-d", run, expected)).isEqualTo(sent.size());
        // A raw copy left behind (a leader that died between writing an entry and removing what it covers) counts
        // as merged, not twice.
        IntervalReport copy = sent.get(0);
        store.reports.put(ReportKey.of(copy.getIntervalIndex(), copy.getWorkerId()), copy.toByteArray());
        restoreAndCheck("coordinator-e", run, expected);
    }

    /**
     * Past every worker's re-send horizon, compacted intervals are sealed: their entries keep the merge alone, the
     * per-worker counts move to the run's one sealed-counts entry, and the store stops growing per worker and
     * interval. A late report for a sealed interval is folded in exactly; restores stay exact, also from the state a
     * leader leaves when it dies between storing the sealed counts and sealing the entries.
     */
    @Test
    void intervalsPastTheResendHorizonAreSealedAndEveryRestoreIsStillExact() throws Exception {
        Run run = start(TestPlans.constantRate(100, 150_000, 2).build());
        byte[] recentFive = null;
        for (int i = 0; i < 150; i++) {
            at(1_000 + (i + 1) * 1_000L + 20);
            report(run, a, i);
            if (i != 3) {
                report(run, b, i);
            }
            if (i == 60) {
                recentFive = entry(5L);
                assertThat(CompactedInterval.decode(recentFive).isSealed()).isFalse();
                assertThat(store.sealedCounts)
                        .as("nothing is 60 s past its compaction yet")
                        .isNull();
            }
            if (i == 110) {
                CompactedInterval three = CompactedInterval.decode(entry(3L));
                assertThat(three.isSealed()).isTrue();
                assertThat(three.countsByWorker()).isEmpty();
                assertThat(three.merged().getWorkersReported()).isEqualTo(1);
                // Far beyond the re-send horizon, but new: merged and counted, once interval 3 is read back from
                // the store, which fails for the next two seconds (its owner lost): the report waits, not refused.
                store.compactedReadsFail = true;
                report(run, b, 3);
                IntervalReport copy = sent.stream()
                        .filter(r ->
                                r.getIntervalIndex() == 10 && r.getWorkerId().equals("w-a"))
                        .findFirst()
                        .orElseThrow();
                assertThat(run.inbox().receivedReport(IntervalMerger.decode(copy), copy.toByteArray()))
                        .as("a copy of a sealed interval's report is still known as one")
                        .isEqualTo(IntervalMerger.Merged.ALREADY_MERGED);
            }
            if (i == 112) {
                assertThat(run.inbox().mergedAlready(ReportKey.of(3, "w-b")))
                        .as("waiting for interval 3 to be read back")
                        .isFalse();
                store.compactedReadsFail = false;
            }
            if (i == 113) {
                assertThat(run.inbox().mergedAlready(ReportKey.of(3, "w-b"))).isTrue();
            }
            if (i == 95) {
                // A coordinator that cannot take a spill batch: the sealed entries stay in the maps meanwhile.
                store.spillFails = true;
            }
            if (i == 115) {
                assertThat(store.spills).as("no spill succeeded yet").isZero();
                assertThat(store.compacted.values().stream()
                                .filter(b -> CompactedInterval.decode(b).isSealed()))
                        .as("sealed entries kept in the maps while spilling fails")
                        .hasSizeGreaterThanOrEqualTo(32);
                store.spillFails = false;
            }
            if (i >= 100) {
                // Recent entries: 1.5 s grace + 2 s margin + 60 s + a batch of 32, at most; the rest are sealed.
                long recent = store.compacted.values().stream()
                        .filter(bytes -> !CompactedInterval.decode(bytes).isSealed())
                        .count();
                assertThat(recent).as("recent entries at interval " + i).isBetween(30L, 64L + 32 + 2);
            }
        }
        at(1_000 + 151_000 + 1_500 + 2_000 + 1_100);
        CompactedInterval three = CompactedInterval.decode(entry(3L));
        assertThat(three.isSealed()).isTrue();
        assertThat(three.merged().getWorkersReported()).isEqualTo(2);
        assertThat(store.reports.keySet()).noneMatch(key -> key.startsWith(ReportKey.of(3, "")));
        assertThat(run.compactionTotals()[2]).as("intervals sealed").isGreaterThanOrEqualTo(64);
        assertThat(store.compacted.values().stream()
                        .filter(bytes -> CompactedInterval.decode(bytes).isSealed()))
                .as("every sealed entry spilled out of the maps")
                .isEmpty();
        assertThat(store.spilledEntries).hasSizeGreaterThanOrEqualTo(64);
        assertThat(store.snapshots)
                .as("snapshots left in the maps")
                .hasSizeLessThanOrEqualTo(RunStore.SNAPSHOTS_KEPT + 40);
        assertThat(store.spilledSnapshots).isNotEmpty();
        long sealedEntries = store.compactedIntervals().values().stream()
                .filter(bytes -> CompactedInterval.decode(bytes).isSealed())
                .count();
        assertThat(run.intervalsInMemory())
                .as("of the intervals shown (one snapshot each), the merger holds no sealed one; the store does")
                .isEqualTo(store.snapshots().size() - sealedEntries);

        List<MergedInterval> expected = plainMerge();
        assertSameData(run.result().getIntervalsList(), expected);
        assertThat(restoreAndCheck("coordinator-d", run, expected)).isEqualTo(sent.size());

        // A leader that died after sealing interval 7's entry but before spilling it: the next leader spills it.
        store.compacted.put(7L, store.spilledEntries.remove(7L));
        Run next = Run.restore(
                store.record, STOP_TIMEOUT_NANOS, MARGIN_NANOS, clock::unixNanos, store, "coordinator-f", true);
        next.tookOver("coordinator-c", next.replay());
        next.compactOn(clock);
        next.tick(clock.unixNanos());
        at(1_000 + 151_000 + 1_500 + 2_000 + 1_200);
        assertThat(next.compactionTotals()[3])
                .as("sealed entries spilled by the next leader")
                .isEqualTo(1);
        assertThat(store.compacted).doesNotContainKey(7L);
        assertThat(entry(7L)).isNotNull();
        assertSameData(next.result().getIntervalsList(), expected);

        // A leader that died after storing the sealed counts but before sealing interval 5's entry.
        store.compacted.put(5L, recentFive);
        restoreAndCheck("coordinator-e", run, expected);
    }

    /**
     * A coordinator restoring the run from the store, as at a takeover, has every report exactly once: the same
     * merged intervals as a plain merge and the leader's per-worker totals. Returns the reports its replay found.
     */
    private long restoreAndCheck(String coordinatorId, Run leader, List<MergedInterval> expected) throws Exception {
        Run restored = Run.restore(
                store.record, STOP_TIMEOUT_NANOS, MARGIN_NANOS, clock::unixNanos, store, coordinatorId, false);
        long found = restored.replay();
        assertSameData(restored.result().getIntervalsList(), expected);
        assertWorkerTotals(restored.result(), leader.result());
        return found;
    }

    /**
     * Each worker's totals after a restore are what it sent, compacted intervals included: the same as the leader
     * that took every report in counted, and the sums of its reports.
     */
    private void assertWorkerTotals(RunResult restored, RunResult original) {
        for (String worker : List.of("w-a", "w-b")) {
            long sentByReports = sent.stream()
                    .filter(r -> r.getWorkerId().equals(worker))
                    .mapToLong(IntervalReport::getSent)
                    .sum();
            long completedByReports = sent.stream()
                    .filter(r -> r.getWorkerId().equals(worker))
                    .mapToLong(IntervalReport::getCompleted)
                    .sum();
            WorkerSummary before = summaryOf(original, worker);
            WorkerSummary after = summaryOf(restored, worker);
            assertThat(before.getSent()).as(worker + " sent, leader").isEqualTo(sentByReports);
            assertThat(after.getSent()).as(worker + " sent, restored").isEqualTo(sentByReports);
            assertThat(after.getCompleted()).as(worker + " completed, restored").isEqualTo(completedByReports);
            assertThat(after.getSentByIntervalMap()).isEqualTo(before.getSentByIntervalMap());
        }
    }

    private static WorkerSummary summaryOf(RunResult result, String worker) {
        return result.getWorkersList().stream()
                .filter(w -> w.getWorkerId().equals(worker))
                .findFirst()
                .orElseThrow();
    }

    /**
     * A late report for a sealed interval whose entry the store lost is refused with that reason and counted in the
     * result; it is not merged into an empty interval, and the interval is left out of the result.
     */
    @Test
    void aLateReportForASealedIntervalTheStoreLostIsRefusedWithTheReason() throws Exception {
        Run run = start(TestPlans.constantRate(100, 150_000, 2).build());
        for (int i = 0; i < 120; i++) {
            at(1_000 + (i + 1) * 1_000L + 20);
            report(run, a, i);
            if (i != 3) {
                report(run, b, i);
            }
        }
        assertThat(CompactedInterval.decode(entry(3L)).isSealed()).isTrue();
        store.compacted.remove(3L);
        store.spilledEntries.remove(3L);
        report(run, b, 3);
        at(1_000 + 122_000 + 20);
        RunResult result = run.result();
        assertThat(result.getRejectedReports()).isEqualTo(1);
        assertThat(result.getMessage()).contains("interval 3's merge is missing from the run's replicated state");
        assertThat(result.getIntervalsList())
                .extracting(MergedInterval::getIntervalIndex)
                .doesNotContain(3L);
        assertThat(run.inbox().mergedAlready(ReportKey.of(3, "w-b"))).isFalse();
    }

    /**
     * A second copy of a late report that waits for its sealed interval to be read back is compared with the first,
     * as a copy of a merged report is: the same bytes are a harmless re-delivery, others a duplicate refused at once.
     * The first copy is the one merged.
     */
    @Test
    void aSecondCopyOfAWaitingLateReportIsComparedWithTheFirst() throws Exception {
        Run run = start(TestPlans.constantRate(100, 150_000, 2).build());
        for (int i = 0; i < 120; i++) {
            at(1_000 + (i + 1) * 1_000L + 20);
            report(run, a, i);
            if (i != 3) {
                report(run, b, i);
            }
        }
        assertThat(CompactedInterval.decode(entry(3L)).isSealed()).isTrue();
        store.compactedReadsFail = true;
        report(run, b, 3);
        IntervalReport first = sent.get(sent.size() - 1);
        assertThat(run.inbox().receivedReport(IntervalMerger.decode(first), first.toByteArray()))
                .as("the same bytes again, while the first waits")
                .isEqualTo(IntervalMerger.Merged.ALREADY_MERGED);
        IntervalReport other = first.toBuilder().setSent(first.getSent() + 1).build();
        assertThatThrownBy(() -> run.inbox().receivedReport(IntervalMerger.decode(other), other.toByteArray()))
                .isInstanceOf(IntervalMerger.RejectedReportException.class)
                .hasMessage("duplicate report for interval 3");

        at(1_000 + 121_000 + 20);
        assertThat(run.inbox().mergedAlready(ReportKey.of(3, "w-b")))
                .as("waiting while interval 3 cannot be read back")
                .isFalse();
        // One more copy, arriving while the next pass reads interval 3 back: the first still waits, and is compared.
        IntervalReport duringRead =
                first.toBuilder().setSent(first.getSent() + 2).build();
        IntervalMerger.Decoded decodedDuringRead = IntervalMerger.decode(duringRead);
        AtomicReference<Object> outcome = new AtomicReference<>();
        store.beforeCompactedRead = () -> {
            store.beforeCompactedRead = () -> {};
            try {
                outcome.set(run.inbox().receivedReport(decodedDuringRead, duringRead.toByteArray()));
            } catch (IntervalMerger.RejectedReportException e) {
                outcome.set(e.getMessage());
            }
        };
        store.compactedReadsFail = false;
        at(1_000 + 122_000 + 20);
        assertThat(outcome.get()).isEqualTo("duplicate report for interval 3");
        assertThat(run.inbox().mergedAlready(ReportKey.of(3, "w-b"))).isTrue();
        assertSameData(run.result().getIntervalsList(), plainMerge());
        assertThat(summaryOf(run.result(), "w-b").getSent())
                .as("the first copy counted, once")
                .isEqualTo(sent.stream()
                        .filter(r -> r.getWorkerId().equals("w-b"))
                        .mapToLong(IntervalReport::getSent)
                        .sum());
    }

    /** A late report still waiting for its sealed interval when the run is archived is in the archived result. */
    @Test
    void archivingMergesTheLateReportsStillWaiting() throws Exception {
        Run run = endedRunWithoutOneReport();
        // Its pass is requested but has not run (the clock stands still) when the run is archived.
        assertThat(report(run, b, 3)).isEqualTo(IntervalMerger.Merged.DEFERRED);
        run.archiveNow();
        assertSameData(store.result.getIntervalsList(), plainMerge());
        assertThat(store.result.getRejectedReports()).isZero();
    }

    /** One whose interval cannot be read back at archiving is refused with the reason, counted, not lost. */
    @Test
    void archivingRefusesTheLateReportsWhoseIntervalCannotBeRead() throws Exception {
        Run run = endedRunWithoutOneReport();
        // The read-back of interval 3 fails (its owner was lost at that moment); the result's own read works later.
        store.beforeCompactedRead = () -> {
            throw new IllegalStateException("interval unavailable (test)");
        };
        assertThat(report(run, b, 3)).isEqualTo(IntervalMerger.Merged.DEFERRED);
        run.archiveNow();
        assertThat(store.result.getRejectedReports()).isEqualTo(1);
        assertThat(store.result.getMessage())
                .contains("the run was archived before this late report's interval could be read back");
    }

    /** A run of 150 intervals that ended with interval 3 sealed without worker b's report. */
    private Run endedRunWithoutOneReport() throws Exception {
        Run run = start(TestPlans.constantRate(100, 150_000, 2).build());
        for (int i = 0; i < 150; i++) {
            at(1_000 + (i + 1) * 1_000L + 20);
            report(run, a, i);
            if (i != 3) {
                report(run, b, i);
            }
        }
        for (FakeChannel worker : List.of(a, b)) {
            run.inbox()
                    .storedEvent(
                            worker.workerId(),
                            WorkerEvent.newBuilder()
                                    .setRunId(run.id())
                                    .setFinished(WorkerFinished.newBuilder().setLastIntervalIndex(149))
                                    .build()
                                    .toByteArray());
        }
        at(1_000 + 151_000 + 1_500 + 2_000 + 1_100);
        assertThat(run.terminal()).isTrue();
        assertThat(CompactedInterval.decode(entry(3L)).isSealed()).isTrue();
        return run;
    }

    @Test
    void withoutAMarginNothingIsCompacted() throws Exception {
        long start = clock.unixNanos() + Duration.ofSeconds(1).toNanos();
        Run run = Run.create(
                new RunSpec(
                        "run-n",
                        TestPlans.constantRate(100, 10_000, 1).build(),
                        7,
                        start,
                        GRACE_NANOS,
                        HEARTBEAT_TIMEOUT_NANOS,
                        STOP_TIMEOUT_NANOS,
                        -1),
                clock::unixNanos,
                store,
                "coordinator-n");
        run.assign(
                a,
                SlicePlanner.plan(List.of(new SlicePlanner.Participant("w-a", 1)), 7)
                        .get("w-a"));
        run.persist();
        run.driveOn(clock);
        run.compactOn(clock);
        ScheduledFuture<?> unusedTicks =
                clock.scheduleAtFixedRate(() -> run.tick(clock.unixNanos()), 50, 50, TimeUnit.MILLISECONDS);
        for (int i = 0; i < 10; i++) {
            at(1_000 + (i + 1) * 1_000L + 20);
            a.heard();
            report(run, a, i);
        }
        at(20_000);
        assertThat(store.compacted).isEmpty();
        assertThat(store.reports).hasSize(10);
    }

    /** Every report merged by a fresh merger, in the order sent. */
    private List<MergedInterval> plainMerge() throws Exception {
        IntervalMerger merger = new IntervalMerger(0, 1_000_000_000L, GRACE_NANOS, 1_000);
        merger.addWorker("w-a");
        merger.addWorker("w-b");
        for (IntervalReport r : sent) {
            merger.mergeIfNew(IntervalMerger.decode(r));
        }
        return merger.mergedIntervals();
    }

    /** Same counts, workers and histograms (bucket by bucket); whether a report was late is each merger's view. */
    private static void assertSameData(List<MergedInterval> all, List<MergedInterval> expected) throws Exception {
        // Intervals shown while the run waited for its workers to finish are empty; the plain merge has none.
        List<MergedInterval> actual =
                all.stream().filter(m -> m.getWorkersReported() > 0).toList();
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            MergedInterval x = actual.get(i);
            MergedInterval e = expected.get(i);
            assertThat(x.getIntervalIndex()).isEqualTo(e.getIntervalIndex());
            assertThat(x.getSent()).isEqualTo(e.getSent());
            assertThat(x.getCompleted()).isEqualTo(e.getCompleted());
            assertThat(x.getIntended()).isEqualTo(e.getIntended());
            assertThat(x.getWorkersReported()).isEqualTo(e.getWorkersReported());
            assertThat(x.getReportedBy()).isEqualTo(e.getReportedBy());
            assertThat(x.getOutcomesCount()).isEqualTo(e.getOutcomesCount());
            for (int o = 0; o < e.getOutcomesCount(); o++) {
                OutcomeHistograms xo = x.getOutcomes(o);
                OutcomeHistograms eo = e.getOutcomes(o);
                assertThat(histogram(xo.getLatencyMicros().toByteArray()))
                        .isEqualTo(histogram(eo.getLatencyMicros().toByteArray()));
                assertThat(histogram(xo.getServiceTimeMicros().toByteArray()))
                        .isEqualTo(histogram(eo.getServiceTimeMicros().toByteArray()));
            }
        }
    }

    private static Histogram histogram(byte[] compressed) throws Exception {
        return HistogramCodec.decode(compressed);
    }

    /** A compacted interval where the store keeps it, in its maps or spilled, without the read hooks. */
    private byte[] entry(long index) {
        byte[] entry = store.compacted.get(index);
        return entry != null ? entry : store.spilledEntries.get(index);
    }
}
