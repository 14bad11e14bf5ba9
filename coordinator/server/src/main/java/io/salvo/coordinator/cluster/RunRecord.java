package io.salvo.coordinator.cluster;

import io.salvo.proto.v1.CoordinatorTakeover;
import io.salvo.proto.v1.LeaderTerm;
import io.salvo.proto.v1.Reslice;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.RunState;
import io.salvo.proto.v1.Slice;
import io.salvo.proto.v1.WorkerHello;
import java.util.List;

/**
 * A run as the leader persists it in {@code salvo.runs} before acting on any change (start,
 * re-slice, join, loss, finish, stop, end), so that another coordinator can carry the run on with
 * the same id, start instant and epochs. Per-worker counts are not here: they are rebuilt from
 * the replicated interval reports, which are the single source of measured data.
 */
public record RunRecord(
        String runId,
        RunPlan plan,
        long seed,
        long startUnixNanos,
        long graceNanos,
        long heartbeatTimeoutNanos,
        long epoch,
        RunState state,
        long endUnixNanos,
        long stopRequestedUnixNanos,
        String leaderCoordinatorId,
        List<String> notes,
        List<Reslice> reslices,
        List<CoordinatorTakeover> takeovers,
        List<WorkerRecord> workers,
        LeaderTerm term) {

    /** A record without a leadership term (written before terms, or by tests that do not need one). */
    public RunRecord(
            String runId,
            RunPlan plan,
            long seed,
            long startUnixNanos,
            long graceNanos,
            long heartbeatTimeoutNanos,
            long epoch,
            RunState state,
            long endUnixNanos,
            long stopRequestedUnixNanos,
            String leaderCoordinatorId,
            List<String> notes,
            List<Reslice> reslices,
            List<CoordinatorTakeover> takeovers,
            List<WorkerRecord> workers) {
        this(
                runId,
                plan,
                seed,
                startUnixNanos,
                graceNanos,
                heartbeatTimeoutNanos,
                epoch,
                state,
                endUnixNanos,
                stopRequestedUnixNanos,
                leaderCoordinatorId,
                notes,
                reslices,
                takeovers,
                workers,
                LeaderTerm.getDefaultInstance());
    }

    public RunRecord {
        term = term == null ? LeaderTerm.getDefaultInstance() : term;
        notes = List.copyOf(notes);
        reslices = List.copyOf(reslices);
        takeovers = List.copyOf(takeovers);
        workers = List.copyOf(workers);
    }

    /** One worker of the run: who it is, its current slice and clock estimate, how it ended. */
    public record WorkerRecord(
            String workerId,
            WorkerHello hello,
            Slice slice,
            long clockOffsetNanos,
            long clockRoundTripNanos,
            boolean finished,
            boolean lost) {}

    public boolean terminal() {
        return state == RunState.RUN_STATE_COMPLETED
                || state == RunState.RUN_STATE_STOPPED
                || state == RunState.RUN_STATE_FAILED;
    }

    public boolean hasWorker(String workerId) {
        return workers.stream().anyMatch(w -> w.workerId().equals(workerId));
    }

    /** The largest interval index a report may carry: the load, the drain, and a few for stragglers. */
    public long maxIntervalIndex() {
        return maxIntervalIndex(plan);
    }

    public static long maxIntervalIndex(RunPlan plan) {
        long intervalNanos = plan.getIntervalMillis() * 1_000_000L;
        long loadNanos = plan.getPhasesList().stream()
                        .mapToLong(p -> p.getDurationMillis())
                        .sum()
                * 1_000_000L;
        long drainNanos = plan.getRequestTimeoutMillis() * 1_000_000L;
        // Workers report one interval beyond the drain to close the run; allow a few more for stragglers.
        return (loadNanos + drainNanos) / intervalNanos + 5;
    }

    public byte[] encode() {
        StateCodec.Writer w = new StateCodec.Writer()
                .writeString(runId)
                .writeMessage(plan)
                .writeLong(seed)
                .writeLong(startUnixNanos)
                .writeLong(graceNanos)
                .writeLong(heartbeatTimeoutNanos)
                .writeLong(epoch)
                .writeInt(state.getNumber())
                .writeLong(endUnixNanos)
                .writeLong(stopRequestedUnixNanos)
                .writeString(leaderCoordinatorId)
                .writeStrings(notes)
                .writeMessages(reslices)
                .writeMessages(takeovers)
                .writeInt(workers.size());
        for (WorkerRecord worker : workers) {
            w.writeString(worker.workerId())
                    .writeMessage(worker.hello())
                    .writeMessage(worker.slice())
                    .writeLong(worker.clockOffsetNanos())
                    .writeLong(worker.clockRoundTripNanos())
                    .writeBoolean(worker.finished())
                    .writeBoolean(worker.lost());
        }
        // The leader's term, appended only when there is one: a record without a term encodes exactly as before
        // (the format-1 golden), and a coordinator that predates terms reads a record with one, ignoring the tail.
        if (term.getCounter() > 0) {
            w.writeMessage(term);
        }
        return w.toByteArray();
    }

    public static RunRecord decode(byte[] bytes) {
        StateCodec.Reader r = new StateCodec.Reader(bytes);
        String runId = r.readString();
        RunPlan plan = r.readMessage(RunPlan.parser());
        long seed = r.readLong();
        long start = r.readLong();
        long grace = r.readLong();
        long heartbeatTimeout = r.readLong();
        long epoch = r.readLong();
        RunState state = RunState.forNumber(r.readInt());
        long end = r.readLong();
        long stopRequested = r.readLong();
        String leader = r.readString();
        List<String> notes = r.readStrings();
        List<Reslice> reslices = r.readMessages(Reslice.parser());
        List<CoordinatorTakeover> takeovers = r.readMessages(CoordinatorTakeover.parser());
        int n = r.readCount();
        List<WorkerRecord> workers = new java.util.ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            workers.add(new WorkerRecord(
                    r.readString(),
                    r.readMessage(WorkerHello.parser()),
                    r.readMessage(Slice.parser()),
                    r.readLong(),
                    r.readLong(),
                    r.readBoolean(),
                    r.readBoolean()));
        }
        LeaderTerm term = r.hasMore() ? r.readMessage(LeaderTerm.parser()) : LeaderTerm.getDefaultInstance();
        return new RunRecord(
                runId,
                plan,
                seed,
                start,
                grace,
                heartbeatTimeout,
                epoch,
                state == null ? RunState.RUN_STATE_UNSPECIFIED : state,
                end,
                stopRequested,
                leader,
                notes,
                reslices,
                takeovers,
                workers,
                term);
    }
}
