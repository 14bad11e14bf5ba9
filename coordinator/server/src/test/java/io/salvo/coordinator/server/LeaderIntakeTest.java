package io.salvo.coordinator.server;

import static io.salvo.coordinator.server.ScriptedReports.report;
import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.map.listener.EntryUpdatedListener;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.salvo.coordinator.clock.WallClock;
import io.salvo.coordinator.cluster.CompactedInterval;
import io.salvo.coordinator.cluster.CoordinatorCluster;
import io.salvo.coordinator.cluster.ReportKey;
import io.salvo.coordinator.cluster.RunRecord;
import io.salvo.coordinator.run.RunSettings;
import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.core.result.ReportedBy;
import io.salvo.proto.v1.GetRunResultRequest;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.ProtocolVersion;
import io.salvo.proto.v1.RunControlGrpc;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.RunState;
import io.salvo.proto.v1.StartRunRequest;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The leader merges the reports its own streams deliver as they arrive and stores them in batches:
 * the live view does not wait for the replicated state or for the ticker, every accepted report
 * still ends up in the run's map exactly as sent, and second copies are told apart as before
 * (identical: a harmless re-delivery; different: rejected and counted).
 */
class LeaderIntakeTest {

    /** Far longer than the test waits for a snapshot: only the show on the last report can explain one. */
    private static final Duration TICK = Duration.ofSeconds(30);

    private CoordinatorServer server;
    private ManagedChannel channel;
    private final List<FakeWorker> workers = new ArrayList<>();

    /** A coordinator with this tick, a grace period and silence limit far beyond the test, and workers. */
    private void start(Duration tick, String... workerIds) throws Exception {
        start(
                RunSettings.defaults()
                        .withStartLead(Duration.ofMillis(300))
                        .withGrace(Duration.ofSeconds(60))
                        .withHeartbeatTimeout(Duration.ofSeconds(60))
                        .withTick(tick),
                workerIds);
    }

    private void start(RunSettings settings, String... workerIds) throws Exception {
        String name = InProcessServerBuilder.generateName();
        server = CoordinatorServer.start(InProcessServerBuilder.forName(name), WallClock.system(), settings, null);
        channel = InProcessChannelBuilder.forName(name).build();
        for (String id : workerIds) {
            workers.add(new FakeWorker(channel, id, ProtocolVersion.PROTOCOL_VERSION_1, 0));
        }
        Await.until("every worker idle", () -> server.registry().idle().size() == workerIds.length);
    }

    @AfterEach
    void stop() {
        workers.forEach(FakeWorker::close);
        if (channel != null) {
            channel.shutdownNow();
        }
        if (server != null) {
            server.close();
        }
    }

