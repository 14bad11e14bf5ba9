package io.salvo.coordinator.server;

import io.salvo.coordinator.clock.ClockOffsetEstimator;
import io.salvo.proto.v1.ClockProbe;
import io.salvo.proto.v1.ClockProbeReply;
import io.salvo.proto.v1.CoordinatorMessage;
import io.salvo.proto.v1.WorkerHello;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One connected worker: its hello, its clock estimate and the outbound half of its stream.
 *
 * <p>Outbound messages may be sent from the stream's thread, the run ticker and RunControl calls, so
 * sends are serialized here (a gRPC StreamObserver is not thread-safe).
 */
public final class WorkerSession {

    private final WorkerHello hello;
    private final StreamObserver<CoordinatorMessage> outbound;
    private final ClockOffsetEstimator clock = new ClockOffsetEstimator();
    private final AtomicLong probeIds = new AtomicLong();
    private volatile long lastHeardUnixNanos;
    private volatile String runId;
    private volatile boolean closed;

    WorkerSession(WorkerHello hello, StreamObserver<CoordinatorMessage> outbound, long connectedUnixNanos) {
        this.hello = hello;
        this.outbound = outbound;
        this.lastHeardUnixNanos = connectedUnixNanos;
    }

    public String workerId() {
        return hello.getWorkerId();
    }

    public WorkerHello hello() {
        return hello;
    }

    public int weight() {
        return Math.max(1, hello.getWeight());
    }

    /** Sends a message; returns false when the stream is already gone. */
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

    public void sendClockProbeNow(long nowUnixNanos) {
        send(CoordinatorMessage.newBuilder().setClockProbe(ClockProbe.newBuilder()
                .setProbeId(probeIds.incrementAndGet())
                .setCoordinatorSentUnixNanos(nowUnixNanos)).build());
    }

    void onClockProbeReply(ClockProbeReply reply, long receivedUnixNanos) {
        synchronized (clock) {
            clock.addSample(reply.getCoordinatorSentUnixNanos(), reply.getWorkerReceivedUnixNanos(),
                    reply.getWorkerSentUnixNanos(), receivedUnixNanos);
        }
    }

    public long clockOffsetNanos() {
        synchronized (clock) {
            return clock.offsetNanos();
        }
    }

    public long clockRoundTripNanos() {
        synchronized (clock) {
            return clock.roundTripNanos();
        }
    }

    public int clockSamples() {
        synchronized (clock) {
            return clock.samples();
        }
    }

    void heard(long unixNanos) {
        lastHeardUnixNanos = unixNanos;
    }

    public long lastHeardUnixNanos() {
        return lastHeardUnixNanos;
    }

    /** The run this worker is assigned to, or null when idle. */
    public String runId() {
        return runId;
    }

    public void assignedTo(String runId) {
        this.runId = runId;
    }

    public boolean closed() {
        return closed;
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
}
