package io.salvo.coordinator.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.coordinator.merge.IntervalMerger;
import io.salvo.coordinator.server.ScriptedReports;
import io.salvo.coordinator.slicing.SlicePlanner;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.ResliceCause;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.RunState;
import io.salvo.proto.v1.Slice;
import io.salvo.proto.v1.WorkerEvent;
import io.salvo.proto.v1.WorkerFinished;
import io.salvo.proto.v1.WorkerSummary;
import io.salvo.testkit.FakeClock;
import io.salvo.testkit.TestPlans;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every timing branch of a run, on fake time: the grace period of an incomplete interval, silence, the
 * reconnect window, the stop timeout and the run's deadline. The run is driven the way its manager drives
 * it (a tick every 50 ms on the ticker, shows on the ticker); only the test moves time.
 */
class RunTimingTest {

    private static final long GRACE_NANOS = Duration.ofMillis(1500).toNanos();
    private static final long HEARTBEAT_TIMEOUT_NANOS = Duration.ofSeconds(3).toNanos();
    private static final long STOP_TIMEOUT_NANOS = Duration.ofSeconds(10).toNanos();

    private final FakeClock clock = new FakeClock();
    private final InMemoryRunStore store = new InMemoryRunStore();
    private final FakeChannel a = new FakeChannel("w-a", clock);
    private final FakeChannel b = new FakeChannel("w-b", clock);
    /** Workers whose heartbeat arrives every second. */
    private final Set<FakeChannel> heartbeating = new CopyOnWriteArraySet<>(List.of(a, b));

    /** Starts a run of {@code plan} on a and b, one second from now, driven like RunManager drives it. */
    private Run start(RunPlan plan) {
        long start = clock.unixNanos() + Duration.ofSeconds(1).toNanos();
        Run run = Run.create(
                new RunSpec("run-t", plan, 7, start, GRACE_NANOS, HEARTBEAT_TIMEOUT_NANOS, STOP_TIMEOUT_NANOS),
                clock::unixNanos,
                store,
                "coordinator-t");
        Map<String, Slice> slices = SlicePlanner.plan(
                List.of(new SlicePlanner.Participant("w-a", 1), new SlicePlanner.Participant("w-b", 1)), 7);
        run.assign(a, slices.get("w-a"));
        run.assign(b, slices.get("w-b"));
        run.persist();
        run.sendAssignments();
        run.driveOn(clock);
        ScheduledFuture<?> unusedTicks =
                clock.scheduleAtFixedRate(() -> run.tick(clock.unixNanos()), 50, 50, TimeUnit.MILLISECONDS);
        ScheduledFuture<?> unusedHeartbeats =
                clock.scheduleAtFixedRate(() -> heartbeating.forEach(FakeChannel::heard), 1, 1, TimeUnit.SECONDS);
        return run;
    }

    /** Moves to {@code millis} after the run was created; every task due on the way runs. */
    private void at(long millis) {
        clock.forward(Duration.ofMillis(millis).minus(clock.elapsed()));
    }

    private static void report(Run run, FakeChannel worker, long index) throws Exception {
        worker.heard();
        run.inbox()
                .receivedReport(IntervalMerger.decode(
                        ScriptedReports.report(run.id(), worker.workerId(), index, 1_000, 2_000)));
    }

    private static void finished(Run run, FakeChannel worker, long lastIndex) {
        run.inbox()
                .storedEvent(
                        worker.workerId(),
                        WorkerEvent.newBuilder()
                                .setRunId(run.id())
                                .setFinished(WorkerFinished.newBuilder().setLastIntervalIndex(lastIndex))
                                .build()
                                .toByteArray());
    }

    private List<Long> shownIntervals() {
        return store.published().stream()
                .filter(s -> !Run.isTerminal(s.getState()))
                .map(LiveSnapshot::getIntervalIndex)
                .toList();
    }

