package io.salvo.coordinator.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.coordinator.cluster.ClusterSettings;
import io.salvo.coordinator.cluster.CoordinatorCluster;
import io.salvo.coordinator.cluster.ReportKey;
import io.salvo.coordinator.merge.IntervalMerger;
import io.salvo.coordinator.server.ScriptedReports;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.RunState;
import io.salvo.proto.v1.WorkerEvent;
import io.salvo.proto.v1.WorkerFinished;
import io.salvo.testkit.FakeClock;
import io.salvo.testkit.TestPlans;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A run through its manager on fake time, against a real (standalone) coordinator cluster member: the
 * manager schedules the ticks, ends the run, and archives it once the retention has passed, in two steps.
 */
class RunManagerRetentionTest {

    private static final Duration RETENTION = Duration.ofMinutes(10);
    /** Between the archive mark and dropping the maps: ten seconds, or half the retention when shorter. */
    private static final Duration SETTLE = Duration.ofSeconds(10);

    private static CoordinatorCluster cluster;

    private final FakeClock clock = new FakeClock();
    private final FakeDirectory workers = new FakeDirectory();

    @BeforeAll
    static void startCluster() {
        cluster = CoordinatorCluster.start(ClusterSettings.standalone(), null);
    }

    @AfterAll
    static void stopCluster() {
        cluster.close();
    }

    private RunManager manager() {
        RunSettings settings = RunSettings.defaults().withFinishedRunRetention(RETENTION);
        return new RunManager(
                workers, clock::unixNanos, clock, Runnable::run, clock, settings, cluster, "coordinator-t");
    }

    @Test
    void anEndedRunKeepsItsDataForTheRetentionThenIsArchivedAndItsMapsDropped() throws Exception {
        RunManager manager = manager();
        FakeChannel a = new FakeChannel("w-a", clock);
        FakeChannel b = new FakeChannel("w-b", clock);
        workers.channels.add(a);
        workers.channels.add(b);

        String runId = manager.start(TestPlans.constantRate(100, 2_000, 2).build(), Duration.ofSeconds(1))
                .getRunId();
        Run run = manager.run(runId).orElseThrow();
        assertThat(a.assignments())
                .singleElement()
                .satisfies(x -> assertThat(x.getRunId()).isEqualTo(runId));

        clock.forward(Duration.ofSeconds(3)); // the run starts 1 s after it was started; its 2 s of load are over
        for (FakeChannel w : new FakeChannel[] {a, b}) {
            for (long index = 0; index < 2; index++) {
                IntervalReport report = ScriptedReports.report(runId, w.workerId(), index, 1_000, 3_000);
                run.inbox().receivedReport(IntervalMerger.decode(report));
                // As the leader's batcher writes them: known by key, not merged twice.
                cluster.reports(runId).set(ReportKey.of(index, w.workerId()), report.toByteArray());
            }
            run.inbox()
                    .storedEvent(
                            w.workerId(),
                            WorkerEvent.newBuilder()
                                    .setRunId(runId)
                                    .setFinished(WorkerFinished.newBuilder().setLastIntervalIndex(1))
                                    .build()
                                    .toByteArray());
        }
        clock.forward(Duration.ofMillis(100)); // two ticks
        assertThat(run.state()).isEqualTo(RunState.RUN_STATE_COMPLETED);
        long ended = clock.elapsed().toMillis();
        assertThat(cluster.results().get(runId)).isNotNull();
        assertThat(cluster.reports(runId).size()).isEqualTo(4);

        clock.forward(RETENTION.minusMillis(clock.elapsed().toMillis() - ended + 500));
        assertThat(manager.archived(runId)).isFalse();
        assertThat(manager.run(runId)).isPresent();

        clock.forward(Duration.ofSeconds(1)); // the retention has passed: step one, the mark
        assertThat(manager.archived(runId)).isTrue();
        assertThat(cluster.archivedRuns().get(runId)).isNotEqualTo(RunArchive.DONE);
        assertThat(manager.run(runId)).isEmpty();
        assertThat(cluster.mapNames()).contains("salvo.run." + runId + ".reports");

        clock.forward(SETTLE); // step two: the run's per-interval maps go
        assertThat(cluster.archivedRuns().get(runId)).isEqualTo(RunArchive.DONE);
        assertThat(cluster.mapNames()).noneMatch(name -> name.startsWith("salvo.run." + runId + "."));

        RunResult result = manager.result(runId).orElseThrow();
        assertThat(result.getState()).isEqualTo(RunState.RUN_STATE_COMPLETED);
        assertThat(result.getIntervalsList()).filteredOn(i -> i.getSent() > 0).hasSize(2);
        assertThat(result.getWorkersList()).allMatch(w -> w.getFinished() && w.getSent() == 4);
        assertThat(clock.pendingTasks())
                .as("the run's periodic tick ended with it")
                .isZero();
    }
}