    private String startRun(int workerCount) throws InterruptedException {
        String runId = RunControlGrpc.newBlockingStub(channel)
                .withDeadlineAfter(20, TimeUnit.SECONDS)
                .startRun(StartRunRequest.newBuilder()
                        .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1)
                        .setPlan(TestPlans.constantRate(100, 10_000, workerCount))
                        .setWorkerWaitMillis(10_000)
                        .build())
                .getRunId();
        for (FakeWorker w : workers) {
            w.awaitAssignment();
        }
        return runId;
    }

    @Test
    void theLastExpectedReportShowsItsIntervalAtOnceAndEveryReportIsStoredAsSent() throws Exception {
        start(TICK, "a", "b");
        FakeWorker a = workers.get(0);
        FakeWorker b = workers.get(1);
        String runId = startRun(2);
        Iterator<LiveSnapshot> watch = RunControlGrpc.newBlockingStub(channel)
                .withDeadlineAfter(20, TimeUnit.SECONDS)
                .watchRun(WatchRunRequest.newBuilder().setRunId(runId).build());

        IntervalReport a0 = report(runId, "a", 0, 1_000, 2_000);
        IntervalReport b0 = report(runId, "b", 0, 3_000);
        a.send(message(a0));
        b.send(message(b0));
        long sentNanos = System.nanoTime();
        LiveSnapshot shown = watch.next();
        long waitedMillis = (System.nanoTime() - sentNanos) / 1_000_000;
        assertThat(shown.getIntervalIndex()).isZero();
        assertThat(shown.getWorkersReported()).isEqualTo(2);
        assertThat(shown.getSuccesses()).isEqualTo(3);
        // The grace period (60 s) and the tick (30 s) are far away; a loaded machine still answers in well under 10 s.
        assertThat(waitedMillis).isLessThan(10_000);

        a.send(message(a0)); // re-delivered after a reconnect: harmless
        a.send(message(report(runId, "a", 0, 9_000_000))); // a different second copy: refused
        b.send(message(report(runId, "b", 1, 4_000)));

        CoordinatorCluster cluster = server.cluster();
        Await.until(
                "three reports stored, one refused",
                () -> cluster.reports(runId).size() == 3 && rejected(runId) == 1);
        assertThat(IntervalReport.parseFrom(cluster.reports(runId).get(ReportKey.of(0, "a"))))
                .isEqualTo(a0);
        assertThat(IntervalReport.parseFrom(cluster.reports(runId).get(ReportKey.of(0, "b"))))
                .isEqualTo(b0);

        RunResult result = result(runId);
        assertThat(result.getMessage()).contains("duplicate report for interval 0");
        assertIntervalZeroHoldsTheFirstCopies(result);
        assertThat(result.getWorkersList()).extracting(w -> w.getCompleted()).containsExactly(2L, 2L);
    }

    /**
     * Every worker finishing at a run's end used to rewrite the whole run record once each, which
     * is quadratic in the workers; the record now takes them all at the next tick.
     */
    @Test
    void workersFinishingTogetherCostAFewRecordWritesNotOneEach() throws Exception {
        int n = 20;
        start(
                Duration.ofSeconds(1),
                IntStream.range(0, n).mapToObj(i -> String.format("w%02d", i)).toArray(String[]::new));
        String runId = startRun(n);
        AtomicInteger recordWrites = new AtomicInteger();
        server.cluster()
                .runs()
                .addEntryListener(
                        (EntryUpdatedListener<String, byte[]>) e -> {
                            if (e.getKey().equals(runId)) {
                                recordWrites.incrementAndGet();
                            }
                        },
                        false);
        for (int i = 0; i < n; i++) {
            String id = String.format("w%02d", i);
            workers.get(i).send(message(report(runId, id, 0, 1_000)));
            workers.get(i)
                    .send(WorkerMessage.newBuilder()
                            .setEvent(WorkerEvent.newBuilder()
                                    .setRunId(runId)
                                    .setFinished(WorkerFinished.newBuilder().setLastIntervalIndex(0)))
                            .build());
        }
        Await.until("the run completed", () -> result(runId).getState() == RunState.RUN_STATE_COMPLETED);
        RunRecord record = RunRecord.decode(server.cluster().runs().get(runId));
        assertThat(record.workers())
                .hasSize(n)
                .allSatisfy(w -> assertThat(w.finished()).isTrue());
        // One write per tick that saw new finishes, plus the end of the run; the old way was n + 1.
        assertThat(recordWrites.get()).isBetween(1, 5);

        // A straggler after the end still reaches the stored result (written off the transport thread).
        workers.get(3).send(message(report(runId, "w03", 1, 7_000)));
        Await.until("the stored result includes the straggler", () -> {
            byte[] bytes = server.cluster().results().get(runId);
            if (bytes == null) {
                return false; // the run's end is seen before its result is stored
            }
            try {
                RunResult stored = RunResult.parseFrom(bytes);
                return stored.getIntervalsCount() == 2
                        && ReportedBy.workerIds(stored, stored.getIntervals(1)).contains("w03");
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw new AssertionError(e);
            }
        });
    }

    /**
     * Once an interval is compacted its raw reports are gone from the map; a second copy is still told apart by the
     * digest its compacted entry keeps: identical, a harmless re-delivery; different, refused and counted.
     */
    @Test
    void aSecondCopyOfACompactedReportIsToldApartByItsDigest() throws Exception {
        String runId = runWithIntervalZeroCompacted();
        FakeWorker a = workers.get(0);
        IntervalReport a0 = report(runId, "a", 0, 1_000, 2_000); // what a sent for interval 0
        CoordinatorCluster cluster = server.cluster();
        CompactedInterval entry =
                CompactedInterval.decode(cluster.compacted(runId).get(0L));
        assertThat(entry.countsByWorker()).containsOnlyKeys("a", "b");
        assertThat(entry.merged().getWorkersReported()).isEqualTo(2);
        assertThat(entry.digestOf("a")).isEqualTo(CompactedInterval.digestOf(a0.toByteArray()));

        a.send(message(a0)); // re-delivered after a reconnect: harmless
        a.send(message(report(runId, "a", 0, 9_000_000))); // a different second copy: refused
        Await.until("one refused", () -> rejected(runId) == 1);
        RunResult result = result(runId);
        assertThat(result.getMessage()).contains("duplicate report for interval 0");
        assertIntervalZeroHoldsTheFirstCopies(result);
        assertThat(cluster.reports(runId).keySet()).noneMatch(k -> k.startsWith("000000000000/"));
    }

    /**
     * Past the workers' re-send horizon an interval's entry is sealed: the merge alone, without digests. A second
     * copy of one of its reports is still known as one (the leader's merger has the worker's bit) and dropped,
     * identical or not, without a rejection; what was merged does not change.
     */
    @Test
    void aCopyOfASealedReportIsDroppedWithoutComparison() throws Exception {
        String runId = runWithIntervalZeroCompacted();
        FakeWorker a = workers.get(0);
        IntervalReport a0 = report(runId, "a", 0, 1_000, 2_000); // what a sent for interval 0
        CoordinatorCluster cluster = server.cluster();
        // What the leader writes once the interval is past the horizon (a minute later): the merge alone.
        CompactedInterval recent =
                CompactedInterval.decode(cluster.compacted(runId).get(0L));
        cluster.compacted(runId)
                .set(0L, CompactedInterval.sealed(recent.merged()).encode());

        a.send(message(a0)); // re-delivered: dropped
        a.send(message(report(runId, "a", 0, 9_000_000))); // different: dropped too, no longer compared
        IntervalReport a1 = report(runId, "a", 1, 4_000);
        a.send(message(a1));
        // A stream's messages take effect in order: once this one is refused, the copies above were handled.
        a.send(message(report(runId, "a", 1, 8_000_000)));
        Await.until("the marker refused", () -> rejected(runId) >= 1);

        RunResult result = result(runId);
        assertThat(result.getRejectedReports()).as("only the marker").isEqualTo(1);
        assertThat(result.getMessage()).contains("duplicate report for interval 1");
        assertIntervalZeroHoldsTheFirstCopies(result);
        assertThat(result.getIntervals(0).getWorkersReported()).isEqualTo(2);
        assertThat(cluster.reports(runId).containsKey("000000000000/a"))
                .as("not stored raw")
                .isFalse();
    }

    /**
     * Workers a and b start a run and report interval 0 (a: 1,000 and 2,000 µs; b: 3,000 µs); returns the run's id
     * once interval 0 is compacted and its raw reports are gone.
     */
    private String runWithIntervalZeroCompacted() throws Exception {
        start(
                RunSettings.defaults()
                        .withStartLead(Duration.ofMillis(300))
                        .withGrace(Duration.ofMillis(100))
                        .withHeartbeatTimeout(Duration.ofSeconds(60))
                        .withCompactionMargin(Duration.ZERO),
                "a",
                "b");
        String runId = startRun(2);
        workers.get(0).send(message(report(runId, "a", 0, 1_000, 2_000)));
        workers.get(1).send(message(report(runId, "b", 0, 3_000)));
        CoordinatorCluster cluster = server.cluster();
        Await.until(
                "interval 0 compacted and its raw reports removed",
                () -> cluster.compacted(runId).containsKey(0L)
                        && cluster.reports(runId).keySet().stream().noneMatch(k -> k.startsWith("000000000000/")));
        return runId;
    }

    /** Interval 0 merges the first copies its tests send (a: 1,000 and 2,000 µs; b: 3,000 µs) and nothing else. */
    private static void assertIntervalZeroHoldsTheFirstCopies(RunResult result) throws Exception {
        Histogram expected = HistogramSpec.newHistogram();
        for (long v : new long[] {1_000, 2_000, 3_000}) {
            expected.recordValue(v);
        }
        assertThat(HistogramCodec.decode(
                        result.getIntervals(0).getOutcomes(0).getLatencyMicros().toByteArray()))
                .isEqualTo(expected);
    }

    private long rejected(String runId) {
        return result(runId).getRejectedReports();
    }

    private RunResult result(String runId) {
        return RunControlGrpc.newBlockingStub(channel)
                .withDeadlineAfter(20, TimeUnit.SECONDS)
                .getRunResult(GetRunResultRequest.newBuilder().setRunId(runId).build());
    }

    private static WorkerMessage message(IntervalReport report) {
        return WorkerMessage.newBuilder().setIntervalReport(report).build();
    }
}
