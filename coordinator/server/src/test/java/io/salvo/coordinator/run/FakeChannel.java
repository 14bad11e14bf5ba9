package io.salvo.coordinator.run;

import io.salvo.proto.v1.Assignment;
import io.salvo.proto.v1.CoordinatorMessage;
import io.salvo.proto.v1.StopRun;
import io.salvo.proto.v1.WorkerHello;
import io.salvo.testkit.FakeClock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A worker's stream without a network: it keeps what the coordinator sends, and is heard from only when the
 * test says so, in the time of a {@link FakeClock}.
 */
final class FakeChannel implements WorkerChannel {

    private final WorkerHello hello;
    private final FakeClock clock;
    final List<CoordinatorMessage> sent = new CopyOnWriteArrayList<>();
    private volatile long lastHeardUnixNanos;
    private volatile boolean closed;
    private volatile String runId;

    FakeChannel(String workerId, FakeClock clock) {
        this(workerId, "test", clock);
    }

    FakeChannel(String workerId, String region, FakeClock clock) {
        this.hello = WorkerHello.newBuilder()
                .setWorkerId(workerId)
                .setRegion(region)
                .setCores(2)
                .setWeight(1)
                .build();
        this.clock = clock;
        this.lastHeardUnixNanos = clock.unixNanos();
    }

    /** The worker says something (a heartbeat, a report) now. */
    void heard() {
        lastHeardUnixNanos = clock.unixNanos();
    }

    void close() {
        closed = true;
    }

    List<Assignment> assignments() {
        return sent.stream()
                .filter(CoordinatorMessage::hasAssignment)
                .map(CoordinatorMessage::getAssignment)
                .toList();
    }

    List<StopRun> stops() {
        return sent.stream()
                .filter(CoordinatorMessage::hasStop)
                .map(CoordinatorMessage::getStop)
                .toList();
    }

    @Override
    public String workerId() {
        return hello.getWorkerId();
    }

    @Override
    public WorkerHello hello() {
        return hello;
    }

    @Override
    public boolean send(CoordinatorMessage message) {
        if (closed) {
            return false;
        }
        sent.add(message);
        return true;
    }

    @Override
    public long clockOffsetNanos() {
        return 0;
    }

    @Override
    public long clockRoundTripNanos() {
        return 100_000;
    }

    @Override
    public int clockSamples() {
        return 5;
    }

    @Override
    public void sendClockProbeNow(long nowUnixNanos) {}

    @Override
    public long silentNanos(long nowUnixNanos) {
        return Math.max(0, nowUnixNanos - lastHeardUnixNanos);
    }

    @Override
    public boolean closed() {
        return closed;
    }

    @Override
    public String runId() {
        return runId;
    }

    @Override
    public void assignedTo(String id) {
        runId = id;
    }

    @Override
    public String holderMemberId() {
        return "member-a";
    }
}
