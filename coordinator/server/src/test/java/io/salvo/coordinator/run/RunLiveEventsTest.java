package io.salvo.coordinator.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.coordinator.cluster.ReportKey;
import io.salvo.coordinator.merge.IntervalMerger;
import io.salvo.coordinator.server.ScriptedReports;
import io.salvo.coordinator.slicing.RegionSlicer;
import io.salvo.coordinator.slicing.SlicePlanner;
import io.salvo.proto.v1.CapturedHeader;
import io.salvo.proto.v1.HeaderValueCount;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.LiveEvent;
import io.salvo.proto.v1.LiveEventKind;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.RegionShare;
import io.salvo.proto.v1.ResliceCause;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.RunState;
import io.salvo.proto.v1.Slice;
import io.salvo.proto.v1.WorkerEvent;
import io.salvo.proto.v1.WorkerFinished;
import io.salvo.testkit.FakeClock;
import io.salvo.testkit.TestPlans;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The run's own events in the live snapshot stream (a worker lost, its re-slice, a takeover and the new
 * leader's re-slice) and the cumulative counts beside them, on fake time and an in-memory store: each event
 * appears once, in the snapshot of the interval it happened in, and a new leader neither repeats nor loses
 * what its predecessor showed.
 */
class RunLiveEventsTest {

    private static final long GRACE_NANOS = Duration.ofMillis(1500).toNanos();
    private static final long HEARTBEAT_TIMEOUT_NANOS = Duration.ofSeconds(3).toNanos();
    private static final long STOP_TIMEOUT_NANOS = Duration.ofSeconds(10).toNanos();

    private final FakeClock clock = new FakeClock();
    private final InMemoryRunStore store = new InMemoryRunStore();
    private final FakeChannel a = new FakeChannel("w-a", clock);
    private final FakeChannel b = new FakeChannel("w-b", clock);

    /** Starts a run of {@code plan} on a and b one second from now, ticking every 50 ms as RunManager does. */
    private Run start(RunPlan plan) {
        long start = clock.unixNanos() + Duration.ofSeconds(1).toNanos();
        Run run = Run.create(
                new RunSpec("run-e", plan, 7, start, GRACE_NANOS, HEARTBEAT_TIMEOUT_NANOS, STOP_TIMEOUT_NANOS),
                clock::unixNanos,
                store,
                "coordinator-1");
        Map<String, Slice> slices = SlicePlanner.plan(
                List.of(new SlicePlanner.Participant("w-a", 1), new SlicePlanner.Participant("w-b", 1)), 7);
        run.assign(a, slices.get("w-a"));
        run.assign(b, slices.get("w-b"));
        run.persist();
        run.sendAssignments();
        run.driveOn(clock);
        return run;
    }

    private ScheduledFuture<?> ticking(Run run) {
        return clock.scheduleAtFixedRate(() -> run.tick(clock.unixNanos()), 50, 50, TimeUnit.MILLISECONDS);
    }

    private void at(long millis) {
        clock.forward(Duration.ofMillis(millis).minus(clock.elapsed()));
    }

    /** Reports as the intake does: stored for a successor to replay, and merged by the leader. */
    private void report(Run run, FakeChannel worker, long index) throws Exception {
        worker.heard();
        IntervalReport r = ScriptedReports.report(run.id(), worker.workerId(), index, 1_000, 2_000);
        store.reports.put(ReportKey.of(index, worker.workerId()), r.toByteArray());
        run.inbox().receivedReport(IntervalMerger.decode(r));
        clock.runDueTasks();
    }

