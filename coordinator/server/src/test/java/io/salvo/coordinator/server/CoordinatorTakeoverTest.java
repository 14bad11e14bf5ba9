package io.salvo.coordinator.server;

import static io.salvo.coordinator.server.ScriptedReports.report;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.salvo.coordinator.clock.WallClock;
import io.salvo.coordinator.cluster.ClusterSettings;
import io.salvo.coordinator.cluster.CoordinatorCluster;
import io.salvo.coordinator.cluster.ReportKey;
import io.salvo.coordinator.cluster.RunRecord;
import io.salvo.coordinator.metrics.MetricsFeed;
import io.salvo.coordinator.metrics.PrometheusMetrics;
import io.salvo.coordinator.run.RunArchive;
import io.salvo.coordinator.run.RunSettings;
import io.salvo.core.result.ReportedBy;
import io.salvo.proto.v1.Assignment;
import io.salvo.proto.v1.GetRunResultRequest;
import io.salvo.proto.v1.Header;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.LiveEvent;
import io.salvo.proto.v1.LiveEventKind;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.ProtocolVersion;
import io.salvo.proto.v1.RequestHeaderSets;
import io.salvo.proto.v1.RequestHeadersUpdate;
import io.salvo.proto.v1.ResliceCause;
import io.salvo.proto.v1.RunControlGrpc;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.RunState;
import io.salvo.proto.v1.StartRunRequest;
import io.salvo.proto.v1.StartRunResponse;
import io.salvo.proto.v1.UpdateRequestHeadersRequest;
import io.salvo.proto.v1.UpdateRequestHeadersResponse;
import io.salvo.proto.v1.WatchRunRequest;
import io.salvo.proto.v1.WorkerEvent;
import io.salvo.proto.v1.WorkerFinished;
import io.salvo.proto.v1.WorkerMessage;
import io.salvo.testkit.Await;
import io.salvo.testkit.FakeClock;
import io.salvo.testkit.TestPlans;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two coordinators of one Hazelcast cluster in one JVM, over in-process gRPC: the replicated state's
 * layout, a follower's view of the leader's run, and the leader's death mid-run.
 */
class CoordinatorTakeoverTest {

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    @Test
    void followerTakesOverTheRunWhenTheLeaderDiesAndNoReportIsLost() throws Exception {
        // Scripted workers send no heartbeats: a long silence limit, and a load long enough that the
        // takeover happens while it is still under way.
        Pair pair = startPair(Duration.ofMinutes(10));
        CoordinatorServer a = pair.a();
        CoordinatorServer b = pair.b();
        ManagedChannel toA = pair.toA();
        ManagedChannel toB = pair.toB();

        assertThat(a.cluster().memberIds()).hasSize(2);
        assertThat(a.cluster().isLeader()).isTrue();
        assertThat(b.cluster().isLeader()).isFalse();

        // w0 on the leader, w1 on the follower: the leader plans over both.
        FakeWorker w0 = worker(toA, "w0");
        FakeWorker w1 = worker(toB, "w1");
        Await.until(
                "both coordinators see both workers",
                () -> a.registry().connected() == 2 && b.registry().connected() == 2);

        // The follower's /metrics follows every run of the cluster, whoever leads it, across the takeover.
        PrometheusMetrics metricsOnB = new PrometheusMetrics();
        MetricsFeed feedOnB = MetricsFeed.attach(b.cluster(), b.snapshotFeeds(), metricsOnB);

        assertThatThrownBy(() -> startRun(toB)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(e.getStatus().getDescription()).contains("is a follower");
        });
        StartRunResponse started = startRun(toA);
        String runId = started.getRunId();
        Assignment first0 = w0.awaitAssignment();
        Assignment first1 = w1.awaitAssignment(); // relayed through the cluster by the follower
        assertThat(first1.getRunId()).isEqualTo(runId);
        assertThat(first1.getEpoch()).isEqualTo(1);
        assertThat(first1.getStartCoordinatorUnixNanos()).isEqualTo(started.getStartUnixNanos());
        assertThat(first0.getSlice().getSegmentEnd()).isEqualTo(1);
        assertThat(first1.getSlice().getSegmentStart()).isEqualTo(1);

