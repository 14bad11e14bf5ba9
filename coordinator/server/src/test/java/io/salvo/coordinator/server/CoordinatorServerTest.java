package io.salvo.coordinator.server;

import static io.salvo.coordinator.server.ScriptedReports.report;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.salvo.coordinator.clock.WallClock;
import io.salvo.coordinator.cluster.CoordinatorCluster;
import io.salvo.coordinator.run.RunArchive;
import io.salvo.coordinator.run.RunSettings;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.core.result.ReportedBy;
import io.salvo.proto.v1.Assignment;
import io.salvo.proto.v1.GetRunResultRequest;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.ProtocolVersion;
import io.salvo.proto.v1.ReportRejected;
import io.salvo.proto.v1.ResliceCause;
import io.salvo.proto.v1.RunControlGrpc;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.RunState;
import io.salvo.proto.v1.StartRunRequest;
import io.salvo.proto.v1.StartRunResponse;
import io.salvo.proto.v1.StopRunRequest;
import io.salvo.proto.v1.WatchRunRequest;
import io.salvo.proto.v1.WorkerEvent;
import io.salvo.proto.v1.WorkerFinished;
import io.salvo.proto.v1.WorkerMessage;
import io.salvo.testkit.Await;
import io.salvo.testkit.TestPlans;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The coordinator over in-process gRPC, with scripted workers. */
class CoordinatorServerTest {

