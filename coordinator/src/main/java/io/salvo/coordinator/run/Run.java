package io.salvo.coordinator.run;

import io.salvo.coordinator.merge.IntervalMerger;
import io.salvo.coordinator.merge.IntervalMerger.RejectedReportException;
import io.salvo.coordinator.clock.WallClock;
import io.salvo.coordinator.server.WorkerSession;
import io.salvo.coordinator.slicing.SlicePlanner;
import io.salvo.proto.v1.Assignment;
import io.salvo.proto.v1.Reslice;
import io.salvo.proto.v1.ReportRejected;
import io.salvo.worker.schedule.RateProfile;
import io.salvo.detect.DetectionEvent;
import io.salvo.detect.LiveDetectors;
import io.salvo.report.DetectorReport;
import io.salvo.proto.v1.CoordinatorMessage;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.RunState;
import io.salvo.proto.v1.Slice;
import io.salvo.proto.v1.StopRun;
import io.salvo.proto.v1.WorkerFinished;
import io.salvo.proto.v1.WorkerSummary;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One run on this coordinator: its plan, its workers, the merger and the watchers of its live view.
 * Driven by {@link RunManager}'s ticker and by worker stream callbacks; thread-safe.
 */
public final class Run {

    private static final Logger LOG = Logger.getLogger(Run.class.getName());

    private final String id;
    private final RunPlan plan;
    private final long startUnixNanos;
    private final long deadlineUnixNanos;
    private final long heartbeatTimeoutNanos;
    private final IntervalMerger merger;
    /** Fed each interval as it is shown; the final report re-runs them over all data, late reports included. */
    private final LiveDetectors detectors;
    private final Map<String, Assigned> workers = new LinkedHashMap<>();
    private final List<LiveSnapshot> history = new CopyOnWriteArrayList<>();
    private final List<StreamObserver<LiveSnapshot>> watchers = new CopyOnWriteArrayList<>();
    private final List<String> notes = new CopyOnWriteArrayList<>();
    private final List<Reslice> reslices = new CopyOnWriteArrayList<>();
    private final RateProfile profile;
    private final long seed;
    private final WallClock clock;
    private long epoch = 1;
    private volatile RunState state = RunState.RUN_STATE_RUNNING;
    private volatile long endUnixNanos;
    private volatile long stopRequestedUnixNanos;

    Run(String id, RunPlan plan, long startUnixNanos, long graceNanos, long heartbeatTimeoutNanos, long seed,
            WallClock clock) {
        this.id = id;
        this.plan = plan;
        this.seed = seed;
        this.clock = clock;
        this.profile = RateProfile.of(plan.getPhasesList());
        this.startUnixNanos = startUnixNanos;
        this.heartbeatTimeoutNanos = heartbeatTimeoutNanos;
        long intervalNanos = plan.getIntervalMillis() * 1_000_000L;
        long loadNanos = plan.getPhasesList().stream().mapToLong(p -> p.getDurationMillis()).sum() * 1_000_000L;
        long drainNanos = plan.getRequestTimeoutMillis() * 1_000_000L;
        // Workers report one interval beyond the drain to close the run; allow a few more for stragglers.
        long maxIndex = (loadNanos + drainNanos) / intervalNanos + 5;
        this.merger = new IntervalMerger(startUnixNanos, intervalNanos, graceNanos, maxIndex);
        this.detectors = new LiveDetectors(DetectorReport.settingsFor(plan), null);
        this.deadlineUnixNanos = startUnixNanos + loadNanos + drainNanos + 30_000_000_000L;
    }

    public String id() {
        return id;
    }

    public RunPlan plan() {
        return plan;
    }

    public RunState state() {
        return state;
    }

    public long startUnixNanos() {
        return startUnixNanos;
    }

    public boolean terminal() {
        return state == RunState.RUN_STATE_COMPLETED || state == RunState.RUN_STATE_STOPPED
                || state == RunState.RUN_STATE_FAILED;
    }

    synchronized void assign(WorkerSession session, Slice slice) {
        workers.put(session.workerId(), new Assigned(session, slice));
        merger.addWorker(session.workerId());
        session.assignedTo(id);
    }

    synchronized long epoch() {
        return epoch;
    }