        // Header sets renewed during the run can be pushed to any coordinator: the follower keeps them in the
        // replicated state, the leader sends them to both workers (w1 through the follower), and a stale
        // generation changes nothing.
        RequestHeaderSets renewed = RequestHeaderSets.newBuilder()
                .setGeneration(2)
                .addShared(Header.newBuilder().setName("Authorization").setValue("Bearer renewed"))
                .build();
        UpdateRequestHeadersResponse pushed = updateHeaders(toB, runId, renewed);
        assertThat(pushed.getApplied()).isTrue();
        assertThat(pushed.getGeneration()).isEqualTo(2);
        for (FakeWorker w : List.of(w0, w1)) {
            RequestHeadersUpdate update = w.headerUpdates.poll(10, TimeUnit.SECONDS);
            assertThat(update).as("the update reached a worker").isNotNull();
            assertThat(update.getRunId()).isEqualTo(runId);
            assertThat(update.getHeaderSets()).isEqualTo(renewed);
        }
        UpdateRequestHeadersResponse stale =
                updateHeaders(toA, runId, renewed.toBuilder().setGeneration(1).build());
        assertThat(stale.getApplied()).isFalse();
        assertThat(stale.getGeneration()).isEqualTo(2);

        // The follower's live view comes from the replicated snapshots.
        List<LiveSnapshot> seenOnB = new CopyOnWriteArrayList<>();
        Thread watcher = new Thread(() -> RunControlGrpc.newBlockingStub(toB)
                .withDeadlineAfter(60, TimeUnit.SECONDS)
                .watchRun(WatchRunRequest.newBuilder().setRunId(runId).build())
                .forEachRemaining(seenOnB::add));
        watcher.start();

        w0.send(reportMessage(runId, "w0", 0, 1000, 2000));
        w1.send(reportMessage(runId, "w1", 0, 3000));
        // State layout: every accepted report is in the run's map under "interval/worker", as sent.
        CoordinatorCluster state = b.cluster();
        Await.until("reports replicated", () -> state.reports(runId).size() == 2);
        assertThat(IntervalReport.parseFrom(state.reports(runId).get(ReportKey.of(0, "w1"))))
                .isEqualTo(report(runId, "w1", 0, 3000));
        RunRecord record = RunRecord.decode(state.runs().get(runId));
        assertThat(record.startUnixNanos()).isEqualTo(started.getStartUnixNanos());
        assertThat(record.leaderCoordinatorId()).isEqualTo(a.runs().coordinatorId());
        assertThat(record.workers())
                .extracting(RunRecord.WorkerRecord::workerId)
                .containsExactly("w0", "w1");
        assertThat(state.workers().keySet()).containsExactlyInAnyOrder("w0", "w1");
        // A follower rebuilds the merged view from the maps.
        Await.until(
                "the follower's result shows interval 0",
                () -> result(toB, runId).getIntervalsCount() == 1
                        && ReportedBy.count(result(toB, runId).getIntervals(0)) == 2);
        // A duplicate is refused where it arrives, before it reaches the cluster.
        w1.send(reportMessage(runId, "w1", 0, 9_000_000));

        a.halt(); // the leader dies: no goodbye to anyone
        w0.close();
        FakeWorker w0again = worker(toB, "w0"); // w0 reconnects to the next coordinator of its list
        // What w0 buffered while it had no coordinator, and w1's next interval.
        w0again.send(reportMessage(runId, "w0", 1, 4000));
        w1.send(reportMessage(runId, "w1", 1, 5000, 6000));

