package io.salvo.coordinator.server;

import io.grpc.stub.StreamObserver;
import io.salvo.coordinator.clock.ClockOffsetEstimator;
import io.salvo.coordinator.cluster.WorkerLocation;
import io.salvo.coordinator.run.WorkerChannel;
import io.salvo.proto.v1.ClockProbe;
import io.salvo.proto.v1.ClockProbeReply;
import io.salvo.proto.v1.CoordinatorMessage;
import io.salvo.proto.v1.WorkerHello;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One connected worker: its hello, its clock estimate and the outbound half of its stream.
 *
 * <p>A session is <em>local</em> when this coordinator holds the worker's stream, <em>remote</em> when
 * another coordinator of the cluster does; a remote session's messages travel through the cluster
 * to the holder, and its clock estimate and silence are the holder's.
 *
 * <p>Outbound messages may be sent from the stream's thread, the run ticker and RunControl calls, so
 * sends are serialized here (a gRPC StreamObserver is not thread-safe).
 */
public final class WorkerSession implements WorkerChannel {

    /** A remote session whose holder has not said anything for this long is not judged silent by us. */
    static final long REMOTE_LIVENESS_STALE_NANOS = 2_500_000_000L;

    private final WorkerHello hello;
    private final StreamObserver<CoordinatorMessage> outbound;
    private final String connectionId;
    private final String holderMemberId;
    private final boolean local;
    private final ClockOffsetEstimator clock = new ClockOffsetEstimator();
    private final AtomicLong probeIds = new AtomicLong();
    private volatile long lastHeardUnixNanos;
    private volatile String runId;
    private volatile boolean closed;
    private volatile boolean published;
    // Remote sessions: the holder's clock estimate and when the holder last told us about the worker.
    private volatile long remoteClockOffsetNanos;
    private volatile long remoteClockRoundTripNanos;
    private volatile int remoteClockSamples;
    private volatile long livenessReceivedUnixNanos;

    private WorkerSession(
            WorkerHello hello,
            StreamObserver<CoordinatorMessage> outbound,
            String connectionId,
            String holderMemberId,
            boolean local,
            long connectedUnixNanos) {
        this.hello = hello;
        this.outbound = outbound;
        this.connectionId = connectionId;
        this.holderMemberId = holderMemberId;
        this.local = local;
        this.lastHeardUnixNanos = connectedUnixNanos;
        this.livenessReceivedUnixNanos = connectedUnixNanos;
    }

    WorkerSession(
            WorkerHello hello,
            StreamObserver<CoordinatorMessage> outbound,
            long connectedUnixNanos,
            String holderMemberId) {
        this(hello, outbound, UUID.randomUUID().toString(), holderMemberId, true, connectedUnixNanos);
    }

    /** A worker whose stream another coordinator holds; {@code relay} carries messages to that holder. */
    static WorkerSession remote(WorkerLocation location, StreamObserver<CoordinatorMessage> relay, long nowUnixNanos) {
        WorkerSession session = new WorkerSession(
                location.hello(), relay, location.connectionId(), location.holderMemberId(), false, nowUnixNanos);
        session.updateRemote(location);
        return session;
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
    public int weight() {
        return Math.max(1, hello.getWeight());
    }

    public boolean local() {
        return local;
    }

    public String connectionId() {
        return connectionId;
    }

    @Override
    public String holderMemberId() {
        return holderMemberId;
    }

    /** Sends a message; returns false when the stream is already gone. */
    @Override
    public boolean send(CoordinatorMessage message) {
        synchronized (outbound) {
            if (closed) {
                return false;
            }
            try {
                outbound.onNext(message);
                return true;
            } catch (RuntimeException e) {
                closed = true;
                return false;
            }
        }
    }

    @Override
    public void sendClockProbeNow(long nowUnixNanos) {
        send(CoordinatorMessage.newBuilder()
                .setClockProbe(ClockProbe.newBuilder()
                        .setProbeId(probeIds.incrementAndGet())
                        .setCoordinatorSentUnixNanos(nowUnixNanos))
                .build());
    }

    void onClockProbeReply(ClockProbeReply reply, long receivedUnixNanos) {
        synchronized (clock) {
            clock.addSample(
                    reply.getCoordinatorSentUnixNanos(),
                    reply.getWorkerReceivedUnixNanos(),
                    reply.getWorkerSentUnixNanos(),
                    receivedUnixNanos);
        }
    }

    @Override
    public long clockOffsetNanos() {
        if (!local) {
            return remoteClockOffsetNanos;
        }
        synchronized (clock) {
            return clock.offsetNanos();
        }
    }

    @Override
    public long clockRoundTripNanos() {
        if (!local) {
            return remoteClockRoundTripNanos;
        }
        synchronized (clock) {
            return clock.roundTripNanos();
        }
    }

    @Override
    public int clockSamples() {
        if (!local) {
            return remoteClockSamples;
        }
        synchronized (clock) {
            return clock.samples();
        }
    }

    void updateRemote(WorkerLocation location) {
        remoteClockOffsetNanos = location.clockOffsetNanos();
        remoteClockRoundTripNanos = location.clockRoundTripNanos();
        remoteClockSamples = location.clockSamples();
    }

    /** The holder says the worker has been silent for {@code silentForNanos}. */
    void heardRemotely(long silentForNanos, long nowUnixNanos) {
        lastHeardUnixNanos = nowUnixNanos - silentForNanos;
        livenessReceivedUnixNanos = nowUnixNanos;
    }

    void heard(long unixNanos) {
        lastHeardUnixNanos = unixNanos;
    }

    public long lastHeardUnixNanos() {
        return lastHeardUnixNanos;
    }

    /**
     * How long the worker has been silent. For a remote worker whose holder has gone quiet the
     * answer is 0: whether that coordinator died is the cluster membership's call, and its workers
     * then get time to reconnect rather than being declared lost.
     */
    @Override
    public long silentNanos(long nowUnixNanos) {
        if (!local && nowUnixNanos - livenessReceivedUnixNanos > REMOTE_LIVENESS_STALE_NANOS) {
            return 0;
        }
        return Math.max(0, nowUnixNanos - lastHeardUnixNanos);
    }

    /** The run this worker is assigned to, or null when idle. */
    @Override
    public String runId() {
        return runId;
    }

    @Override
    public void assignedTo(String runId) {
        this.runId = runId;
    }

    @Override
    public boolean closed() {
        return closed;
    }

    boolean published() {
        return published;
    }

    void markPublished() {
        published = true;
    }

    void close(Throwable error) {
        synchronized (outbound) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                if (error == null) {
                    outbound.onCompleted();
                } else {
                    outbound.onError(error);
                }
            } catch (RuntimeException ignored) {
                // The transport is already gone; nothing left to tell the worker.
            }
        }
    }

    void markClosed() {
        synchronized (outbound) {
            closed = true;
        }
    }

    WorkerLocation location() {
        return new WorkerLocation(
                holderMemberId, connectionId, hello, clockOffsetNanos(), clockRoundTripNanos(), clockSamples());
    }
}
