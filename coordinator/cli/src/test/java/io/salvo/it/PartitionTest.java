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
import io.salvo.core.result.ReportedBy;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 11 item 4: two coordinators whose member link runs through proxies the test cuts mid-run. The leader, A, is
 * cut off from everything (its member link and the workers' links to it); B takes the run over under a higher term
 * while A, alone, still leads its side under the lower one (and, having lost every worker, ends the run there). After
 * the heal there is one leader, the state converges on the higher term's run, and the result holds every interval
 * exactly once, with every worker's report. Twice: once with A's side merging into B's, once the other way round.
 */
class PartitionTest {

    /** Which side of the partition Hazelcast keeps when it heals; the other merges into it. */
    enum Survivor {
        /** A, the cut-off leader of the lower term, merges into B: B stays the leader under its term. */
        NEW_LEADER,
        /** B, which led under the higher term, merges into A: A leads, and takes the run over under a higher term. */
        CUT_OFF_LEADER
    }

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

    @ParameterizedTest
    @EnumSource(Survivor.class)
    void aLeaderCutOffMidRunIsFencedAndTheHealKeepsTheHigherTermsRun(Survivor survivor) throws Exception {
        ClusterToken token = ClusterToken.generate();
        ControllableTarget target = ControllableTarget.start(0);
        closeables.add(target::close);

        // Each member advertises its proxy's port, so the other reaches it only through the proxy. Of two sides of
        // equal size Hazelcast merges the one with the greater address (as text) into the other: the survivor's
        // proxy gets the smaller.
        int memberA = CuttableProxy.freePort();
        int memberB = CuttableProxy.freePort();
        int p1 = CuttableProxy.freePort();
        int p2 = CuttableProxy.freePort();
        while (p2 == p1) {
            p2 = CuttableProxy.freePort();
        }
        String s1 = "127.0.0.1:" + p1;
        String s2 = "127.0.0.1:" + p2;
        int smaller = s1.compareTo(s2) < 0 ? p1 : p2;
        int greater = smaller == p1 ? p2 : p1;
        int proxyPortB = survivor == Survivor.NEW_LEADER ? smaller : greater;
        int proxyPortA = survivor == Survivor.NEW_LEADER ? greater : smaller;
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

        // One cluster again, one leader: the survivor's.
        Await.until(
                "one cluster of two again",
                Duration.ofSeconds(30),
                () -> a.cluster().memberIds().size() == 2
                        && b.cluster().memberIds().size() == 2);
        CoordinatorServer leader = survivor == Survivor.NEW_LEADER ? b : a;
        CoordinatorServer follower = leader == a ? b : a;
        Await.until(
                "one leader",
                Duration.ofSeconds(10),
                () -> leader.cluster().isLeader() && !follower.cluster().isLeader());
        ManagedChannel toLeader = leader == a ? channelA : channelB;
        ManagedChannel toFollower = leader == a ? channelB : channelA;

        // Completed under the higher term: the heal's merge (and, where A survives, A's taking the run over again)
        // is done. Until then the survivor may answer with the state its own side had.
        Await.until("the run completed under the higher term", Duration.ofSeconds(60), () -> {
            byte[] bytes = leader.cluster().runs().get(runId);
            if (bytes == null) {
                return false;
            }
            RunRecord r = RunRecord.decode(bytes);
            return r.state() == RunState.RUN_STATE_COMPLETED
                    && !Terms.lower(r.term(), termB)
                    && result(toLeader, credentials, runId).getState() == RunState.RUN_STATE_COMPLETED;
        });
        RunResult result = result(toLeader, credentials, runId);
        sampler.interrupt();
        sampler.join(1_000);

        // Exactly one leader, and the state converged on the higher term's run: B's, or the one A took it over under
        // after the heal, above B's.
        assertThat(List.of(a.cluster().isLeader(), b.cluster().isLeader())).containsExactly(leader == a, leader == b);
        RunRecord record = RunRecord.decode(leader.cluster().runs().get(runId));
        assertThat(record.state()).isEqualTo(RunState.RUN_STATE_COMPLETED);
        if (survivor == Survivor.NEW_LEADER) {
            assertThat(record.term()).isEqualTo(termB);
        } else {
            assertThat(Terms.lower(termB, record.term()))
                    .as("record term %s", record.term())
                    .isTrue();
            assertThat(record.term().getMemberId()).isEqualTo(memberIdA);
        }
        // The follower answers with the same result once the leader stored it (histograms are exact either way;
        // their compressed bytes may differ, so intervals, workers and counts are compared).
        try {
            Await.until("the follower answers with the leader's result", Duration.ofSeconds(20), () -> {
                RunResult r = result(toFollower, credentials, runId);
                return r.getState() == RunState.RUN_STATE_COMPLETED
                        && summary(r).equals(summary(result(toLeader, credentials, runId)));
            });
        } catch (AssertionError e) {
            assertThat(summary(result(toFollower, credentials, runId)))
                    .as(
                            "the follower's result, against the leader's (follower holds a run object: %s; stored result"
                                    + " seen by the follower: %s, by the leader: %s)",
                            follower.runs().run(runId).isPresent(),
                            follower.cluster().results().containsKey(runId),
                            leader.cluster().results().containsKey(runId))
                    .isEqualTo(summary(result(toLeader, credentials, runId)));
            throw e;
        }
        result = result(toLeader, credentials, runId);

        // The workers followed one leader at a time: A's term, then B's (then, when A took the run over again while
        // load was left, A's new one), never back: a message of a lower term after a higher one would have been
        // refused and counted.
        long refusals = workers.stream().mapToLong(WorkerAgent::termRefusals).sum();
        for (WorkerAgent w : workers) {
            List<LeaderTerm> terms = seen.get(w.options().workerId());
            if (survivor == Survivor.NEW_LEADER || terms.size() == 2) {
                assertThat(terms)
                        .as(
                                "terms worker %s followed (refusals in all: %s)",
                                w.options().workerId(), refusals)
                        .containsExactly(termA, termB);
            } else {
                assertThat(terms)
                        .as(
                                "terms worker %s followed (refusals in all: %s)",
                                w.options().workerId(), refusals)
                        .containsExactly(termA, termB, record.term());
            }
            assertThat(w.highestTerm()).isEqualTo(terms.get(terms.size() - 1));
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
            assertThat(ReportedBy.workerIds(result, interval))
                    .as("workers in interval %s", index)
                    .containsExactlyInAnyOrder("w0", "w1");
        }
        assertThat(indexes).allMatch(i -> i <= whole);
        // The rate was kept: B re-sliced the whole rate over the workers it took over, and A, cut off, reached none.
        // (Summed over the intervals: the per-worker totals of a result rebuilt after a takeover miss the intervals
        // compacted before it, a weakness of compaction, not of the partition.)
        long sent = result.getIntervalsList().stream()
                .mapToLong(MergedInterval::getSent)
                .sum();
        assertThat((double) sent)
                .as("result %s", summary(result))
                .isCloseTo(RATE * whole, org.assertj.core.data.Percentage.withPercentage(3));
        assertThat(result.getTakeoversList()).isNotEmpty();
    }

    /** Per interval its index, workers, sent and completed; per worker its sent, completed and intervals. */
    private static List<String> summary(RunResult result) {
        List<String> lines = new ArrayList<>();
        for (MergedInterval m : result.getIntervalsList()) {
            lines.add(
                    "interval " + m.getIntervalIndex() + " " + new java.util.TreeSet<>(ReportedBy.workerIds(result, m))
                            + " sent " + m.getSent() + " completed " + m.getCompleted());
        }
        for (WorkerSummary w : result.getWorkersList()) {
            lines.add("worker " + w.getWorkerId() + " sent " + w.getSent() + " completed " + w.getCompleted()
                    + " intervals " + w.getIntervalsReported());
        }
        return lines;
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