    /** A report whose responses came from these instances (Salvo-Instance-Id), one response each. */
    private void reportFrom(Run run, FakeChannel worker, long index, String... instances) throws Exception {
        worker.heard();
        CapturedHeader.Builder header = CapturedHeader.newBuilder().setName("Salvo-Instance-Id");
        for (String instance : instances) {
            header.addValues(HeaderValueCount.newBuilder().setValue(instance).setCount(1));
        }
        IntervalReport r = ScriptedReports.report(run.id(), worker.workerId(), index, 1_000, 2_000).toBuilder()
                .addCapturedHeaders(header)
                .build();
        store.reports.put(ReportKey.of(index, worker.workerId()), r.toByteArray());
        run.inbox().receivedReport(IntervalMerger.decode(r));
        clock.runDueTasks();
    }

    private LiveSnapshot shown(long index) {
        return store.published().stream()
                .filter(s -> !Run.isTerminal(s.getState()) && s.getIntervalIndex() == index)
                .findFirst()
                .orElseThrow(() -> new AssertionError("interval " + index + " not shown: " + store.published()));
    }

    private List<LiveEvent> runEvents(LiveSnapshot s) {
        return s.getLiveEventsList().stream()
                .filter(e -> e.getKind() == LiveEventKind.LIVE_EVENT_KIND_WORKER_LOST
                        || e.getKind() == LiveEventKind.LIVE_EVENT_KIND_RESLICE
                        || e.getKind() == LiveEventKind.LIVE_EVENT_KIND_TAKEOVER)
                .toList();
    }

    private List<LiveEvent> allRunEvents() {
        return store.published().stream().flatMap(s -> runEvents(s).stream()).toList();
    }

    @Test
    void aWorkerKilledMidRunIsAWorkerLostAndAReSliceInItsIntervalAndATakeoverFollowsWithoutRepeats() throws Exception {
        Run run = start(TestPlans.constantRate(100, 10_000, 2).build());
        ScheduledFuture<?> ticks = ticking(run);
        at(1_500);

        // Killed at 2.5 s, in interval 1 (interval i covers 1 + i .. 2 + i s).
        at(2_500);
        b.close();
        run.onStreamClosed(b);
        at(2_600);
        // Interval 0 is shown after the loss, yet the loss belongs to interval 1 and waits for it.
        report(run, a, 0);
        LiveSnapshot zero = shown(0);
        assertThat(runEvents(zero)).isEmpty();
        assertThat(zero.getWorkersLost()).isZero();

        at(3_050);
        report(run, a, 1);
        LiveSnapshot one = shown(1);
        assertThat(runEvents(one))
                .extracting(LiveEvent::getKind)
                .containsExactly(LiveEventKind.LIVE_EVENT_KIND_WORKER_LOST, LiveEventKind.LIVE_EVENT_KIND_RESLICE);
        LiveEvent lost = runEvents(one).get(0);
        assertThat(lost.getWorkerId()).isEqualTo("w-b");
        assertThat(lost.getOffsetMicros()).isEqualTo(1_500_000);
        assertThat(lost.getText()).isEqualTo("worker w-b lost (stream closed)");
        LiveEvent reslice = runEvents(one).get(1);
        assertThat(reslice.getResliceCause()).isEqualTo(ResliceCause.RESLICE_CAUSE_WORKER_LOST);
        assertThat(reslice.getWorkerId()).isEqualTo("w-b");
        assertThat(reslice.getWorkers()).isEqualTo(1);
        assertThat(reslice.getEpoch()).isEqualTo(2);
        assertThat(reslice.getOffsetMicros()).isBetween(1_500_000L, 1_550_000L);
        assertThat(reslice.getText()).isEqualTo("worker w-b lost: rate re-sliced over 1 worker (epoch 2)");
        // The lines are in `events` too, for views that print only those.
        assertThat(one.getEventsList()).contains(lost.getText(), reslice.getText());
        assertThat(one.getWorkersLost()).isEqualTo(1);
        assertThat(one.getWorkersConnected()).isEqualTo(1);

        at(4_050);
        report(run, a, 2);
        assertThat(shown(2).getWorkersLost()).isEqualTo(1);
        assertThat(runEvents(shown(2))).isEmpty();

        // The leader dies at 4.5 s: another coordinator restores the run from the store and takes it over.
        at(4_500);
        ticks.cancel(false);
        Run successor = Run.restore(store.record, STOP_TIMEOUT_NANOS, clock::unixNanos, store, "coordinator-2", true);
        successor.driveOn(clock);
        ScheduledFuture<?> unusedTicks = ticking(successor);
        long restored = successor.replay();
        successor.tookOver("coordinator-1", restored);
        FakeChannel aAgain = new FakeChannel("w-a", clock);
        at(4_700);
        successor.attach(aAgain);

        at(5_050);
        report(successor, aAgain, 3);
        LiveSnapshot three = shown(3);
        assertThat(runEvents(three))
                .extracting(LiveEvent::getKind)
                .containsExactly(LiveEventKind.LIVE_EVENT_KIND_TAKEOVER, LiveEventKind.LIVE_EVENT_KIND_RESLICE);
        assertThat(runEvents(three).get(0).getText())
                .isEqualTo(
                        "coordinator coordinator-2 took the run over from coordinator-1 (3 interval reports restored)");
        assertThat(runEvents(three).get(0).getOffsetMicros()).isEqualTo(3_500_000);
        assertThat(runEvents(three).get(1).getResliceCause()).isEqualTo(ResliceCause.RESLICE_CAUSE_TAKEOVER);
        assertThat(runEvents(three).get(1).getWorkers()).isEqualTo(1);
        assertThat(runEvents(three).get(1).getEpoch()).isEqualTo(3);
        // Cumulative counts carry over from the previous leader's snapshots.
        assertThat(three.getWorkersLost()).isEqualTo(1);
        assertThat(three.getWorkersConnected()).isEqualTo(1);

        // Nothing shown twice: no interval, no event.
        assertThat(store.published()).extracting(LiveSnapshot::getIntervalIndex).containsExactly(0L, 1L, 2L, 3L);
        assertThat(allRunEvents())
                .extracting(LiveEvent::getKind)
                .containsExactly(
                        LiveEventKind.LIVE_EVENT_KIND_WORKER_LOST,
                        LiveEventKind.LIVE_EVENT_KIND_RESLICE,
                        LiveEventKind.LIVE_EVENT_KIND_TAKEOVER,
                        LiveEventKind.LIVE_EVENT_KIND_RESLICE);
    }

