package io.salvo.coordinator.run;

import io.salvo.coordinator.cluster.RunRecord.WorkerRecord;
import io.salvo.proto.v1.CoordinatorMessage;
import io.salvo.proto.v1.LeaderTerm;
import io.salvo.proto.v1.Slice;
import io.salvo.proto.v1.StopRun;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The workers assigned to one run, in the order they were assigned, and the rules for what happens to
 * them: a worker attaches a new stream, an outsider is offered a place, a worker is lost or finishes,
 * silence is judged. It decides and records; the {@link Run} acts on the consequences (merging, re-slicing,
 * persisting).
 *
 * <p>Assumptions and guarantees: changes are made by the run, one at a time (under its lock); lookups
 * ({@link #get}, {@link #all}) and the silence scan need no lock, since every report looks its worker up.
 */
final class Roster {

    /** A worker judged lost, and why. */
    record Loss(AssignedWorker worker, String how) {}

    /** What {@link #attach} did. */
    enum Attached {
        /** The stream now carries the worker's messages: send it its assignment. */
        ATTACHED,
        /** Not this run's worker, already finished, lost or on that stream, or the run is over: nothing to do. */
        IGNORED,
        /** Declared lost while away and told to stop: its share was given to the others. */
        STOPPED
    }

    private final String runId;
    /** The largest interval index the run's reports may carry. */
    private final long maxIntervalIndex;

    private volatile LeaderTerm term = LeaderTerm.getDefaultInstance();
    private final Map<String, AssignedWorker> byId = new ConcurrentHashMap<>();
    private volatile AssignedWorker[] inOrder = new AssignedWorker[0];

    Roster(String runId, long maxIntervalIndex) {
        this.runId = runId;
        this.maxIntervalIndex = maxIntervalIndex;
    }

    void add(AssignedWorker worker) {
        byId.put(worker.workerId, worker);
        AssignedWorker[] grown = java.util.Arrays.copyOf(inOrder, inOrder.length + 1);
        grown[grown.length - 1] = worker;
        inOrder = grown;
    }

    AssignedWorker get(String workerId) {
        return byId.get(workerId);
    }

    boolean contains(String workerId) {
        return byId.containsKey(workerId);
    }

    /** Every assigned worker, in the order they were assigned. */
    List<AssignedWorker> all() {
        return List.of(inOrder);
    }

    /** The workers carrying load (neither finished nor lost), in the order they were assigned. */
    List<AssignedWorker> live() {
        List<AssignedWorker> live = new ArrayList<>();
        for (AssignedWorker w : inOrder) {
            if (w.live()) {
                live.add(w);
            }
        }
        return live;
    }

    /** Whether a live worker has no stream yet: it is reconnecting after its coordinator left. */
    boolean awaitingReconnect() {
        for (AssignedWorker w : inOrder) {
            if (w.live() && w.channel == null) {
                return true;
            }
        }
        return false;
    }

    /**
     * A stream of a worker of this run: takes the worker back when it is still part of the run. A worker
     * declared lost while it was away is told to stop instead: its share went to the others, and two would
     * send it.
     */
    Attached attach(WorkerChannel channel, boolean runOver) {
        AssignedWorker w = byId.get(channel.workerId());
        if (w != null && w.lost && !runOver && w.channel != channel) {
            channel.send(stop("declared lost while disconnected; its share of the rate was re-sliced"));
            return Attached.STOPPED;
        }
        if (w == null || !w.live() || w.channel == channel || runOver) {
            return Attached.IGNORED;
        }
        w.channel = channel;
        channel.assignedTo(runId);
        return Attached.ATTACHED;
    }

    /**
     * Takes an outside worker in, without a slice yet, when fewer than {@code maxLive} workers carry the
     * load; null when it is already part of the run or the run is full.
     */
    AssignedWorker offer(WorkerChannel channel, int maxLive) {
        if (byId.containsKey(channel.workerId()) || live().size() >= maxLive) {
            return null;
        }
        AssignedWorker w = AssignedWorker.of(channel, Slice.getDefaultInstance(), maxIntervalIndex);
        add(w);
        channel.assignedTo(runId);
        return w;
    }

    /**
     * Marks the worker lost; a worker still connected is told to stop, or it would send its old slice on top
     * of the new ones. False when it had finished or was lost already.
     */
    boolean lose(AssignedWorker w, String how) {
        if (!w.live()) {
            return false;
        }
        w.lost = true;
        WorkerChannel channel = w.channel;
        if (channel != null) {
            channel.assignedTo(null);
            if (!channel.closed()) {
                channel.send(stop("declared lost: " + how));
            }
        }
        return true;
    }

    /** Marks the worker finished; null when it is not part of the run or finished already. */
    AssignedWorker finish(String workerId) {
        AssignedWorker w = byId.get(workerId);
        if (w == null || w.finished) {
            return null;
        }
        w.finished = true;
        WorkerChannel channel = w.channel;
        if (channel != null) {
            channel.assignedTo(null);
        }
        return w;
    }

    /**
     * The coordinator holding this stream left: the worker keeps its slice and has until
     * {@code reconnectDeadlineUnixNanos} to come back. Null when the stream is not the worker's current one.
     */
    AssignedWorker holderLeft(WorkerChannel channel, long reconnectDeadlineUnixNanos) {
        AssignedWorker w = byId.get(channel.workerId());
        if (w == null || w.channel != channel || !w.live()) {
            return null;
        }
        w.channel = null;
        w.reconnectDeadlineUnixNanos = reconnectDeadlineUnixNanos;
        return w;
    }

    /**
     * The live workers that count as lost at {@code nowUnixNanos}: silent on their stream for longer than
     * {@code heartbeatTimeoutNanos}, or not back within the reconnect window after their coordinator left.
     */
    List<Loss> silent(long nowUnixNanos, long heartbeatTimeoutNanos, long reconnectWindowNanos) {
        List<Loss> losses = new ArrayList<>(0);
        for (AssignedWorker w : inOrder) {
            if (!w.live()) {
                continue;
            }
            WorkerChannel channel = w.channel;
            if (channel == null) {
                if (nowUnixNanos > w.reconnectDeadlineUnixNanos) {
                    losses.add(new Loss(
                            w,
                            "did not reconnect within " + reconnectWindowNanos / 1_000_000
                                    + " ms after its coordinator left"));
                }
            } else {
                long silentNanos = channel.silentNanos(nowUnixNanos);
                if (silentNanos > heartbeatTimeoutNanos) {
                    losses.add(new Loss(w, "silent for " + silentNanos / 1_000_000 + " ms"));
                }
            }
        }
        return losses;
    }

    /** Sends {@code message} to every live worker that has a stream. */
    void sendToLive(CoordinatorMessage message) {
        for (AssignedWorker w : inOrder) {
            WorkerChannel channel = w.channel;
            if (w.live() && channel != null) {
                channel.send(message);
            }
        }
    }

    /** The run is over: every stream still marked as this run's becomes idle. */
    void releaseAll() {
        for (AssignedWorker w : inOrder) {
            WorkerChannel channel = w.channel;
            if (channel != null && runId.equals(channel.runId())) {
                channel.assignedTo(null);
            }
        }
    }

    /** The workers as the run's record keeps them. */
    List<WorkerRecord> records() {
        List<WorkerRecord> records = new ArrayList<>(inOrder.length);
        for (AssignedWorker w : inOrder) {
            records.add(new WorkerRecord(
                    w.workerId, w.hello, w.slice, w.clockOffsetNanos, w.clockRoundTripNanos, w.finished, w.lost));
        }
        return records;
    }

    CoordinatorMessage stop(String reason) {
        return CoordinatorMessage.newBuilder()
                .setStop(StopRun.newBuilder().setRunId(runId).setReason(reason).setTerm(term))
                .build();
    }

    /** The leadership term stops carry from now on. */
    void term(LeaderTerm leaderTerm) {
        this.term = leaderTerm;
    }
}
