package io.salvo.worker.link;

import io.grpc.stub.StreamObserver;
import io.salvo.proto.v1.ClockProbe;
import io.salvo.proto.v1.ClockProbeReply;
import io.salvo.proto.v1.WorkerMessage;
import java.time.Instant;

/**
 * Everything the worker writes to the coordinator, on the current stream attempt: hellos and clock-probe replies at
 * once, heartbeats only once a coordinator has welcomed the worker, and reports and events then too, or else into the
 * {@link OutageBuffer} until the next Welcome.
 *
 * <p>Assumptions and guarantees:
 * <ul>
 *   <li>Thread-safe: one lock serialises every write, because a gRPC {@link StreamObserver} is not thread-safe, and
 *       guards the current stream, its welcome and the outage buffer.</li>
 *   <li>The agent opens, loses and welcomes streams on its link thread only; a stream that is no longer the current
 *       one gets no heartbeat, report or event (a clock-probe reply still goes back on the stream that asked).</li>
 *   <li>No allocation per report beyond what the outage buffer keeps for resending.</li>
 * </ul>
 */
final class LinkOutbound {

    private final Object lock = new Object();
    private final OutageBuffer outage;
    // Written under lock; volatile so that heartbeats can see which stream is current without it.
    private volatile StreamObserver<WorkerMessage> current;
    // Guarded by lock.
    private boolean welcomed;
    /** When a report or event last went out (nanoTime); heartbeats are skipped while these flow. */
    private volatile long lastSentNanos = Long.MIN_VALUE / 2;

    LinkOutbound(OutageBuffer outage) {
        this.outage = outage;
    }

    /** Makes {@code stream} the current, not yet welcomed, stream and writes its first message. */
    void open(StreamObserver<WorkerMessage> stream, WorkerMessage hello) {
        synchronized (lock) {
            current = stream;
            welcomed = false;
            stream.onNext(hello);
        }
    }

    /** The current stream broke: reports and events wait from now on. */
    void lost() {
        synchronized (lock) {
            welcomed = false;
        }
    }

    /**
     * A coordinator welcomed the worker on the current stream: what it may have lost and what waited during the
     * outage go out first, oldest first, before anything newer.
     */
    void welcomed() {
        synchronized (lock) {
            StreamObserver<WorkerMessage> stream = current;
            welcomed = true;
            outage.redeliver(stream::onNext, System.nanoTime());
        }
    }

    /** Sends a report or event now, or keeps it until a coordinator welcomes the worker. */
    void send(WorkerMessage message) {
        synchronized (lock) {
            StreamObserver<WorkerMessage> stream = current;
            if (stream != null && welcomed) {
                stream.onNext(message);
                long now = System.nanoTime();
                lastSentNanos = now;
                outage.sent(message, now);
                return;
            }
            outage.hold(message);
        }
    }

    /** The current stream, or null before the first attempt. */
    StreamObserver<WorkerMessage> current() {
        return current;
    }

    /** Sends {@code message} if {@code target} is still the current stream and a coordinator welcomed it. */
    void sendIfWelcomed(StreamObserver<WorkerMessage> target, WorkerMessage message) {
        synchronized (lock) {
            if (welcomed && target == current) {
                target.onNext(message);
            }
        }
    }

    /** Whether no report or event went out for {@code nanos}. */
    boolean quietFor(long nanos) {
        return System.nanoTime() - lastSentNanos >= nanos;
    }

    /**
     * Answers a clock probe on the stream it came on, on the calling (gRPC) thread: t1 when the probe is seen, t2
     * just before the reply is written, so that waiting for the lock is not taken for network delay.
     */
    void answerProbe(StreamObserver<WorkerMessage> from, ClockProbe probe) {
        long receivedAt = unixNanos();
        synchronized (lock) {
            from.onNext(WorkerMessage.newBuilder()
                    .setClockProbeReply(ClockProbeReply.newBuilder()
                            .setProbeId(probe.getProbeId())
                            .setCoordinatorSentUnixNanos(probe.getCoordinatorSentUnixNanos())
                            .setWorkerReceivedUnixNanos(receivedAt)
                            .setWorkerSentUnixNanos(unixNanos()))
                    .build());
        }
    }

    /** Ends the current stream, if any, on shutdown. */
    void complete() {
        synchronized (lock) {
            StreamObserver<WorkerMessage> stream = current;
            if (stream != null) {
                try {
                    stream.onCompleted();
                } catch (RuntimeException ignored) {
                    // the stream may already be failed
                }
            }
        }
    }

    /** Interval reports recorded during a coordinator outage and waiting for the next Welcome. */
    int heldReports() {
        synchronized (lock) {
            return outage.heldReports();
        }
    }

    /** Reports dropped because the outage buffer was full. */
    long droppedReports() {
        synchronized (lock) {
            return outage.droppedReports();
        }
    }

    /** The wall clock every timestamp the worker sends, and an assignment's start, are on. */
    static long unixNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