    /**
     * A worker connected while this run is under way: if the run has fewer live workers than its
     * plan asks for and load is still to come, it joins at the next epoch.
     */
    public synchronized boolean offer(WorkerSession session) {
        long now = clock.unixNanos();
        if (state != RunState.RUN_STATE_RUNNING || workers.containsKey(session.workerId())
                || now > loadEndUnixNanos() - plan.getIntervalMillis() * 1_000_000L) {
            return false;
        }
        long live = workers.values().stream().filter(a -> !a.lost && !a.finished).count();
        if (live >= plan.getWorkerCount()) {
            return false;
        }
        workers.put(session.workerId(), new Assigned(session, Slice.getDefaultInstance()));
        merger.addWorker(session.workerId());
        session.assignedTo(id);
        reslice("joined", session.workerId(), 0, now);
        return true;
    }

    private long loadEndUnixNanos() {
        return startUnixNanos + profile.durationNanos();
    }

    /**
     * Divides the whole rate among the live workers under a new epoch. Workers apply a new slice the
     * moment it arrives, continuing the same global schedule, so the run keeps its target rate.
     */
    private synchronized void reslice(String cause, String workerId, double uncovered, long now) {
        List<Assigned> live = new ArrayList<>();
        for (Assigned a : workers.values()) {
            if (!a.lost && !a.finished) {
                live.add(a);
            }
        }
        Reslice.Builder record = Reslice.newBuilder().setAtUnixNanos(now).setCause(cause).setWorkerId(workerId)
                .setUncoveredIntendedRequests(uncovered);
        if (live.isEmpty()) {
            notes.add("no worker left to carry the load after worker " + workerId + " was " + cause);
            reslices.add(record.setEpoch(epoch).build());
            return;
        }
        epoch++;
        live.sort(java.util.Comparator.comparing(a -> a.session.workerId()));
        List<SlicePlanner.Participant> participants = live.stream()
                .map(a -> new SlicePlanner.Participant(a.session.workerId(), a.session.weight())).toList();
        Map<String, Slice> slices = SlicePlanner.plan(participants, seed + epoch);
        for (Assigned a : live) {
            a.slice = slices.get(a.session.workerId());
            a.session.send(CoordinatorMessage.newBuilder().setAssignment(Assignment.newBuilder()
                    .setRunId(id)
                    .setEpoch(epoch)
                    .setPlan(plan)
                    .setSlice(a.slice)
                    .setStartCoordinatorUnixNanos(startUnixNanos)
                    .setWorkerClockOffsetNanos(a.session.clockOffsetNanos())).build());
            record.addWorkerIds(a.session.workerId());
        }
        reslices.add(record.setEpoch(epoch).build());
        long currentEpoch = epoch;
        LOG.warning(() -> "run " + id + ": worker " + workerId + " " + cause + "; rate re-sliced over "
                + live.size() + " workers (epoch " + currentEpoch + ")");
    }

    /** Merges a report; a rejected one is counted and logged, never fatal. */
    public void onReport(WorkerSession from, IntervalReport received) {
        IntervalReport report = received;
        if (!from.workerId().equals(received.getWorkerId())) {
            LOG.warning(() -> "worker " + from.workerId() + " sent a report as '" + received.getWorkerId() + "'; rejected");
            // Merging under another worker's name would corrupt that worker's intervals.
            report = received.toBuilder().setWorkerId(from.workerId() + "/impersonating").build();
        }
        try {
            merger.accept(report);
            Assigned a = assigned(from.workerId());
            if (a != null) {
                synchronized (a) {
                    a.sent += report.getSent();
                    a.completed += report.getCompleted();
                    a.sentByInterval.merge(report.getIntervalIndex(), report.getSent(), Long::sum);
                }
            }
        } catch (RejectedReportException e) {
            IntervalReport rejected = report;
            LOG.warning(() -> "run " + id + ": rejected report from worker " + from.workerId() + " for interval "
                    + rejected.getIntervalIndex() + ": " + e.getMessage());
            from.send(CoordinatorMessage.newBuilder().setReportRejected(ReportRejected.newBuilder()
                    .setRunId(id).setIntervalIndex(rejected.getIntervalIndex()).setReason(e.getMessage())).build());
        }
    }

    public void onFinished(WorkerSession from, WorkerFinished finished) {
        Assigned a = assigned(from.workerId());
        if (a == null) {
            return;
        }
        a.finished = true;
        merger.workerFinished(from.workerId(), finished.getLastIntervalIndex());
        from.assignedTo(null);
    }

    public void onFailed(WorkerSession from, String reason) {
        notes.add("worker " + from.workerId() + " failed: " + reason);
        onLost(from);
    }