    @Test
    void coldStartsAccumulateAndANewLeaderCarriesTheCountOn() throws Exception {
        Run run = start(TestPlans.constantRate(100, 10_000, 2).build());
        ScheduledFuture<?> ticks = ticking(run);
        at(2_050);
        reportFrom(run, a, 0, "i-1");
        reportFrom(run, b, 0, "i-2");
        assertThat(shown(0).getColdStarts()).isEqualTo(2);
        assertThat(shown(0).getLiveEventsList())
                .filteredOn(e -> e.getKind() == LiveEventKind.LIVE_EVENT_KIND_COLD_START)
                .hasSize(2);
        at(3_050);
        reportFrom(run, a, 1, "i-1", "i-3");
        reportFrom(run, b, 1, "i-2");
        assertThat(shown(1).getColdStarts()).isEqualTo(3);

        // The new leader re-reads intervals 0 and 1 into its detectors without showing them again, so the count
        // goes on from 3 rather than restarting, and i-1..i-3 are not cold starts a second time.
        at(3_500);
        ticks.cancel(false);
        Run successor = Run.restore(store.record, STOP_TIMEOUT_NANOS, clock::unixNanos, store, "coordinator-2", true);
        successor.driveOn(clock);
        ScheduledFuture<?> unusedTicks = ticking(successor);
        successor.tookOver("coordinator-1", successor.replay());
        FakeChannel aAgain = new FakeChannel("w-a", clock);
        FakeChannel bAgain = new FakeChannel("w-b", clock);
        successor.attach(aAgain);
        successor.attach(bAgain);
        at(4_050);
        reportFrom(successor, aAgain, 2, "i-1", "i-4");
        reportFrom(successor, bAgain, 2, "i-2", "i-3");
        LiveSnapshot two = shown(2);
        assertThat(two.getColdStarts()).isEqualTo(4);
        assertThat(two.getLiveEventsList())
                .filteredOn(e -> e.getKind() == LiveEventKind.LIVE_EVENT_KIND_COLD_START)
                .singleElement()
                .satisfies(e -> assertThat(e.getText()).contains("instance i-4"));
        assertThat(two.getRespondingInstances()).isEqualTo(4);
    }