    private CoordinatorServer server;
    private ManagedChannel channel;
    private final List<FakeWorker> workers = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        startServer(Duration.ofMillis(20), Duration.ofMinutes(10));
    }

    private void startServer(Duration tick, Duration finishedRunRetention) throws Exception {
        String name = InProcessServerBuilder.generateName();
        RunSettings settings = RunSettings.defaults()
                .withStartLead(Duration.ofMillis(300))
                .withGrace(Duration.ofMillis(500))
                .withHeartbeatTimeout(Duration.ofSeconds(5))
                .withTick(tick)
                .withFinishedRunRetention(finishedRunRetention);
        server = CoordinatorServer.start(InProcessServerBuilder.forName(name), WallClock.system(), settings, null);
        channel = InProcessChannelBuilder.forName(name).build();
    }

    @AfterEach
    void stop() {
        workers.forEach(FakeWorker::close);
        channel.shutdownNow();
        server.close();
    }

    private FakeWorker worker(String id, long clockOffsetNanos) {
        FakeWorker w = new FakeWorker(channel, id, ProtocolVersion.PROTOCOL_VERSION_1, clockOffsetNanos);
        workers.add(w);
        return w;
    }

    private StartRunResponse startRun(RunPlan plan) {
        return RunControlGrpc.newBlockingStub(channel)
                .withDeadlineAfter(20, TimeUnit.SECONDS)
                .startRun(StartRunRequest.newBuilder()
                        .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1)
                        .setPlan(plan)
                        .setWorkerWaitMillis(10_000)
                        .build());
    }

    @Test
    void incompatibleWorkerIsRefusedWithAStatusThatSaysSo() throws Exception {
        FakeWorker old = new FakeWorker(channel, "old", ProtocolVersion.PROTOCOL_VERSION_UNSPECIFIED, 0);
        workers.add(old);
        Status status = old.closed.get(10, TimeUnit.SECONDS);
        assertThat(status.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(status.getDescription())
                .isEqualTo("incompatible protocol version: worker speaks 0, this coordinator speaks 1");
        assertThat(server.registry().connected()).isZero();
    }

    @Test
    void incompatibleClientIsRefused() {
        assertThatThrownBy(() -> RunControlGrpc.newBlockingStub(channel)
                        .startRun(StartRunRequest.newBuilder()
                                .setProtocolVersionValue(7)
                                .setPlan(TestPlans.constantRate(100, 2_000, 1))
                                .build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                    assertThat(e.getStatus().getDescription())
                            .isEqualTo("incompatible protocol version: client speaks 7, this coordinator speaks 1");
                });
    }

    @Test
    void duplicateWorkerIdIsRefused() throws Exception {
        worker("same", 0);
        awaitConnected(1);
        FakeWorker twin = worker("same", 0);
        Status status = twin.closed.get(10, TimeUnit.SECONDS);
        assertThat(status.getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
    }

    @Test
    void tooFewWorkersIsAClearError() {
        worker("only", 0);
        RunPlan plan = TestPlans.constantRate(100, 2_000, 2).build();
        assertThatThrownBy(() -> RunControlGrpc.newBlockingStub(channel)
                        .startRun(StartRunRequest.newBuilder()
                                .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1)
                                .setPlan(plan)
                                .setWorkerWaitMillis(300)
                                .build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                    assertThat(e.getStatus().getDescription()).startsWith("only 1 of 2 workers connected and idle");
                });
    }

    @Test
    void runSlicesMergesShowsLiveSnapshotsAndSurvivesACorruptReport() throws Exception {
        FakeWorker a = worker("a", 0);
        FakeWorker b = worker("b", 7_000_000); // b's clock runs 7 ms ahead
        awaitConnected(2);
        StartRunResponse started =
                startRun(TestPlans.constantRate(100, 2_000, 2).build());
        assertThat(started.getWorkerIdsList()).containsExactly("a", "b");
        Assignment assignmentA = a.awaitAssignment();
        Assignment assignmentB = b.awaitAssignment();
        assertThat(assignmentA.getStartCoordinatorUnixNanos()).isEqualTo(started.getStartUnixNanos());
        assertThat(assignmentA.getSlice().getSegmentEnd()).isEqualTo(1);
        assertThat(assignmentB.getSlice().getSegmentStart()).isEqualTo(1);
        assertThat(assignmentB.getSlice().getTotalWeight()).isEqualTo(2);
        // in-process round trips are tiny, so the estimate must be close to the truth
        assertThat(assignmentA.getWorkerClockOffsetNanos()).isBetween(-2_000_000L, 2_000_000L);
        assertThat(assignmentB.getWorkerClockOffsetNanos()).isBetween(5_000_000L, 9_000_000L);

        String runId = started.getRunId();
        Iterator<LiveSnapshot> watch = RunControlGrpc.newBlockingStub(channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .watchRun(WatchRunRequest.newBuilder().setRunId(runId).build());

        a.send(WorkerMessage.newBuilder()
                .setIntervalReport(report(runId, "a", 0, 1000, 2000))
                .build());
        // a corrupt histogram: rejected and counted, the stream and the run go on
        a.send(WorkerMessage.newBuilder()
                .setIntervalReport(
                        report(runId, "a", 1, 5).toBuilder().setSchedulerLagMicros(ByteString.copyFromUtf8("garbage")))
                .build());
        b.send(WorkerMessage.newBuilder()
                .setIntervalReport(report(runId, "b", 0, 3000))
                .build());
        a.send(WorkerMessage.newBuilder()
                .setIntervalReport(report(runId, "a", 1, 4000))
                .build());
        b.send(WorkerMessage.newBuilder()
                .setIntervalReport(report(runId, "b", 1, 5000, 6000))
                .build());
        for (FakeWorker w : List.of(a, b)) {
            w.send(WorkerMessage.newBuilder()
                    .setEvent(WorkerEvent.newBuilder()
                            .setRunId(runId)
                            .setFinished(WorkerFinished.newBuilder().setLastIntervalIndex(1)))
                    .build());
        }

        List<LiveSnapshot> snapshots = new ArrayList<>();
        watch.forEachRemaining(snapshots::add);
        assertThat(snapshots).extracting(LiveSnapshot::getState).last().isEqualTo(RunState.RUN_STATE_COMPLETED);
        List<LiveSnapshot> intervals = snapshots.subList(0, snapshots.size() - 1);
        assertThat(intervals).extracting(LiveSnapshot::getIntervalIndex).containsExactly(0L, 1L);
        assertThat(intervals.get(0).getSuccesses()).isEqualTo(3);
        assertThat(intervals.get(0).getWorkersReported()).isEqualTo(2);
        assertThat(intervals.get(1).getLatencyP99Micros())
                .isEqualTo(HistogramSpec.newHistogram().highestEquivalentValue(6000));
        // A watcher that comes later gets the same snapshots, read back from the replicated map.
        List<LiveSnapshot> replayed = new ArrayList<>();
        RunControlGrpc.newBlockingStub(channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .watchRun(WatchRunRequest.newBuilder().setRunId(runId).build())
                .forEachRemaining(replayed::add);
        assertThat(replayed).isEqualTo(snapshots);

        RunResult result = RunControlGrpc.newBlockingStub(channel)
                .getRunResult(GetRunResultRequest.newBuilder().setRunId(runId).build());
        assertThat(result.getState()).isEqualTo(RunState.RUN_STATE_COMPLETED);
        assertThat(result.getRejectedReports()).isEqualTo(1);
        assertThat(result.getMessage()).contains("corrupt histogram payload");
        assertThat(result.getIntervalsList()).hasSize(2);
        assertThat(result.getWorkersList()).extracting(w -> w.getCompleted()).containsExactly(3L, 3L);
        assertThat(server.registry().idle()).hasSize(2); // both free for the next run
    }

    @Test
    void workersLostTogetherAreReslicedTogether() throws Exception {
        // A slow tick, so that streams closed a few milliseconds apart fall into one: a region going dark.
        List<FakeWorker> six = new ArrayList<>();
        StartRunResponse started = startLongRunOnASlowTick(List.of("a", "b", "c", "d", "e", "f"), six);
        for (FakeWorker lost : six.subList(2, 6)) {
            lost.close();
        }

        Assignment nextA = six.get(0).awaitAssignment();
        Assignment nextB = six.get(1).awaitAssignment();
        assertThat(nextA.getEpoch()).isEqualTo(nextB.getEpoch()).isGreaterThan(1);
        assertThat(nextA.getSlice().getTotalWeight()).isEqualTo(2);
        RunControlGrpc.newBlockingStub(channel)
                .stopRun(StopRunRequest.newBuilder()
                        .setRunId(started.getRunId())
                        .setReason("test done")
                        .build());
        RunResult result = awaitTerminal(started.getRunId());
        assertThat(result.getReslicesList())
                .extracting(r -> r.getWorkerId())
                .containsExactlyInAnyOrder("c", "d", "e", "f");
        assertThat(result.getReslicesList())
                .allSatisfy(r -> assertThat(r.getCause()).isEqualTo(ResliceCause.RESLICE_CAUSE_WORKER_LOST));
        // One epoch for all four (two at most if a tick fell between the closes), never one per lost worker.
        assertThat(result.getReslicesList().stream()
                        .map(r -> r.getEpoch())
                        .distinct()
                        .count())
                .isLessThanOrEqualTo(2);
        assertThat(result.getReslices(3).getWorkerIdsList()).containsExactly("a", "b");
    }

    @Test
    void aLossJustBeforeTheRunIsStoppedStaysOnRecord() throws Exception {
        List<FakeWorker> two = new ArrayList<>();
        StartRunResponse started = startLongRunOnASlowTick(List.of("a", "b"), two);
        two.get(1).close();
        // The coordinator has seen the loss (its note is in the live result) but not yet re-sliced for it.
        Await.until(
                "the loss of b seen",
                Duration.ofSeconds(10),
                () -> RunControlGrpc.newBlockingStub(channel)
                        .getRunResult(GetRunResultRequest.newBuilder()
                                .setRunId(started.getRunId())
                                .build())
                        .getMessage()
                        .contains("worker b was lost"));
        // Stopped before the next tick re-slices: no load is left to divide, but the loss and what b left unsent
        // are still recorded.
        RunControlGrpc.newBlockingStub(channel)
                .stopRun(StopRunRequest.newBuilder()
                        .setRunId(started.getRunId())
                        .setReason("test done")
                        .build());
        RunResult result = awaitTerminal(started.getRunId());
        assertThat(result.getReslicesList()).singleElement().satisfies(r -> {
            assertThat(r.getCause()).isEqualTo(ResliceCause.RESLICE_CAUSE_WORKER_LOST);
            assertThat(r.getWorkerId()).isEqualTo("b");
            assertThat(r.getUncoveredIntendedRequests()).isGreaterThan(0);
        });
    }

    @Test
    void lostWorkerDoesNotBlockTheRun() throws Exception {
        FakeWorker a = worker("a", 0);
        FakeWorker b = worker("b", 0);
        awaitConnected(2);
        String runId = startRun(TestPlans.constantRate(100, 2_000, 2).build()).getRunId();
        a.awaitAssignment();
        b.awaitAssignment();
        b.send(WorkerMessage.newBuilder()
                .setIntervalReport(report(runId, "b", 0, 100))
                .build());
        b.close();
        a.send(WorkerMessage.newBuilder()
                .setIntervalReport(report(runId, "a", 0, 100))
                .build());
        a.send(WorkerMessage.newBuilder()
                .setIntervalReport(report(runId, "a", 1, 100))
                .build());
        a.send(WorkerMessage.newBuilder()
                .setEvent(WorkerEvent.newBuilder()
                        .setRunId(runId)
                        .setFinished(WorkerFinished.newBuilder().setLastIntervalIndex(1)))
                .build());
        RunResult result = awaitTerminal(runId);
        assertThat(result.getState()).isEqualTo(RunState.RUN_STATE_COMPLETED);
        assertThat(result.getMessage()).contains("worker b was lost");
        assertThat(result.getIntervalsList()).hasSize(2);
        assertThat(ReportedBy.workerIds(result, result.getIntervals(0))).containsExactlyInAnyOrder("a", "b");
    }

    @Test
    void anEndedRunsReportsAreDroppedAfterTheRetentionAndItsResultStays() throws Exception {
        // An ended run keeps its per-interval data for the retention (here 1 s), then only its record and result.
        stop();
        startServer(Duration.ofMillis(20), Duration.ofSeconds(1));
        FakeWorker a = worker("a", 0);
        FakeWorker b = worker("b", 0);
        awaitConnected(2);
        String runId = startRun(TestPlans.constantRate(100, 2_000, 2).build()).getRunId();
        a.awaitAssignment();
        b.awaitAssignment();
        for (FakeWorker w : List.of(a, b)) {
            String id = w == a ? "a" : "b";
            w.send(WorkerMessage.newBuilder()
                    .setIntervalReport(report(runId, id, 0, 1000, 2000))
                    .build());
            w.send(WorkerMessage.newBuilder()
                    .setIntervalReport(report(runId, id, 1, 3000))
                    .build());
            w.send(WorkerMessage.newBuilder()
                    .setEvent(WorkerEvent.newBuilder()
                            .setRunId(runId)
                            .setFinished(WorkerFinished.newBuilder().setLastIntervalIndex(1)))
                    .build());
        }
        RunResult ended = awaitTerminal(runId);
        assertThat(ended.getIntervalsList()).hasSize(2);
        CoordinatorCluster cluster = server.cluster();
        String reportsMap = "salvo.run." + runId + ".reports";

        // Marked archived first, the maps dropped a moment later (half the retention here).
        Await.until(
                "archived",
                () -> Long.valueOf(RunArchive.DONE)
                        .equals(cluster.archivedRuns().get(runId)));

        assertThat(cluster.mapNames())
                .doesNotContain(
                        reportsMap,
                        "salvo.run." + runId + ".events",
                        "salvo.run." + runId + ".snapshots",
                        "salvo.run." + runId + ".rejections");
        RunResult archived = RunControlGrpc.newBlockingStub(channel)
                .getRunResult(GetRunResultRequest.newBuilder().setRunId(runId).build());
        assertThat(archived).isEqualTo(ended);

        a.send(WorkerMessage.newBuilder()
                .setIntervalReport(report(runId, "a", 2, 4000))
                .build());
        ReportRejected refused = a.rejections.poll(10, TimeUnit.SECONDS);
        assertThat(refused).isNotNull();
        assertThat(refused.getIntervalIndex()).isEqualTo(2);
        assertThat(refused.getReason())
                .isEqualTo("run " + runId + " has ended and its per-interval data was "
                        + "archived; the report came too late to be merged");
        assertThat(cluster.mapNames()).doesNotContain(reportsMap);

        List<LiveSnapshot> watched = new ArrayList<>();
        RunControlGrpc.newBlockingStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .watchRun(WatchRunRequest.newBuilder().setRunId(runId).build())
                .forEachRemaining(watched::add);
        assertThat(watched).hasSize(1);
        assertThat(watched.get(0).getState()).isEqualTo(RunState.RUN_STATE_COMPLETED);
        assertThat(watched.get(0).getIntervalIndex()).isEqualTo(1);
    }

    /**
     * On a coordinator ticking every 250 ms, starts a 20 s run on workers with these ids (added to {@code workers})
     * and returns once every worker has its assignment and the load has been under way for 300 ms.
     */
    private StartRunResponse startLongRunOnASlowTick(List<String> ids, List<FakeWorker> workers) throws Exception {
        stop();
        startServer(Duration.ofMillis(250), Duration.ofMinutes(10));
        for (String id : ids) {
            workers.add(worker(id, 0));
        }
        awaitConnected(ids.size());
        StartRunResponse started =
                startRun(TestPlans.constantRate(100, 20_000, ids.size()).build());
        for (FakeWorker w : workers) {
            w.awaitAssignment();
        }
        long underWay = started.getStartUnixNanos() + TimeUnit.MILLISECONDS.toNanos(300);
        Await.until(
                "load under way",
                Duration.ofSeconds(10),
                () -> WallClock.system().unixNanos() >= underWay);
        return started;
    }

    private RunResult awaitTerminal(String runId) {
        return Await.value("the run ended", () -> {
            RunResult r = RunControlGrpc.newBlockingStub(channel)
                    .getRunResult(
                            GetRunResultRequest.newBuilder().setRunId(runId).build());
            boolean ended = r.getState() == RunState.RUN_STATE_COMPLETED || r.getState() == RunState.RUN_STATE_STOPPED;
            return ended ? r : null;
        });
    }

    private void awaitConnected(int count) {
        Await.until(
                "workers connected",
                Duration.ofSeconds(10),
                () -> server.registry().connected() >= count);
    }
}