    /** The worker's stream broke or it went silent: what it reported stays, nothing more is awaited. */
    public void onLost(WorkerSession from) {
        onLost(from, "stream closed");
    }

    private synchronized void onLost(WorkerSession from, String how) {
        Assigned a = workers.get(from.workerId());
        if (a == null || a.finished || a.lost) {
            return;
        }
        a.lost = true;
        long now = clock.unixNanos();
        notes.add("worker " + from.workerId() + " was lost (" + how + ")");
        merger.workerLost(from.workerId());
        from.assignedTo(null);
        if (!from.closed()) {
            // Silent but connected: make sure it stops, or it would send its old slice on top of the new ones.
            from.send(CoordinatorMessage.newBuilder().setStop(StopRun.newBuilder().setRunId(id)
                    .setReason("declared lost: " + how)).build());
        }
        if (state == RunState.RUN_STATE_RUNNING && stopRequestedUnixNanos == 0 && now < loadEndUnixNanos()) {
            long intervalNanos = plan.getIntervalMillis() * 1_000_000L;
            long coveredUntil = (merger.highestReportedBy(from.workerId()) + 1) * intervalNanos;
            long fromNanos = Math.max(0, Math.min(coveredUntil, profile.durationNanos()));
            long toNanos = Math.max(fromNanos, Math.min(now - startUnixNanos, profile.durationNanos()));
            double uncovered = SlicePlanner.share(a.slice) * profile.expectedCount(fromNanos, toNanos);
            reslice("lost", from.workerId(), uncovered, now);
        }
    }

    private synchronized Assigned assigned(String workerId) {
        return workers.get(workerId);
    }

    /** Shows completed intervals, detects silent workers and finishes the run; called by the ticker. */
    void tick(long nowUnixNanos) {
        if (terminal()) {
            return;
        }
        for (Assigned a : assignedWorkers()) {
            if (!a.finished && !a.lost && nowUnixNanos - a.session.lastHeardUnixNanos() > heartbeatTimeoutNanos) {
                long silentMillis = (nowUnixNanos - a.session.lastHeardUnixNanos()) / 1_000_000;
                LOG.warning(() -> "run " + id + ": worker " + a.session.workerId() + " silent for " + silentMillis
                        + " ms; treating it as lost");
                onLost(a.session, "silent for " + silentMillis + " ms");
            }
        }
        showCompleted(nowUnixNanos);
        if (merger.complete()) {
            finish(stopRequestedUnixNanos != 0 ? RunState.RUN_STATE_STOPPED : RunState.RUN_STATE_COMPLETED,
                    nowUnixNanos, String.join("; ", notes));
        } else if (nowUnixNanos > deadlineUnixNanos) {
            for (Assigned a : assignedWorkers()) {
                if (!a.finished) {
                    onLost(a.session);
                }
            }
            showCompleted(Long.MAX_VALUE);
            notes.add("workers did not finish before the run's deadline");
            finish(RunState.RUN_STATE_COMPLETED, nowUnixNanos, String.join("; ", notes));
        } else if (stopRequestedUnixNanos != 0 && nowUnixNanos - stopRequestedUnixNanos > 10_000_000_000L) {
            for (Assigned a : assignedWorkers()) {
                if (!a.finished) {
                    onLost(a.session);
                }
            }
            showCompleted(Long.MAX_VALUE);
            finish(RunState.RUN_STATE_STOPPED, nowUnixNanos, String.join("; ", notes));
        }
    }

    private void showCompleted(long nowUnixNanos) {
        for (IntervalMerger.ShownInterval shown : merger.pollShown(nowUnixNanos)) {
            LiveSnapshot.Builder snapshot = shown.snapshot().toBuilder().setRunId(id).setState(state);
            try {
                for (DetectionEvent event : detectors.accept(shown.merged())) {
                    String line = EventLines.describe(event);
                    if (line != null) {
                        snapshot.addEvents(line);
                        LOG.info(() -> "run " + id + ": " + line);
                    }
                }
            } catch (RuntimeException e) {
                // A detector problem must never cost the run its live view.
                LOG.warning(() -> "run " + id + ": detectors failed on interval " + shown.snapshot().getIntervalIndex()
                        + ": " + e);
            }
            publish(snapshot.build());
        }
    }

    private synchronized List<Assigned> assignedWorkers() {
        return new ArrayList<>(workers.values());
    }