        Await.until(
                "the follower took over",
                () -> b.cluster().isLeader() && b.runs().run(runId).isPresent());
        // Once both workers are back, the new leader re-assigns under a new epoch; same run, same start.
        Assignment next0 = w0again.awaitAssignment();
        Assignment next1 = awaitEpoch(w1, 2);
        for (Assignment next : List.of(next0, next1)) {
            assertThat(next.getRunId()).isEqualTo(runId);
            assertThat(next.getEpoch()).isEqualTo(2);
            assertThat(next.getStartCoordinatorUnixNanos()).isEqualTo(started.getStartUnixNanos());
            assertThat(next.getPlan().getRequest().getHeaderSets())
                    .as("the new leader assigns the header sets the old one was given")
                    .isEqualTo(renewed);
        }
        for (FakeWorker w : List.of(w0again, w1)) {
            w.send(WorkerMessage.newBuilder()
                    .setEvent(WorkerEvent.newBuilder()
                            .setRunId(runId)
                            .setFinished(WorkerFinished.newBuilder().setLastIntervalIndex(1)))
                    .build());
        }

        Await.until("the run completed on B", () -> result(toB, runId).getState() == RunState.RUN_STATE_COMPLETED);
        RunResult result = result(toB, runId);
        assertThat(result.getStartUnixNanos()).isEqualTo(started.getStartUnixNanos());
        assertThat(result.getIntervalsList()).hasSize(2);
        for (var interval : result.getIntervalsList()) {
            assertThat(ReportedBy.workerIds(result, interval)).containsExactlyInAnyOrder("w0", "w1");
        }
        assertThat(result.getWorkersList()).extracting(w -> w.getCompleted()).containsExactly(3L, 3L);
        assertThat(result.getRejectedReports()).isEqualTo(1); // the duplicate
        assertThat(result.getTakeoversList()).singleElement().satisfies(t -> {
            assertThat(t.getFromCoordinatorId()).isEqualTo(a.runs().coordinatorId());
            assertThat(t.getToCoordinatorId()).isEqualTo(b.runs().coordinatorId());
            assertThat(t.getReportsRestored()).isBetween(2L, 4L);
        });
        assertThat(result.getReslicesList())
                .extracting(r -> r.getCause())
                .containsExactly(ResliceCause.RESLICE_CAUSE_TAKEOVER);

        watcher.join(TimeUnit.SECONDS.toMillis(20));
        assertThat(seenOnB).extracting(LiveSnapshot::getState).last().isEqualTo(RunState.RUN_STATE_COMPLETED);
        assertThat(seenOnB.subList(0, seenOnB.size() - 1))
                .extracting(LiveSnapshot::getIntervalIndex)
                .containsExactly(0L, 1L);
        // The takeover and the new leader's re-slice are in the live stream once, wherever they landed; no worker
        // was lost.
        List<LiveEvent> runEvents = seenOnB.stream()
                .flatMap(s -> s.getLiveEventsList().stream())
                .filter(e -> e.getKind() == LiveEventKind.LIVE_EVENT_KIND_TAKEOVER
                        || e.getKind() == LiveEventKind.LIVE_EVENT_KIND_RESLICE
                        || e.getKind() == LiveEventKind.LIVE_EVENT_KIND_WORKER_LOST)
                .toList();
        assertThat(runEvents)
                .extracting(LiveEvent::getKind)
                .containsExactly(LiveEventKind.LIVE_EVENT_KIND_TAKEOVER, LiveEventKind.LIVE_EVENT_KIND_RESLICE);
        assertThat(runEvents.get(0).getText())
                .contains("took the run over from " + a.runs().coordinatorId());
        assertThat(runEvents.get(1).getResliceCause()).isEqualTo(ResliceCause.RESLICE_CAUSE_TAKEOVER);
        assertThat(runEvents.get(1).getWorkers()).isEqualTo(2);
        assertThat(seenOnB).allSatisfy(s -> assertThat(s.getWorkersLost()).isZero());

