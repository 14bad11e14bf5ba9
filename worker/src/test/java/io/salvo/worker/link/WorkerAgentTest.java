package io.salvo.worker.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salvo.core.term.Terms;
import io.salvo.proto.v1.ArrivalProcess;
import io.salvo.proto.v1.Assignment;
import io.salvo.proto.v1.ClockProbe;
import io.salvo.proto.v1.CoordinatorMessage;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.LeaderTerm;
import io.salvo.proto.v1.Phase;
import io.salvo.proto.v1.ProtocolVersion;
import io.salvo.proto.v1.RequestTemplate;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.Slice;
import io.salvo.proto.v1.StopRun;
import io.salvo.proto.v1.TermRefused;
import io.salvo.proto.v1.WorkerEvent;
import io.salvo.proto.v1.WorkerHello;
import io.salvo.proto.v1.WorkerMessage;
import io.salvo.proto.v1.WorkerMessage.BodyCase;
import io.salvo.target.ControllableTarget;
import io.salvo.testkit.Await;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class WorkerAgentTest {

    private ControllableTarget target;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void startTarget() {
        target = ControllableTarget.start(0);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        target.close();
    }

    private FakeCoordinator coordinator(int port) throws Exception {
        FakeCoordinator coordinator = new FakeCoordinator(port);
        toClose.add(coordinator);
        return coordinator;
    }

    private WorkerAgent agent(FakeCoordinator... coordinators) {
        List<java.net.InetSocketAddress> addresses = new ArrayList<>();
        for (FakeCoordinator c : coordinators) {
            addresses.add(c.address());
        }
        return agent(addresses);
    }

    private WorkerAgent agent(List<java.net.InetSocketAddress> addresses) {
        // A short warm-up: these tests check the link, not the first second's scheduler lag.
        WorkerAgent agent = WorkerAgent.start(
                new WorkerOptions(addresses, "worker-under-test", "eu-test-1", 3, 2).withWarmupRequests(300));
        toClose.add(agent);
        return agent;
    }

    private static long unixNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private Assignment assignment(String runId, long epoch, double rate, long durationMillis, Slice slice) {
        return Assignment.newBuilder()
                .setRunId(runId)
                .setEpoch(epoch)
                .setPlan(RunPlan.newBuilder()
                        .setName("agent-test")
                        .setRequest(RequestTemplate.newBuilder()
                                .setUrl("http://127.0.0.1:" + target.port() + "/")
                                .setMethod("GET"))
                        .addPhases(Phase.newBuilder()
                                .setDurationMillis(durationMillis)
                                .setStartRatePerSecond(rate)
                                .setEndRatePerSecond(rate))
                        .setArrival(ArrivalProcess.ARRIVAL_PROCESS_CONSTANT)
                        .setIntervalMillis(500)
                        .setRequestTimeoutMillis(2_000))
                .setSlice(slice)
                .setStartCoordinatorUnixNanos(unixNanos() + 200_000_000L)
                .setWorkerClockOffsetNanos(0)
                .build();
    }

    private static Slice whole() {
        return Slice.newBuilder()
                .setSegmentStart(0)
                .setSegmentEnd(1)
                .setTotalWeight(1)
                .build();
    }

    /** A run's interval reports (by index) and events, as the coordinator received them. */
    private static final class Received {
        final TreeMap<Long, IntervalReport> reports = new TreeMap<>();
        final List<WorkerEvent> events = new ArrayList<>();

        /** Takes the coordinator's messages until {@code enough} holds; fails after {@code seconds}. */
        Received until(FakeCoordinator coordinator, String what, long seconds, BooleanSupplier enough) {
            Await.until(what, Duration.ofSeconds(seconds), () -> {
                WorkerMessage message;
                while (!enough.getAsBoolean() && (message = coordinator.received.poll()) != null) {
                    take(message);
                }
                return enough.getAsBoolean();
            });
            return this;
        }

        Received untilFinished(FakeCoordinator coordinator, long seconds) {
            return until(
                    coordinator,
                    "the run's finished event",
                    seconds,
                    () -> lastEvent().hasFinished());
        }

        WorkerEvent lastEvent() {
            return events.isEmpty() ? WorkerEvent.getDefaultInstance() : events.get(events.size() - 1);
        }

        private void take(WorkerMessage message) {
            if (message.hasIntervalReport()) {
                IntervalReport previous =
                        reports.put(message.getIntervalReport().getIntervalIndex(), message.getIntervalReport());
                assertThat(previous).as("duplicate report for an interval").isNull();
            } else if (message.hasEvent()) {
                events.add(message.getEvent());
            }
        }
    }

    @Test
    void saysHelloAnswersClockProbesAndSendsHeartbeats() throws Exception {
        FakeCoordinator coordinator = coordinator(0);
        long before = unixNanos();
        agent(coordinator);
        WorkerHello hello = coordinator.next(BodyCase.HELLO, 10).getHello();
        assertThat(hello.getWorkerId()).isEqualTo("worker-under-test");
        assertThat(hello.getRegion()).isEqualTo("eu-test-1");
        assertThat(hello.getWeight()).isEqualTo(3);
        assertThat(hello.getCores()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(hello.getProtocolVersion()).isEqualTo(ProtocolVersion.PROTOCOL_VERSION_1);
        assertThat(hello.getSentAtUnixNanos()).isBetween(before, unixNanos());

        long t0 = unixNanos();
        coordinator.send(CoordinatorMessage.newBuilder()
                .setClockProbe(ClockProbe.newBuilder().setProbeId(42).setCoordinatorSentUnixNanos(t0))
                .build());
        var reply = coordinator.next(BodyCase.CLOCK_PROBE_REPLY, 10).getClockProbeReply();
        long t3 = unixNanos();
        assertThat(reply.getProbeId()).isEqualTo(42);
        assertThat(reply.getCoordinatorSentUnixNanos()).isEqualTo(t0);
        assertThat(reply.getWorkerReceivedUnixNanos()).isBetween(t0, t3);
        assertThat(reply.getWorkerSentUnixNanos()).isBetween(reply.getWorkerReceivedUnixNanos(), t3);

        assertThat(coordinator.next(BodyCase.HEARTBEAT, 5).getHeartbeat().getInFlight())
                .isZero();
    }

    @Test
    void runsAnAssignmentReportsEveryIntervalAndFinishes() throws Exception {
        FakeCoordinator coordinator = coordinator(0);
        agent(coordinator);
        coordinator.next(BodyCase.HELLO, 10);
        coordinator.send(CoordinatorMessage.newBuilder()
                .setAssignment(assignment("run-1", 1, 50, 2_000, whole()))
                .build());
        Received received = new Received().untilFinished(coordinator, 20);
        TreeMap<Long, IntervalReport> reports = received.reports;

        var finished = received.lastEvent();
        assertThat(finished.getRunId()).isEqualTo("run-1");
        long last = finished.getFinished().getLastIntervalIndex();
        assertThat(reports.keySet())
                .containsExactlyElementsOf(
                        java.util.stream.LongStream.rangeClosed(0, last).boxed().toList());
        assertThat(last).isBetween(3L, 5L);
        long sent = reports.values().stream().mapToLong(IntervalReport::getSent).sum();
        long completed = reports.values().stream()
                .mapToLong(IntervalReport::getCompleted)
                .sum();
        assertThat(sent).isEqualTo(100);
        assertThat(finished.getFinished().getTotalSent()).isEqualTo(sent);
        assertThat(finished.getFinished().getTotalCompleted())
                .isEqualTo(completed)
                .isEqualTo(100);
        assertThat(reports.values()).allSatisfy(r -> {
            assertThat(r.getRunId()).isEqualTo("run-1");
            assertThat(r.getWorkerId()).isEqualTo("worker-under-test");
            assertThat(r.getEpoch()).isEqualTo(1);
        });
        // Every full interval of the constant phase carries 25 sends (50 req/s × 0.5 s), filed under the instant
        // they went out: on a busy machine a send may go out in a later interval, and counts as late there.
        long lateLater = reports.tailMap(2L).values().stream()
                .mapToLong(IntervalReport::getLateSends)
                .sum();
        assertThat(reports.get(1L).getSent())
                .isBetween(25 - lateLater, 25 + reports.get(1L).getLateSends());
    }

    /**
     * A first-epoch assignment that arrives after the run's start (a slow link, a loaded machine): the slice was this
     * worker's from interval 0, so every intended request of it is sent, the overdue ones late, and counted.
     */
    @Test
    void aFirstAssignmentArrivingAfterTheStartSendsAndCountsTheOverdueRequests() throws Exception {
        FakeCoordinator coordinator = coordinator(0);
        agent(coordinator);
        coordinator.next(BodyCase.HELLO, 10);
        Assignment late = assignment("run-late", 1, 50, 2_000, whole()).toBuilder()
                .setStartCoordinatorUnixNanos(unixNanos() - 1_200_000_000L)
                .build();
        coordinator.send(CoordinatorMessage.newBuilder().setAssignment(late).build());
        Received received = new Received().untilFinished(coordinator, 20);
        TreeMap<Long, IntervalReport> reports = received.reports;

        long last = received.lastEvent().getFinished().getLastIntervalIndex();
        assertThat(reports.keySet())
                .containsExactlyElementsOf(
                        java.util.stream.LongStream.rangeClosed(0, last).boxed().toList());
        long intended =
                reports.values().stream().mapToLong(IntervalReport::getIntended).sum();
        long sent = reports.values().stream().mapToLong(IntervalReport::getSent).sum();
        long lateSends = reports.values().stream()
                .mapToLong(IntervalReport::getLateSends)
                .sum();
        assertThat(intended).isEqualTo(100);
        assertThat(sent).isEqualTo(100);
        // the 60 requests intended in the 1.2 s before the assignment arrived at least went out late
        assertThat(lateSends).isGreaterThanOrEqualTo(60);
    }

    /**
     * A worker joining a run under way (an assignment of a later epoch, a replacement after a loss) takes its slice
     * from the instant it joins: the past was other workers' to send, so it is neither sent nor counted here.
     */
    @Test
    void aJoiningWorkersAssignmentTakesItsSliceFromTheJoin() throws Exception {
        FakeCoordinator coordinator = coordinator(0);
        agent(coordinator);
        coordinator.next(BodyCase.HELLO, 10);
        Assignment join = assignment("run-join", 2, 50, 2_000, whole()).toBuilder()
                .setStartCoordinatorUnixNanos(unixNanos() - 1_200_000_000L)
                .build();
        coordinator.send(CoordinatorMessage.newBuilder().setAssignment(join).build());
        TreeMap<Long, IntervalReport> reports = new Received().untilFinished(coordinator, 20).reports;

        long intended =
                reports.values().stream().mapToLong(IntervalReport::getIntended).sum();
        long sent = reports.values().stream().mapToLong(IntervalReport::getSent).sum();
        // requests every 20 ms; the join came at least 1.2 s in, so at most the last 40 are this worker's
        assertThat(intended).isBetween(1L, 40L);
        assertThat(sent).isEqualTo(intended);
        assertThat(reports.firstKey())
                .as("no report before the join's interval")
                .isGreaterThanOrEqualTo(2L);
    }

    @Test
    void anAssignmentNamingBodiesSentBeforeInChunksRunsWithThem() throws Exception {
        FakeCoordinator coordinator = coordinator(0);
        agent(coordinator);
        coordinator.next(BodyCase.HELLO, 10);
        List<com.google.protobuf.ByteString> bodies = List.of(
                com.google.protobuf.ByteString.copyFromUtf8("{\"inputs\":[1]}"),
                com.google.protobuf.ByteString.copyFromUtf8("{\"inputs\":[2]}"));
        List<io.salvo.proto.v1.BodyChunk> chunks = BodySetsTest.chunks("run-bodies", bodies, 8);
        for (io.salvo.proto.v1.BodyChunk chunk : chunks) {
            coordinator.send(CoordinatorMessage.newBuilder().setBodyChunk(chunk).build());
        }
        // A second of lead, as a coordinator gives: an assignment arriving after its start would skip sends.
        Assignment named = assignment("run-bodies", 1, 50, 1_000, whole()).toBuilder()
                .setStartCoordinatorUnixNanos(unixNanos() + 1_000_000_000L)
                .setBodySetSha256(chunks.get(0).getBodySetSha256())
                .build();
        coordinator.send(CoordinatorMessage.newBuilder()
                .setAssignment(named.toBuilder()
                        .setPlan(named.getPlan().toBuilder()
                                .setRequest(
                                        named.getPlan().getRequest().toBuilder().setMethod("POST"))))
                .build());

        Received received = new Received().untilFinished(coordinator, 20);

        assertThat(received.lastEvent().getFinished().getTotalCompleted()).isEqualTo(50);
        assertThat(target.requestsReceived()).isEqualTo(50);
    }

    @Test
    void aNewerEpochReplacesTheSliceAndOlderOnesAreIgnored() throws Exception {
        FakeCoordinator coordinator = coordinator(0);
        agent(coordinator);
        coordinator.next(BodyCase.HELLO, 10);
        Assignment first = assignment("run-e", 2, 100, 2_000, whole());
        first = first.toBuilder()
                .setPlan(first.getPlan().toBuilder().setIntervalMillis(100))
                .build();
        long startNanos = System.nanoTime() + (first.getStartCoordinatorUnixNanos() - unixNanos());
        coordinator.send(CoordinatorMessage.newBuilder().setAssignment(first).build());
        Slice half = Slice.newBuilder()
                .setSegmentStart(0)
                .setSegmentEnd(1)
                .setTotalWeight(2)
                .build();
        Slice none = Slice.newBuilder()
                .setSegmentStart(0)
                .setSegmentEnd(1)
                .setTotalWeight(1000)
                .build();
        Received received = new Received();
        received.until(
                coordinator,
                "the reports of the run's first second",
                20,
                () -> received.reports.containsKey(9L)); // 100 ms intervals
        long sentAtNanos = System.nanoTime() - startNanos;
        Assignment newer = first.toBuilder().setEpoch(3).setSlice(half).build();
        // older epoch, after the newer one so that applying it would show: it would cut the rate to almost nothing
        Assignment older = first.toBuilder().setEpoch(1).setSlice(none).build();
        coordinator.send(CoordinatorMessage.newBuilder().setAssignment(newer).build());
        coordinator.send(CoordinatorMessage.newBuilder().setAssignment(older).build());
        // The worker reports under the epoch it has applied, and applies and reports on one thread.
        received.until(
                coordinator,
                "a report under the newer epoch",
                20,
                () -> received.reports.values().stream().anyMatch(r -> r.getEpoch() == 3));
        long appliedByNanos = System.nanoTime() - startNanos;
        TreeMap<Long, IntervalReport> reports = received.untilFinished(coordinator, 20).reports;
        long sent = reports.values().stream().mapToLong(IntervalReport::getSent).sum();
        // 100 requests/s until the switch, then every other one: 150 if it came at 1 s, and one more for every
        // 20 ms it came later. It came after the test sent it and before the worker first reported under it,
        // however long the messages took on a loaded machine; 2 more either way for rounding at both ends.
        assertThat(sent)
                .isBetween(
                        150 + fullRateSendsAfterOneSecond(sentAtNanos) - 2,
                        150 + fullRateSendsAfterOneSecond(appliedByNanos) + 2);
        assertThat(reports.lastEntry().getValue().getEpoch()).isEqualTo(3);
    }

    /**
     * Fenced leadership: once the worker has seen a term, an assignment or a stop of a lower term is refused (the
     * coordinator that sent it is told, with the highest term seen) and changes nothing; one of the same or a higher
     * term is obeyed.
     */
    @Test
    void assignmentsAndStopsOfALowerTermAreRefused() throws Exception {
        FakeCoordinator coordinator = coordinator(0);
        agent(coordinator);
        coordinator.next(BodyCase.HELLO, 10);
        LeaderTerm b2 = Terms.of(2, "member-b");
        LeaderTerm a1 = Terms.of(1, "member-a");
        Assignment first = assignment("run-t", 2, 100, 30_000, whole()).toBuilder()
                .setTerm(b2)
                .build();
        coordinator.send(CoordinatorMessage.newBuilder().setAssignment(first).build());
        // The deposed leader re-slices (a higher epoch) and then asks for a stop: both refused.
        coordinator.send(CoordinatorMessage.newBuilder()
                .setAssignment(first.toBuilder().setEpoch(9).setTerm(a1))
                .build());
        TermRefused refused = coordinator.next(BodyCase.TERM_REFUSED, 20).getTermRefused();
        assertThat(refused.getRunId()).isEqualTo("run-t");
        assertThat(refused.getRefused()).isEqualTo(a1);
        assertThat(refused.getHighest()).isEqualTo(b2);
        coordinator.send(CoordinatorMessage.newBuilder()
                .setStop(StopRun.newBuilder()
                        .setRunId("run-t")
                        .setReason("old leader")
                        .setTerm(a1))
                .build());
        assertThat(coordinator.next(BodyCase.TERM_REFUSED, 20).getTermRefused().getRefused())
                .isEqualTo(a1);
        // Reports still come under the epoch of the term it follows, and the run goes on.
        Received received = new Received();
        received.until(coordinator, "a report", 20, () -> !received.reports.isEmpty());
        assertThat(received.reports.values())
                .allSatisfy(r -> assertThat(r.getEpoch()).isEqualTo(2));
        assertThat(received.events).isEmpty();
        // The leader it follows stops it.
        coordinator.send(CoordinatorMessage.newBuilder()
                .setStop(
                        StopRun.newBuilder().setRunId("run-t").setReason("done").setTerm(b2))
                .build());
        received.untilFinished(coordinator, 20);
        assertThat(received.reports.values())
                .allSatisfy(r -> assertThat(r.getEpoch()).isEqualTo(2));
    }

    /** Requests a whole slice sends beyond a half slice between 1 s and {@code runNanos} (of a 2 s run at 100/s). */
    private static long fullRateSendsAfterOneSecond(long runNanos) {
        return Math.max(0, Math.min(1_000_000_000L, runNanos - 1_000_000_000L)) / 20_000_000L;
    }

    @Test
    void keepsRecordingThroughAnOutageAndDeliversBufferedReportsUnderTheirIndices() throws Exception {
        FakeCoordinator first = coordinator(0);
        int secondPort;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            secondPort = socket.getLocalPort();
        }
        WorkerAgent agent = agent(List.of(first.address(), new java.net.InetSocketAddress("127.0.0.1", secondPort)));
        first.next(BodyCase.HELLO, 10);
        first.send(CoordinatorMessage.newBuilder()
                .setAssignment(assignment("run-r", 1, 50, 3_000, whole()))
                .build());
        TreeMap<Long, IntervalReport> all = new TreeMap<>();
        IntervalReport r0 = first.next(BodyCase.INTERVAL_REPORT, 10).getIntervalReport();
        all.put(r0.getIntervalIndex(), r0);
        first.close(); // the coordinator dies during the run

        Await.until("two reports of the outage wait in the worker", () -> agent.bufferedReports() >= 2);
        FakeCoordinator second = coordinator(secondPort);
        Received received = new Received().untilFinished(second, 30);
        TreeMap<Long, IntervalReport> delivered = received.reports;
        for (var entry : delivered.entrySet()) {
            IntervalReport earlier = all.put(entry.getKey(), entry.getValue());
            // The report sent just before the coordinator died comes again, identical: the dead
            // coordinator may not have kept it, and the next one keeps only the first copy.
            assertThat(earlier)
                    .as("report %d delivered twice with different data", entry.getKey())
                    .isIn(null, entry.getValue());
        }
        assertThat(delivered)
                .as("the report the dead coordinator may have lost is re-delivered")
                .containsKey(r0.getIntervalIndex());
        long last = received.lastEvent().getFinished().getLastIntervalIndex();
        assertThat(all.keySet())
                .containsExactlyElementsOf(
                        java.util.stream.LongStream.rangeClosed(0, last).boxed().toList());
        assertThat(all.values().stream().mapToLong(IntervalReport::getSent).sum())
                .isEqualTo(150);
        assertThat(all.values().stream().mapToLong(IntervalReport::getCompleted).sum())
                .isEqualTo(150);
    }

    @Test
    void stopRunEndsTheRunWithAPartialIntervalAndFinished() throws Exception {
        FakeCoordinator coordinator = coordinator(0);
        agent(coordinator);
        coordinator.next(BodyCase.HELLO, 10);
        coordinator.send(CoordinatorMessage.newBuilder()
                .setAssignment(assignment("run-s", 1, 50, 60_000, whole()))
                .build());
        coordinator.next(BodyCase.INTERVAL_REPORT, 10);
        long stoppedAt = System.nanoTime();
        coordinator.send(CoordinatorMessage.newBuilder()
                .setStop(StopRun.newBuilder().setRunId("run-s").setReason("test"))
                .build());
        Received received = new Received().untilFinished(coordinator, 10);
        TreeMap<Long, IntervalReport> reports = received.reports;
        assertThat(System.nanoTime() - stoppedAt).isLessThan(5_000_000_000L);
        var finished = received.lastEvent().getFinished();
        assertThat(finished.getTotalSent()).isBetween(20L, 200L);
        assertThat(finished.getTotalCompleted()).isEqualTo(finished.getTotalSent());
        assertThat(reports.lastKey()).isEqualTo(finished.getLastIntervalIndex());
    }

    @Test
    void anIncompatibleCoordinatorEndsTheAgentWithItsMessage() throws Exception {
        FakeCoordinator coordinator = coordinator(0);
        coordinator.refuseWith = "coordinator speaks PROTOCOL_VERSION_2, worker PROTOCOL_VERSION_1";
        WorkerAgent agent = agent(coordinator);
        assertThatThrownBy(() -> agent.terminated().get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasMessageContaining("PROTOCOL_VERSION_2");
    }
}
