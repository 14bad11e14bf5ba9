package io.salvo.coordinator.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.salvo.coordinator.clock.WallClock;
import io.salvo.coordinator.cluster.CoordinatorCluster;
import io.salvo.coordinator.cluster.RunRecord;
import io.salvo.coordinator.run.Run;
import io.salvo.coordinator.run.RunSettings;
import io.salvo.core.term.Terms;
import io.salvo.proto.v1.Assignment;
import io.salvo.proto.v1.LeaderTerm;
import io.salvo.proto.v1.ProtocolVersion;
import io.salvo.proto.v1.RunControlGrpc;
import io.salvo.proto.v1.StartRunRequest;
import io.salvo.proto.v1.TermRefused;
import io.salvo.proto.v1.WorkerMessage;
import io.salvo.testkit.Await;
import io.salvo.testkit.TestPlans;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The coordinator's side of fenced leadership: a leader drives a run under a term it took (stored in the cluster and
 * in the run's record, sent with every assignment), and stops driving it when a worker refuses that term because it
 * has seen a higher one, which the cluster then knows too.
 */
class LeadershipTermTest {

    private CoordinatorServer server;
    private ManagedChannel channel;
    private FakeWorker worker;

    @AfterEach
    void stop() {
        if (worker != null) {
            worker.close();
        }
        if (channel != null) {
            channel.shutdownNow();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aRunIsDrivenUnderTheLeadersTermUntilAWorkerHasSeenAHigherOne() throws Exception {
        String name = InProcessServerBuilder.generateName();
        server = CoordinatorServer.start(
                InProcessServerBuilder.forName(name),
                WallClock.system(),
                RunSettings.defaults()
                        .withStartLead(Duration.ofMillis(300))
                        .withHeartbeatTimeout(Duration.ofSeconds(60)),
                null);
        channel = InProcessChannelBuilder.forName(name).build();
        worker = new FakeWorker(channel, "w", ProtocolVersion.PROTOCOL_VERSION_1, 0);
        Await.until("the worker idle", () -> server.registry().idle().size() == 1);
        String runId = RunControlGrpc.newBlockingStub(channel)
                .withDeadlineAfter(20, TimeUnit.SECONDS)
                .startRun(StartRunRequest.newBuilder()
                        .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1)
                        .setPlan(TestPlans.constantRate(10, 60_000, 1))
                        .setWorkerWaitMillis(10_000)
                        .build())
                .getRunId();
        Assignment assignment = worker.awaitAssignment();
        CoordinatorCluster cluster = server.cluster();
        LeaderTerm term = assignment.getTerm();
        assertThat(term.getCounter()).isPositive();
        assertThat(term.getMemberId()).isEqualTo(cluster.memberId());
        assertThat(CoordinatorCluster.parseTerm(cluster.terms().get(cluster.memberId())))
                .isEqualTo(term);
        assertThat(RunRecord.decode(cluster.runs().get(runId)).term()).isEqualTo(term);
        Run run = server.runs().run(runId).orElseThrow();
        assertThat(server.runs().ledRun(runId)).isSameAs(run);

        // The worker has followed another coordinator since (the other side of a partition, say).
        LeaderTerm higher = Terms.of(term.getCounter() + 1, "another-member");
        worker.send(WorkerMessage.newBuilder()
                .setTermRefused(TermRefused.newBuilder()
                        .setRunId(runId)
                        .setRefused(term)
                        .setHighest(higher))
                .build());
        Await.until("the run deposed", run::deposed);
        assertThat(server.runs().ledRun(runId)).isNull();
        Await.until("the learned term stored", () -> cluster.terms().containsKey("learned:" + cluster.memberId()));
        assertThat(CoordinatorCluster.parseTerm(cluster.terms().get("learned:" + cluster.memberId())))
                .isEqualTo(higher);
        // Nothing is written for the run any more: its record keeps the old term.
        assertThat(RunRecord.decode(cluster.runs().get(runId)).term()).isEqualTo(term);
    }
}
