package io.salvo.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.salvo.coordinator.clock.WallClock;
import io.salvo.coordinator.cluster.ClusterSettings;
import io.salvo.coordinator.cluster.RunRecord;
import io.salvo.coordinator.run.RunSettings;
import io.salvo.coordinator.server.CoordinatorServer;
import io.salvo.core.security.BearerTokenCredentials;
import io.salvo.core.security.ClusterToken;
import io.salvo.core.term.Terms;
import io.salvo.proto.v1.GetRunResultRequest;
import io.salvo.proto.v1.LeaderTerm;
import io.salvo.proto.v1.MergedInterval;
import io.salvo.proto.v1.ProtocolVersion;
import io.salvo.proto.v1.RequestTemplate;
import io.salvo.proto.v1.RunControlGrpc;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.RunState;
import io.salvo.proto.v1.StartRunRequest;
import io.salvo.proto.v1.WorkerSummary;
import io.salvo.target.ControllableTarget;
import io.salvo.testkit.Await;
import io.salvo.testkit.CuttableProxy;
import io.salvo.testkit.TestPlans;
import io.salvo.worker.link.WorkerAgent;
import io.salvo.worker.link.WorkerOptions;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 item 4: two coordinators whose member link runs through proxies the test cuts mid-run. The leader, A, is
 * cut off from everything (its member link and the workers' links to it); B takes the run over under a higher term
 * while A, alone, still leads its side under the lower one. After the heal there is one leader, the state converges
 * on the higher term's run, and the result holds every interval exactly once, with every worker's report.
 */
class PartitionTest {

    private static final int WORKERS = 2;
    private static final long DURATION_MILLIS = 24_000;
    private static final double RATE = 200;

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAll() {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                // closing the rest anyway
            }
        }
    }

    @Test
    void aLeaderCutOffMidRunIsFencedAndTheHealKeepsTheHigherTermsRun() throws Exception {
        ClusterToken token = ClusterToken.generate();
        ControllableTarget target = ControllableTarget.start(0);
        closeables.add(target::close);

        // Each member advertises its proxy's port, so the other reaches it only through the proxy. Of two sides of
        // equal size Hazelcast merges the one with the greater address into the other: B's proxy gets the smaller
        // port, so A (the cut-off leader, lower term) is the side that merges into B.
        int memberA = CuttableProxy.freePort();
        int memberB = CuttableProxy.freePort();
        int p1 = CuttableProxy.freePort();
        int p2 = CuttableProxy.freePort();
        while (p2 == p1) {
            p2 = CuttableProxy.freePort();
        }
        String s1 = "127.0.0.1:" + p1;
        String s2 = "127.0.0.1:" + p2;
        int proxyPortB = s1.compareTo(s2) < 0 ? p1 : p2;
        int proxyPortA = proxyPortB == p1 ? p2 : p1;
        CuttableProxy linkToA = proxy(proxyPortA, memberA);
        CuttableProxy linkToB = proxy(proxyPortB, memberB);
        List<String> members = List.of("127.0.0.1:" + proxyPortA, "127.0.0.1:" + proxyPortB);
        String clusterName = "partition-" + UUID.randomUUID();
        Map<String, String> fastDetection = Map.of(
                "hazelcast.heartbeat.interval.seconds", "1",
                "hazelcast.max.no.heartbeat.seconds", "4",
                "hazelcast.merge.first.run.delay.seconds", "2",
                "hazelcast.merge.next.run.delay.seconds", "2");
        RunSettings settings = RunSettings.defaults().withStartLead(Duration.ofMillis(500));

        CoordinatorServer a = coordinator(
                settings,
                token,
                new ClusterSettings(clusterName, "127.0.0.1", memberA, members)
                        .withPublicAddress("127.0.0.1:" + proxyPortA)
                        .withHazelcastProperties(fastDetection));
        CoordinatorServer b = coordinator(
                settings,
                token,
                new ClusterSettings(clusterName, "127.0.0.1", memberB, members)
                        .withPublicAddress("127.0.0.1:" + proxyPortB)
                        .withHazelcastProperties(fastDetection));
        Await.until(
                "one cluster of two",
                () -> a.cluster().memberIds().size() == 2
                        && b.cluster().memberIds().size() == 2);
        assertThat(a.cluster().isLeader()).isTrue();
        assertThat(b.cluster().isLeader()).isFalse();
        assertThat(linkToA.accepted() + linkToB.accepted())
                .as("the members reach each other through the proxies")
                .isPositive();
        String memberIdA = a.cluster().memberId();
        String memberIdB = b.cluster().memberId();

        // The workers reach A through a proxy too (cut with A's member link: A is cut off from everything), then B.
        CuttableProxy workerLinkToA = proxy(0, a.port());
        InetSocketAddress viaProxyToA = new InetSocketAddress("127.0.0.1", workerLinkToA.port());
        InetSocketAddress toB = new InetSocketAddress("127.0.0.1", b.port());
        List<WorkerAgent> workers = new ArrayList<>();
        for (int i = 0; i < WORKERS; i++) {
            WorkerOptions defaults = WorkerOptions.defaults(List.of(viaProxyToA, toB));
            WorkerAgent w = WorkerAgent.start(new WorkerOptions(
                    List.of(viaProxyToA, toB), "w" + i, "test", 1, defaults.eventLoopLanes(), token, null));
            workers.add(w);
            closeables.add(w::close);
        }
        Await.until(
                "A and B see both workers",
                () -> a.registry().idle().size() == WORKERS && b.registry().connected() == WORKERS);

        // Every term each worker has seen, in order, sampled while the run goes on.
        Map<String, List<LeaderTerm>> seen = new HashMap<>();
        workers.forEach(w -> seen.put(w.options().workerId(), new CopyOnWriteArrayList<>()));
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                for (WorkerAgent w : workers) {
                    List<LeaderTerm> terms = seen.get(w.options().workerId());
                    LeaderTerm now = w.highestTerm();
                    if (Terms.isSet(now)
                            && (terms.isEmpty() || !terms.get(terms.size() - 1).equals(now))) {
                        terms.add(now);
                    }
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.setDaemon(true);
        sampler.start();
        closeables.add(sampler::interrupt);

        ManagedChannel channelA = channel(a.port());
        ManagedChannel channelB = channel(b.port());
        BearerTokenCredentials credentials = new BearerTokenCredentials(token);
        RunPlan plan = TestPlans.constantRate(RATE, DURATION_MILLIS, WORKERS)
                .setRequest(RequestTemplate.newBuilder()
                        .setUrl("http://127.0.0.1:" + target.port() + "/")
                        .setMethod("GET"))
                .build();
        String runId = RunControlGrpc.newBlockingStub(channelA)
                .withCallCredentials(credentials)
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .startRun(StartRunRequest.newBuilder()
                        .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1)
                        .setPlan(plan)
                        .setWorkerWaitMillis(10_000)
                        .build())
                .getRunId();
        LeaderTerm termA = a.runs().run(runId).orElseThrow().term();
        assertThat(termA.getMemberId()).isEqualTo(memberIdA);

        // Mid-run: A has shown a few intervals. Then A is cut off.
        Await.until(
                "interval 4 shown",
                Duration.ofSeconds(30),
                () -> result(channelA, credentials, runId).getIntervalsCount() >= 5);
        linkToA.cut();
        linkToB.cut();
        workerLinkToA.cut();
        long cutAt = System.nanoTime();

        // B notices, leads its side under a higher term and takes the workers over; A leads its own side alone.
        Await.until(
                "B leads the run",
                Duration.ofSeconds(20),
                () -> b.cluster().isLeader() && b.runs().ledRun(runId) != null);
        LeaderTerm termB = b.runs().run(runId).orElseThrow().term();
        assertThat(termB.getMemberId()).isEqualTo(memberIdB);
        assertThat(Terms.lower(termA, termB)).isTrue();
        Await.until(
                "A alone", Duration.ofSeconds(20), () -> a.cluster().memberIds().size() == 1);
        assertThat(a.cluster().isLeader())
                .as("both sides lead during the partition")
                .isTrue();
        Await.until(
                "every worker follows B's term",
                Duration.ofSeconds(20),
                () -> workers.stream().allMatch(w -> w.highestTerm().equals(termB)));

        // Cut for longer than failure detection (4 s without heartbeats) and A's wait for its workers (5 s).
        long cutFor = TimeUnit.SECONDS.toNanos(8) - (System.nanoTime() - cutAt);
        if (cutFor > 0) {
            Thread.sleep(TimeUnit.NANOSECONDS.toMillis(cutFor));
        }
        linkToA.heal();
        linkToB.heal();
        workerLinkToA.heal();

        // One cluster again; A merged into B: one leader, B, still under its term.
        Await.until(
                "one cluster of two again",
                Duration.ofSeconds(30),
                () -> a.cluster().memberIds().size() == 2
                        && b.cluster().memberIds().size() == 2);
        Await.until(
                "one leader",
                Duration.ofSeconds(10),
                () -> b.cluster().isLeader() && !a.cluster().isLeader());

        Await.until("the run completed", Duration.ofSeconds(60), () -> {
            RunResult r = result(channelB, credentials, runId);
            return r.getState() == RunState.RUN_STATE_COMPLETED;
        });
        RunResult result = result(channelB, credentials, runId);
        sampler.interrupt();
        sampler.join(1_000);

        // Exactly one leader, and the state converged on the higher term's run.
        assertThat(List.of(a.cluster().isLeader(), b.cluster().isLeader())).containsExactly(false, true);
        RunRecord record = RunRecord.decode(b.cluster().runs().get(runId));
        assertThat(record.state()).isEqualTo(RunState.RUN_STATE_COMPLETED);
        assertThat(Terms.lower(record.term(), termB))
                .as("record term %s", record.term())
                .isFalse();
        assertThat(record.term().getMemberId()).isEqualTo(memberIdB);
        RunResult viaA = Await.value("A answers with the merged result", Duration.ofSeconds(10), () -> {
            RunResult r = result(channelA, credentials, runId);
            return r.getState() == RunState.RUN_STATE_COMPLETED ? r : null;
        });
        assertThat(viaA.getIntervalsList()).isEqualTo(result.getIntervalsList());
        assertThat(viaA.getWorkersList()).isEqualTo(result.getWorkersList());

        // The workers followed one leader at a time: A's term, then B's, never back (a message of A's term after
        // B's would have been refused and counted).
        long refusals = workers.stream().mapToLong(WorkerAgent::termRefusals).sum();
        for (WorkerAgent w : workers) {
            assertThat(seen.get(w.options().workerId()))
                    .as(
                            "terms worker %s followed (refusals in all: %s)",
                            w.options().workerId(), refusals)
                    .containsExactly(termA, termB);
            assertThat(w.highestTerm()).isEqualTo(termB);
        }
        assertThat(refusals)
                .as("messages of a lower term reached no worker after a higher one")
                .isZero();

        // Every interval exactly once: one merged interval per index from 0 to the last of the plan (24 s of
        // 1 s intervals, plus the partial one that may hold requests completing after the load), each holding
        // each worker's report once. No gap: the workers kept sending through the cut (they switched coordinator
        // within a reconnect) and re-delivered what the cut-off coordinator may not have stored.
        List<Long> indexes = result.getIntervalsList().stream()
                .map(MergedInterval::getIntervalIndex)
                .toList();
        assertThat(new HashSet<>(indexes)).as("interval indexes %s", indexes).hasSameSizeAs(indexes);
        long whole = DURATION_MILLIS / 1_000;
        for (long i = 0; i < whole; i++) {
            long index = i;
            MergedInterval interval = result.getIntervalsList().stream()
                    .filter(m -> m.getIntervalIndex() == index)
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("interval " + index + " missing: " + indexes));
            assertThat(interval.getWorkerIdsList())
                    .as("workers in interval %s", index)
                    .containsExactlyInAnyOrder("w0", "w1");
        }
        assertThat(indexes).allMatch(i -> i <= whole);
        // The rate was kept: B re-sliced the whole rate over the workers it took over, and A, cut off, reached none.
        long sent = result.getWorkersList().stream()
                .mapToLong(WorkerSummary::getSent)
                .sum();
        assertThat((double) sent).isCloseTo(RATE * whole, org.assertj.core.data.Percentage.withPercentage(3));
        assertThat(result.getTakeoversList()).isNotEmpty();
    }

    private CuttableProxy proxy(int port, int upstreamPort) throws java.io.IOException {
        CuttableProxy proxy = CuttableProxy.start(port, new InetSocketAddress("127.0.0.1", upstreamPort));
        closeables.add(proxy);
        return proxy;
    }

    private CoordinatorServer coordinator(RunSettings settings, ClusterToken token, ClusterSettings cluster)
            throws java.io.IOException {
        CoordinatorServer server = CoordinatorServer.start(
                NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)),
                WallClock.system(),
                settings,
                token,
                cluster);
        closeables.add(server);
        return server;
    }

    private ManagedChannel channel(int port) {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port)
                .usePlaintext()
                .maxInboundMessageSize(64 * 1024 * 1024)
                .build();
        closeables.add(channel::shutdownNow);
        return channel;
    }

    private static RunResult result(ManagedChannel channel, BearerTokenCredentials credentials, String runId) {
        return RunControlGrpc.newBlockingStub(channel)
                .withCallCredentials(credentials)
                .withDeadlineAfter(20, TimeUnit.SECONDS)
                .getRunResult(GetRunResultRequest.newBuilder().setRunId(runId).build());
    }
}