    private static WorkerSummary summary(Run run, String workerId) {
        return run.result().getWorkersList().stream()
                .filter(w -> w.getWorkerId().equals(workerId))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void anIncompleteIntervalIsShownWhenItsGracePeriodEndsAndACompleteOneAtOnce() throws Exception {
        Run run = start(TestPlans.constantRate(100, 10_000, 2).build());
        at(1_500);
        report(run, a, 0);
        at(2_000 + 1_500 - 60); // interval 0 ended at 2 s; w-b's report is missing until its grace ends
        assertThat(shownIntervals()).isEmpty();

        at(2_000 + 1_500 + 60);
        assertThat(shownIntervals()).containsExactly(0L);
        LiveSnapshot first = store.published().get(0);
        assertThat(first.getWorkersReported()).isEqualTo(1);
        assertThat(first.getWorkersAssigned()).isEqualTo(2);

        report(run, a, 1);
        report(run, b, 1);
        clock.runDueTasks(); // the show asked for by the completing report, on the ticker, without moving time
        assertThat(shownIntervals()).containsExactly(0L, 1L);
    }

    @Test
    void aSilentWorkerIsLostAfterTheHeartbeatTimeoutAndItsShareReSliced() {
        Run run = start(TestPlans.constantRate(100, 10_000, 2).build());
        heartbeating.remove(b);
        at(2_900); // silent for 2.9 s: not yet
        assertThat(run.result().getWorkersList()).noneMatch(WorkerSummary::getLost);

        at(3_300); // silent for more than 3 s, and a silence check (every 250 ms) has passed
        assertThat(summary(run, "w-b").getLost()).isTrue();
        assertThat(summary(run, "w-a").getLost()).isFalse();
        assertThat(run.result().getMessage()).contains("worker w-b was lost (silent for 3");
        assertThat(b.stops())
                .singleElement()
                .satisfies(s -> assertThat(s.getReason()).startsWith("declared lost: silent"));
        assertThat(a.assignments()).extracting(x -> x.getEpoch()).containsExactly(1L, 2L);
        assertThat(run.result().getReslicesList()).singleElement().satisfies(r -> {
            assertThat(r.getCause()).isEqualTo(ResliceCause.RESLICE_CAUSE_WORKER_LOST);
            assertThat(r.getWorkerId()).isEqualTo("w-b");
            assertThat(r.getWorkerIdsList()).containsExactly("w-a");
        });
        assertThat(store.record.workers())
                .filteredOn(w -> w.workerId().equals("w-b"))
                .singleElement()
                .satisfies(w -> assertThat(w.lost()).isTrue());
    }

    @Test
    void aWorkerWhoseCoordinatorLeftHasTheReconnectWindowToComeBack() {
        Run run = start(TestPlans.constantRate(100, 20_000, 2).build());
        at(1_200);
        heartbeating.remove(a);
        heartbeating.remove(b);
        run.onHolderLeft(a);
        run.onHolderLeft(b);
        // The window is max(2 × heartbeat timeout, 5 s) = 6 s; w-a comes back within it on a new stream.
        at(1_200 + 5_000);
        FakeChannel aAgain = new FakeChannel("w-a", clock);
        heartbeating.add(aAgain);
        run.attach(aAgain);
        assertThat(aAgain.assignments())
                .singleElement()
                .satisfies(x -> assertThat(x.getEpoch()).isEqualTo(1));

        at(1_200 + 6_000 - 100);
        assertThat(summary(run, "w-b").getLost()).isFalse();
        at(1_200 + 6_000 + 300);
        assertThat(summary(run, "w-b").getLost()).isTrue();
        assertThat(summary(run, "w-a").getLost()).isFalse();
        assertThat(run.result().getMessage())
                .contains("worker w-b was lost (did not reconnect within 6000 ms after its coordinator left)");
        assertThat(aAgain.assignments()).extracting(x -> x.getEpoch()).containsExactly(1L, 2L);
    }

    @Test
    void workersThatDoNotFinishWithinTheStopTimeoutAreLostForThatAndTheRunStops() throws Exception {
        Run run = start(TestPlans.constantRate(100, 10_000, 2).build());
        at(2_500);
        report(run, a, 0);
        report(run, b, 0);
        run.requestStop("enough", clock.unixNanos());
        assertThat(run.state()).isEqualTo(RunState.RUN_STATE_DRAINING);
        assertThat(a.stops())
                .singleElement()
                .satisfies(s -> assertThat(s.getReason()).isEqualTo("enough"));

        at(2_500 + 10_000 - 60);
        assertThat(run.state()).isEqualTo(RunState.RUN_STATE_DRAINING);
        at(2_500 + 10_000 + 60);
        assertThat(run.state()).isEqualTo(RunState.RUN_STATE_STOPPED);
        assertThat(run.result().getWorkersList()).allMatch(WorkerSummary::getLost);
        assertThat(run.result().getMessage())
                .contains(
                        "stopped: enough", "worker w-a was lost (did not finish within 10000 ms of the stop request)");
        assertThat(store.published().get(store.published().size() - 1).getState())
                .isEqualTo(RunState.RUN_STATE_STOPPED);
        assertThat(store.result.getState()).isEqualTo(RunState.RUN_STATE_STOPPED);
    }

    @Test
    void workersThatFinishAfterAStopEndTheRunWithoutLosses() throws Exception {
        Run run = start(TestPlans.constantRate(100, 10_000, 2).build());
        at(2_500);
        run.requestStop("enough", clock.unixNanos());
        for (FakeChannel w : Arrays.asList(a, b)) {
            report(run, w, 0);
            report(run, w, 1);
            finished(run, w, 1);
        }
        at(2_600);
        assertThat(run.state()).isEqualTo(RunState.RUN_STATE_STOPPED);
        assertThat(run.result().getWorkersList())
                .noneMatch(WorkerSummary::getLost)
                .allMatch(WorkerSummary::getFinished);
        assertThat(shownIntervals()).containsExactly(0L, 1L);
    }

    @Test
    void workersStillRunningAtTheDeadlineAreLostForItAndTheRunCompletesWithWhatArrived() throws Exception {
        // 2 s of load and a 1 s request timeout: the deadline is 2 + 1 + 30 s after the start (1 s from now).
        Run run = start(TestPlans.constantRate(100, 2_000, 2).build());
        at(1_900);
        report(run, a, 0);
        report(run, b, 0);
        at(2_900);
        report(run, a, 1);
        at(1_000 + 33_000 - 60);
        assertThat(run.state()).isEqualTo(RunState.RUN_STATE_RUNNING);

        at(1_000 + 33_000 + 60);
        assertThat(run.state()).isEqualTo(RunState.RUN_STATE_COMPLETED);
        assertThat(run.result().getWorkersList()).allMatch(WorkerSummary::getLost);
        assertThat(run.result().getMessage())
                .contains("worker w-a was lost (did not finish before the run's deadline)")
                .doesNotContain("stream closed");
        assertThat(run.result().getIntervalsList())
                .filteredOn(i -> i.getSent() > 0)
                .extracting(i -> i.getIntervalIndex())
                .containsExactly(0L, 1L);
        LiveSnapshot last = store.published().get(store.published().size() - 1);
        assertThat(last.getState()).isEqualTo(RunState.RUN_STATE_COMPLETED);
        assertThat(shownIntervals()).startsWith(0L, 1L);
        assertThat(a.stops())
                .singleElement()
                .satisfies(s ->
                        assertThat(s.getReason()).isEqualTo("declared lost: did not finish before the run's deadline"));
    }
}