    /** Asks every worker to stop; the run ends once they have reported what they measured. */
    public void requestStop(String reason, long nowUnixNanos) {
        if (terminal() || stopRequestedUnixNanos != 0) {
            return;
        }
        stopRequestedUnixNanos = nowUnixNanos;
        notes.add("stopped: " + reason);
        state = RunState.RUN_STATE_DRAINING;
        CoordinatorMessage stop = CoordinatorMessage.newBuilder()
                .setStop(StopRun.newBuilder().setRunId(id).setReason(reason)).build();
        for (Assigned a : assignedWorkers()) {
            if (!a.finished && !a.lost) {
                a.session.send(stop);
            }
        }
    }

    private synchronized void publish(LiveSnapshot snapshot) {
        history.add(snapshot);
        for (StreamObserver<LiveSnapshot> watcher : watchers) {
            try {
                watcher.onNext(snapshot);
            } catch (RuntimeException e) {
                watchers.remove(watcher);
            }
        }
    }

    private synchronized void finish(RunState finalState, long nowUnixNanos, String message) {
        if (terminal()) {
            return;
        }
        state = finalState;
        endUnixNanos = nowUnixNanos;
        for (Assigned a : workers.values()) {
            if (id.equals(a.session.runId())) {
                a.session.assignedTo(null);
            }
        }
        LiveSnapshot last = LiveSnapshot.newBuilder().setRunId(id).setState(finalState).setMessage(message)
                .setIntervalIndex(history.isEmpty() ? 0 : history.get(history.size() - 1).getIntervalIndex())
                .build();
        history.add(last);
        for (StreamObserver<LiveSnapshot> watcher : watchers) {
            try {
                watcher.onNext(last);
                watcher.onCompleted();
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "watcher already gone", e);
            }
        }
        watchers.clear();
        LOG.info(() -> "run " + id + " ended: " + finalState + (message.isEmpty() ? "" : " (" + message + ")"));
    }

    /** Replays the snapshots so far, then streams new ones until the run ends. */
    public void watch(StreamObserver<LiveSnapshot> watcher) {
        synchronized (this) {
            for (LiveSnapshot s : history) {
                watcher.onNext(s);
            }
            if (terminal()) {
                watcher.onCompleted();
                return;
            }
            watchers.add(watcher);
        }
        if (watcher instanceof ServerCallStreamObserver<LiveSnapshot> call) {
            call.setOnCancelHandler(() -> watchers.remove(watcher));
        }
    }

    public RunResult result() {
        RunResult.Builder result = RunResult.newBuilder()
                .setRunId(id)
                .setState(state)
                .setPlan(plan)
                .setStartUnixNanos(startUnixNanos)
                .setEndUnixNanos(endUnixNanos)
                .addAllIntervals(merger.mergedIntervals())
                .setRejectedReports(merger.rejectedReports())
                .addAllReslices(reslices);
        List<String> messages = new ArrayList<>(notes);
        if (merger.rejectedReports() > 0) {
            messages.add(merger.rejectedReports() + " reports rejected (first: " + merger.rejectionReasons().get(0) + ")");
        }
        result.setMessage(String.join("; ", messages));
        for (Assigned a : assignedWorkers()) {
            synchronized (a) {
                result.addWorkers(WorkerSummary.newBuilder()
                        .setWorkerId(a.session.workerId())
                        .setRegion(a.session.hello().getRegion())
                        .setCores(a.session.hello().getCores())
                        .setSlice(a.slice)
                        .setSent(a.sent)
                        .setCompleted(a.completed)
                        .setIntervalsReported(merger.intervalsReportedBy(a.session.workerId()))
                        .setClockOffsetNanos(a.clockOffsetNanos)
                        .setClockRoundTripNanos(a.clockRoundTripNanos)
                        .setFinished(a.finished)
                        .setLost(a.lost)
                        .putAllSentByInterval(a.sentByInterval));
            }
        }
        return result.build();
    }

    private static final class Assigned {
        final WorkerSession session;
        /** The latest slice; replaced at each re-slice (guarded by the Run). */
        Slice slice;
        final Map<Long, Long> sentByInterval = new java.util.TreeMap<>();
        final long clockOffsetNanos;
        final long clockRoundTripNanos;
        long sent;
        long completed;
        volatile boolean finished;
        volatile boolean lost;

        Assigned(WorkerSession session, Slice slice) {
            this.session = session;
            this.slice = slice;
            this.clockOffsetNanos = session.clockOffsetNanos();
            this.clockRoundTripNanos = session.clockRoundTripNanos();
        }
    }
}