        // /metrics on B: the snapshots' sums, the run completed.
        Await.until("B's metrics saw the run end", () -> scrapedState(metricsOnB, runId, "completed") == 1);
        String scraped = new String(metricsOnB.scrape(), StandardCharsets.UTF_8);
        long sent = seenOnB.stream().mapToLong(LiveSnapshot::getSent).sum();
        long completed = seenOnB.stream().mapToLong(LiveSnapshot::getCompleted).sum();
        assertThat(scraped)
                .contains("salvo_requests_sent_total{region=\"all\",run=\"" + runId + "\"} " + sent + ".0\n")
                .contains(
                        "salvo_request_latency_seconds_count{region=\"all\",run=\"" + runId + "\"} " + completed + "\n")
                .contains("salvo_workers_lost_total{region=\"all\",run=\"" + runId + "\"} 0.0\n");
        assertThat(completed).isEqualTo(6);
        assertThat(feedOnB.follows(runId)).isTrue();
        feedOnB.close();
    }

    /** The value of salvo_run_state{run, state} in a scrape, or -1 when the series is not there. */
    private static double scrapedState(PrometheusMetrics metrics, String runId, String state) {
        String prefix = "salvo_run_state{region=\"all\",run=\"" + runId + "\",state=\"" + state + "\"} ";
        return new String(metrics.scrape(), StandardCharsets.UTF_8)
                .lines()
                .filter(l -> l.startsWith(prefix))
                .mapToDouble(l -> Double.parseDouble(l.substring(prefix.length())))
                .findFirst()
                .orElse(-1);
    }

    @Test
    void aNewLeaderArchivesTheEndedRunTheOldOneLeftBehind() throws Exception {
        // On fake time, one clock per coordinator moved together: the retention (12 s) passes only when the test
        // says so, so the leader dies, B takes over and the late report arrives before the run is archived, however
        // slow the machine.
        FakeClock clockA = new FakeClock();
        FakeClock clockB = new FakeClock();
        FakeClocks clock = new FakeClocks(clockA, clockB);
        Pair pair = startPair(Duration.ofSeconds(12), clockA, clockB);
        CoordinatorServer a = pair.a();
        CoordinatorServer b = pair.b();
        ManagedChannel toA = pair.toA();
        ManagedChannel toB = pair.toB();
        FakeWorker w0 = worker(toA, "w0");
        FakeWorker w1 = worker(toB, "w1");
        awaitMovingTime(
                clock,
                "both coordinators see both workers",
                () -> a.registry().connected() == 2 && b.registry().connected() == 2);
        // Clock probes and the workers' publication to the cluster happen on the coordinators' tickers.
        awaitMovingTime(
                clock, "both workers idle on A", () -> a.registry().idle().size() == 2);

        String runId = startRun(toA).getRunId();
        w0.awaitAssignment();
        w1.awaitAssignment();
        for (FakeWorker w : List.of(w0, w1)) {
            String id = w == w0 ? "w0" : "w1";
            w.send(reportMessage(runId, id, 0, 1000));
            w.send(WorkerMessage.newBuilder()
                    .setEvent(WorkerEvent.newBuilder()
                            .setRunId(runId)
                            .setFinished(WorkerFinished.newBuilder().setLastIntervalIndex(0)))
                    .build());
        }
        awaitMovingTime(
                clock,
                "the run completed",
                () -> b.cluster().results().containsKey(runId)
                        && result(toB, runId).getState() == RunState.RUN_STATE_COMPLETED);
        RunResult ended = result(toB, runId);
        assertThat(ended.getIntervalsList())
                .singleElement()
                .satisfies(i -> assertThat(ReportedBy.workerIds(ended, i)).containsExactlyInAnyOrder("w0", "w1"));
        awaitMovingTime(
                clock,
                "the leader's batch written",
                () -> b.cluster().reports(runId).size() == 2);
        assertThat(b.cluster().archivedRuns().containsKey(runId)).isFalse();

        a.halt();
        clockA.shutdownNow(); // A's process is gone: nothing it scheduled runs any more
        Await.until(
                "B leads and took the runs over",
                () -> b.cluster().isLeader() && b.runs().leader());
        // A late report that reaches B after the takeover of the ended run: stored, and merged when B archives.
        w1.send(reportMessage(runId, "w1", 1, 7000));
        Await.until("the late report stored", () -> b.cluster().reports(runId).size() == 3);
        assertThat(b.cluster().archivedRuns().containsKey(runId)).isFalse();

        // 12 s of retention after the run's end, then B marks the run archived; half the retention later its maps go.
        long before = clockB.elapsed().toMillis();
        awaitMovingTime(
                clock,
                "B archived the run and dropped its maps",
                () -> Long.valueOf(RunArchive.DONE)
                        .equals(b.cluster().archivedRuns().get(runId)));
        assertThat(clockB.elapsed().toMillis() - before)
                .as("fake ms until archived")
                .isGreaterThan(12_000);
        assertThat(b.cluster().mapNames()).doesNotContain("salvo.run." + runId + ".reports");
        RunResult archived = result(toB, runId);
        assertThat(archived.getState()).isEqualTo(RunState.RUN_STATE_COMPLETED);
        assertThat(archived.getIntervalsList())
                .extracting(i -> i.getIntervalIndex())
                .containsExactly(0L, 1L);
        assertThat(ReportedBy.workerIds(archived, archived.getIntervals(0))).containsExactlyInAnyOrder("w0", "w1");
        assertThat(ReportedBy.workerIds(archived, archived.getIntervals(1))).containsExactly("w1");
    }

    /**
     * Waits for something the coordinators do on their fake tickers, in answer to real gRPC and cluster traffic:
     * each poll moves the fake time on by 50 ms, so the scheduled work runs as it would on a live coordinator.
     */
    private static void awaitMovingTime(FakeClocks clock, String what, BooleanSupplier condition) {
        Await.until(what, () -> {
            if (condition.getAsBoolean()) {
                return true;
            }
            clock.forward(Duration.ofMillis(50));
            return false;
        });
    }

    @Test
    void runRecordSurvivesItsEncodingAndTheTokenSeparatesClusters() {
        // 2 s of load in 1 s intervals with a 1 s request timeout: maxIntervalIndex below counts on these.
        RunPlan plan = TestPlans.constantRate(100, 2_000, 2).build();
        RunRecord record = new RunRecord(
                "run-1",
                plan,
                42,
                1_000,
                1_500_000_000L,
                3_000_000_000L,
                3,
                RunState.RUN_STATE_DRAINING,
                0,
                77,
                "coordinator-a",
                List.of("note one", "note two"),
                List.of(),
                List.of(io.salvo.proto.v1.CoordinatorTakeover.newBuilder()
                        .setFromCoordinatorId("x")
                        .build()),
                List.of(new RunRecord.WorkerRecord(
                        "w0",
                        io.salvo.proto.v1.WorkerHello.newBuilder()
                                .setWorkerId("w0")
                                .setWeight(2)
                                .build(),
                        io.salvo.proto.v1.Slice.newBuilder()
                                .setSegmentEnd(2)
                                .setTotalWeight(2)
                                .build(),
                        -5,
                        9,
                        true,
                        false)));
        assertThat(RunRecord.decode(record.encode())).isEqualTo(record);
        assertThat(record.maxIntervalIndex()).isEqualTo(2 + 1 + 5);
        assertThatThrownBy(() -> RunRecord.decode(new byte[] {0, 0, 0, 9})).hasMessageContaining("format 9");
    }

    /** Two coordinators of one cluster, A the leader, each with an in-process gRPC channel. */
    private record Pair(CoordinatorServer a, CoordinatorServer b, ManagedChannel toA, ManagedChannel toB) {}

    /** The coordinators' fake clocks, moved together as one. */
    private record FakeClocks(FakeClock a, FakeClock b) {
        void forward(Duration amount) {
            a.forward(amount);
            b.forward(amount);
        }
    }

    private Pair startPair(Duration finishedRunRetention) throws IOException {
        return startPair(finishedRunRetention, null, null);
    }

    /** With clocks: each coordinator on its fake clock and ticker; without: both on real time. */
    private Pair startPair(Duration finishedRunRetention, FakeClock clockA, FakeClock clockB) throws IOException {
        String clusterName = "takeover-" + UUID.randomUUID();
        int portA = freePort();
        int portB = freePort();
        List<String> members = List.of("127.0.0.1:" + portA, "127.0.0.1:" + portB);
        RunSettings settings = RunSettings.defaults()
                .withStartLead(Duration.ofMillis(300))
                .withGrace(Duration.ofMillis(500))
                .withHeartbeatTimeout(Duration.ofSeconds(60))
                .withTick(Duration.ofMillis(20))
                .withFinishedRunRetention(finishedRunRetention);
        String nameA = InProcessServerBuilder.generateName();
        String nameB = InProcessServerBuilder.generateName();
        CoordinatorServer a = CoordinatorServer.start(
                InProcessServerBuilder.forName(nameA),
                clockA == null ? WallClock.system() : clockA::unixNanos,
                clockA,
                settings,
                null,
                new ClusterSettings(clusterName, "127.0.0.1", portA, members));
        closeables.add(a);
        CoordinatorServer b = CoordinatorServer.start(
                InProcessServerBuilder.forName(nameB),
                clockB == null ? WallClock.system() : clockB::unixNanos,
                clockB,
                settings,
                null,
                new ClusterSettings(clusterName, "127.0.0.1", portB, members));
        closeables.add(b);
        return new Pair(a, b, channel(nameA), channel(nameB));
    }

    private ManagedChannel channel(String name) {
        ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
        closeables.add(channel::shutdownNow);
        return channel;
    }

    private FakeWorker worker(ManagedChannel channel, String id) {
        FakeWorker w = new FakeWorker(channel, id, ProtocolVersion.PROTOCOL_VERSION_1, 0);
        closeables.add(w);
        return w;
    }

    private static StartRunResponse startRun(ManagedChannel channel) {
        return RunControlGrpc.newBlockingStub(channel)
                .withDeadlineAfter(20, TimeUnit.SECONDS)
                .startRun(StartRunRequest.newBuilder()
                        .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1)
                        .setPlan(TestPlans.constantRate(100, 30_000, 2))
                        .setWorkerWaitMillis(10_000)
                        .build());
    }

    private static UpdateRequestHeadersResponse updateHeaders(
            ManagedChannel channel, String runId, RequestHeaderSets sets) {
        return RunControlGrpc.newBlockingStub(channel)
                .withDeadlineAfter(20, TimeUnit.SECONDS)
                .updateRequestHeaders(UpdateRequestHeadersRequest.newBuilder()
                        .setRunId(runId)
                        .setHeaderSets(sets)
                        .build());
    }

    private static RunResult result(ManagedChannel channel, String runId) {
        return RunControlGrpc.newBlockingStub(channel)
                .withDeadlineAfter(20, TimeUnit.SECONDS)
                .getRunResult(GetRunResultRequest.newBuilder().setRunId(runId).build());
    }

    /** The worker's first assignment of this epoch; assignments of other epochs are passed over. */
    private static Assignment awaitEpoch(FakeWorker worker, long epoch) {
        return Await.value("an assignment of epoch " + epoch, () -> {
            Assignment a = worker.assignments.poll();
            return a != null && a.getEpoch() == epoch ? a : null;
        });
    }

    private static WorkerMessage reportMessage(String runId, String worker, long index, long... latenciesMicros) {
        return WorkerMessage.newBuilder()
                .setIntervalReport(report(runId, worker, index, latenciesMicros))
                .build();
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
