package io.salvo.coordinator.run;

import io.salvo.proto.v1.CoordinatorMessage;
import io.salvo.proto.v1.WorkerHello;

/**
 * What a run needs of a connected worker: who it is, its clock estimate, whether it still talks, and a
 * way to send it messages. The coordinator's gRPC sessions implement it, wherever in the cluster the
 * worker's stream is held; tests implement it without a network.
 */
public interface WorkerChannel {

    String workerId();

    WorkerHello hello();

    /** The worker's share of a run relative to the others' (at least 1). */
    default int weight() {
        return Math.max(1, hello().getWeight());
    }

    /** Sends a message; false when the stream is already gone. Safe from any thread. */
    boolean send(CoordinatorMessage message);

    /** The worker's clock minus the coordinator's, nanoseconds (best estimate so far). */
    long clockOffsetNanos();

    /** Round trip of the probe the offset estimate comes from, nanoseconds (half of it bounds the error). */
    long clockRoundTripNanos();

    /** Clock probe replies received so far. */
    int clockSamples();

    /** Asks the worker for one more clock sample now. */
    void sendClockProbeNow(long nowUnixNanos);

    /** How long the worker has said nothing, as of {@code nowUnixNanos} (0 when its holder cannot tell). */
    long silentNanos(long nowUnixNanos);

    /** Whether the stream has ended. */
    boolean closed();

    /** The run this worker is assigned to, or null when idle. */
    String runId();

    /** Marks the worker as assigned to a run (or idle, with null). */
    void assignedTo(String runId);

    /** The coordinator cluster member holding the worker's stream. */
    String holderMemberId();
}