    @Test
    void aLossTheRunHadNoIntervalLeftToShowComesWithTheTerminalSnapshot() throws Exception {
        // 2 s of load: at the deadline (1 + 2 + 1 + 30 s) w-a has not finished and is lost for it.
        Run run = start(TestPlans.constantRate(100, 2_000, 2).build());
        ScheduledFuture<?> unusedTicks = ticking(run);
        ScheduledFuture<?> unusedHeartbeats = clock.scheduleAtFixedRate(a::heard, 1, 1, TimeUnit.SECONDS);
        at(2_100);
        report(run, a, 0);
        report(run, b, 0);
        at(3_100);
        report(run, a, 1);
        report(run, b, 1);
        run.inbox()
                .storedEvent(
                        "w-b",
                        WorkerEvent.newBuilder()
                                .setRunId(run.id())
                                .setFinished(WorkerFinished.newBuilder().setLastIntervalIndex(1))
                                .build()
                                .toByteArray());
        at(1_000 + 33_000 + 100);
        assertThat(run.state()).isEqualTo(RunState.RUN_STATE_COMPLETED);

        LiveSnapshot end = store.published().get(store.published().size() - 1);
        assertThat(end.getState()).isEqualTo(RunState.RUN_STATE_COMPLETED);
        assertThat(end.getWorkersLost()).isEqualTo(1);
        // After the load there is nothing to re-slice: a loss and no re-slice.
        assertThat(runEvents(end)).singleElement().satisfies(e -> {
            assertThat(e.getKind()).isEqualTo(LiveEventKind.LIVE_EVENT_KIND_WORKER_LOST);
            assertThat(e.getText()).isEqualTo("worker w-a lost (did not finish before the run's deadline)");
        });
        assertThat(allRunEvents()).hasSize(1);
    }

    /**
     * In a run with regions, each region's snapshot counts its own workers connected and lost, the instances that
     * answered its workers, and the cold starts of the instances that first answered its workers; the terminal
     * snapshot ends each region with its final counts.
     */
    @Test
    void eachRegionCountsItsWorkersItsRespondingInstancesAndTheColdStartsFirstSeenThere() throws Exception {
        FakeChannel us = new FakeChannel("w-us", "us-east1", clock);
        FakeChannel eu = new FakeChannel("w-eu", "europe-west1", clock);
        RunPlan plan = TestPlans.constantRate(100, 3_000, 2)
                .addRegions(RegionShare.newBuilder().setRegion("us-east1").setWeight(1))
                .addRegions(RegionShare.newBuilder().setRegion("europe-west1").setWeight(1))
                .build();
        long start = clock.unixNanos() + Duration.ofSeconds(1).toNanos();
        Run run = Run.create(
                new RunSpec("run-regions", plan, 7, start, GRACE_NANOS, HEARTBEAT_TIMEOUT_NANOS, STOP_TIMEOUT_NANOS),
                clock::unixNanos,
                store,
                "coordinator-1");
        RegionSlicer.Layout layout = RegionSlicer.Layout.of(plan.getRegionsList());
        Map<String, Slice> slices = RegionSlicer.plan(
                layout,
                List.of(
                        new SlicePlanner.Participant("w-us", 1, "us-east1"),
                        new SlicePlanner.Participant("w-eu", 1, "europe-west1")),
                Map.of(),
                layout.regions(),
                7);
        run.assign(us, slices.get("w-us"));
        run.assign(eu, slices.get("w-eu"));
        run.persist();
        run.sendAssignments();
        run.driveOn(clock);
        ScheduledFuture<?> unusedTicks = ticking(run);
        ScheduledFuture<?> unusedHeartbeats = clock.scheduleAtFixedRate(us::heard, 1, 1, TimeUnit.SECONDS);

        at(2_050);
        reportFrom(run, us, 0, "i-1", "i-2");
        reportFrom(run, eu, 0, "i-3");
        LiveSnapshot zero = shown(0);
        assertThat(zero.getColdStarts()).isEqualTo(3);
        assertThat(region(zero, "us-east1")).satisfies(r -> {
            assertThat(r.getRespondingInstances()).isEqualTo(2);
            assertThat(r.getColdStarts()).isEqualTo(2);
            assertThat(r.getWorkersConnected()).isEqualTo(1);
            assertThat(r.getWorkersLost()).isZero();
        });
        assertThat(region(zero, "europe-west1")).satisfies(r -> {
            assertThat(r.getRespondingInstances()).isEqualTo(1);
            assertThat(r.getColdStarts()).isEqualTo(1);
            assertThat(r.getWorkersConnected()).isEqualTo(1);
        });

        // i-2 answers Europe's worker too now: one more responding instance there, but its cold start was us-east1's.
        at(3_050);
        reportFrom(run, us, 1, "i-1");
        reportFrom(run, eu, 1, "i-3", "i-2");
        LiveSnapshot one = shown(1);
        assertThat(region(one, "europe-west1").getRespondingInstances()).isEqualTo(2);
        assertThat(region(one, "europe-west1").getColdStarts()).isEqualTo(1);
        assertThat(region(one, "us-east1").getColdStarts()).isEqualTo(2);

        // Europe's only worker is lost in interval 2.
        at(3_500);
        eu.close();
        run.onStreamClosed(eu);
        at(4_050);
        reportFrom(run, us, 2, "i-1");
        LiveSnapshot two = shown(2);
        assertThat(two.getWorkersLost()).isEqualTo(1);
        assertThat(two.getWorkersConnected()).isEqualTo(1);
        assertThat(region(two, "europe-west1")).satisfies(r -> {
            assertThat(r.getWorkersConnected()).isZero();
            assertThat(r.getWorkersLost()).isEqualTo(1);
        });
        assertThat(region(two, "us-east1")).satisfies(r -> {
            assertThat(r.getWorkersConnected()).isEqualTo(1);
            assertThat(r.getWorkersLost()).isZero();
        });

        run.inbox()
                .storedEvent(
                        "w-us",
                        WorkerEvent.newBuilder()
                                .setRunId(run.id())
                                .setFinished(WorkerFinished.newBuilder().setLastIntervalIndex(2))
                                .build()
                                .toByteArray());
        at(1_000 + 3_000 + 1_000 + 30_000 + 100);
        assertThat(run.state()).isEqualTo(RunState.RUN_STATE_COMPLETED);
        LiveSnapshot end = store.published().get(store.published().size() - 1);
        assertThat(end.getRegionsList())
                .extracting(LiveSnapshot::getRegion)
                .containsExactly("us-east1", "europe-west1");
        assertThat(region(end, "us-east1").getColdStarts()).isEqualTo(2);
        assertThat(region(end, "europe-west1").getColdStarts()).isEqualTo(1);
        assertThat(region(end, "europe-west1").getWorkersLost()).isEqualTo(1);
        assertThat(region(end, "us-east1").getWorkersLost()).isZero();
    }

    private static LiveSnapshot region(LiveSnapshot s, String name) {
        return s.getRegionsList().stream()
                .filter(r -> r.getRegion().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no region " + name + " in " + s));
    }
}
