package io.salvo.coordinator.run;

import io.salvo.proto.v1.ResliceCause;
import io.salvo.coordinator.cluster.CoordinatorCluster;
import io.salvo.coordinator.cluster.RejectionTally;
import io.salvo.coordinator.cluster.RunRecord;
import io.salvo.coordinator.cluster.RunRecord.WorkerRecord;
import io.salvo.coordinator.merge.IntervalMerger;
import io.salvo.core.histogram.HistogramCodec.CorruptHistogramException;
import io.salvo.coordinator.merge.IntervalMerger.RejectedReportException;
import io.salvo.coordinator.clock.WallClock;
import io.salvo.coordinator.server.WorkerSession;
import io.salvo.coordinator.slicing.SlicePlanner;
import io.salvo.proto.v1.Assignment;
import io.salvo.proto.v1.CoordinatorTakeover;
import io.salvo.proto.v1.Reslice;
import io.salvo.proto.v1.ReportRejected;
import io.salvo.proto.v1.WorkerEvent;
import io.salvo.proto.v1.WorkerHello;
import io.salvo.core.rate.RateProfile;
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
import io.salvo.proto.v1.WorkerSummary;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * One run, driven by the coordinator that leads it: its plan, its workers, the merger and its live
 * view. Every change is written to the replicated state ({@link RunRecord} in {@code salvo.runs})
 * before it is acted on, live snapshots go to {@code salvo.run.<id>.snapshots}, and interval
 * reports arrive from {@code salvo.run.<id>.reports} whichever coordinator received them, so
 * another coordinator can {@link #restore} the run and carry it on. Thread-safe.
 */
public final class Run {

    private static final Logger LOG = Logger.getLogger(Run.class.getName());

    private final String id;
    private final RunPlan plan;
    private final long startUnixNanos;
    private final long graceNanos;
    private final long deadlineUnixNanos;
    private final long heartbeatTimeoutNanos;
    /** How long a worker whose coordinator left may take to reconnect before it counts as lost. */
    private final long reconnectWindowNanos;
    private final IntervalMerger merger;
    /** Fed each interval as it is shown; the final report re-runs them over all data, late reports included. */
    private final LiveDetectors detectors;
    private final Map<String, Assigned> workers = new LinkedHashMap<>();
    /** The same workers for lookups and scans without the Run's lock, which every report would take. */
    private final Map<String, Assigned> byId = new ConcurrentHashMap<>();
    private volatile Assigned[] roster = new Assigned[0];
    private final List<String> notes = new CopyOnWriteArrayList<>();
    private final List<Reslice> reslices = new CopyOnWriteArrayList<>();
    /** Guarded by this. */
    private final List<PendingChange> pendingChanges = new ArrayList<>();
    /** Set once the final result is stored for archiving; guarded by resultLock. */
    private boolean archived;
    private final List<CoordinatorTakeover> takeovers = new CopyOnWriteArrayList<>();
    /**
     * Keys of stored reports the merger refused, so that the map listener and a restore's scan,
     * which may both deliver one, count it once. (Merged ones the merger itself remembers.)
     */
    private final Set<String> refusedReports = ConcurrentHashMap.newKeySet();
    /** Where shows and late result stores run; null until the run is driven (see {@link #driveOn}). */
    private volatile Executor driver;
    private final AtomicBoolean showQueued = new AtomicBoolean();
    private final AtomicBoolean resultQueued = new AtomicBoolean();
    /** Shows happen in index order and publish in that order: one thread at a time. */
    private final Object showLock = new Object();
    private final Object resultLock = new Object();
    private final RateProfile profile;
    private final long seed;
    private final WallClock clock;
    private final CoordinatorCluster cluster;
    private final String coordinatorId;
    private long epoch = 1;
    private volatile RunState state = RunState.RUN_STATE_RUNNING;
    private volatile long endUnixNanos;
    private volatile long stopRequestedUnixNanos;
    /** Next sequence number in the snapshot map. */
    private long nextSnapshotSeq;
    /** Intervals up to this index were shown by a previous leader: re-shown silently after a takeover. */
    private long shownBeforeTakeover = -1;
    private long lastShownIndex = -1;
    /** Set by a takeover: once every worker is back (or lost), the new leader re-assigns under a new epoch. */
    private boolean takeoverResliceDue;
    private final boolean leading;
    /** Silence is judged a few times per heartbeat timeout, not on every tick. */
    private final long silenceCheckNanos;
    private volatile long nextSilenceCheckUnixNanos;
    /** A change the record does not hold yet, written at the next tick (guarded by the Run). */
    private boolean recordDirty;

    private Run(String id, RunPlan plan, long startUnixNanos, long graceNanos, long heartbeatTimeoutNanos, long seed,
            WallClock clock, CoordinatorCluster cluster, String coordinatorId, boolean leading) {
        this.id = id;
        this.plan = plan;
        this.seed = seed;
        this.clock = clock;
        this.cluster = cluster;
        this.coordinatorId = coordinatorId;
        this.leading = leading;
        this.profile = RateProfile.of(plan.getPhasesList());
        this.startUnixNanos = startUnixNanos;
        this.graceNanos = graceNanos;
        this.heartbeatTimeoutNanos = heartbeatTimeoutNanos;
        this.reconnectWindowNanos = Math.max(2 * heartbeatTimeoutNanos, 5_000_000_000L);
        this.silenceCheckNanos = Math.min(250_000_000L, heartbeatTimeoutNanos / 4);
        long intervalNanos = plan.getIntervalMillis() * 1_000_000L;
        long loadNanos = profile.durationNanos();
        long drainNanos = plan.getRequestTimeoutMillis() * 1_000_000L;
        this.merger = new IntervalMerger(startUnixNanos, intervalNanos, graceNanos, RunRecord.maxIntervalIndex(plan));
        this.detectors = new LiveDetectors(DetectorReport.settingsFor(plan), null);
        this.deadlineUnixNanos = startUnixNanos + loadNanos + drainNanos + 30_000_000_000L;
    }

    /** A new run led by this coordinator; nothing is persisted until {@link #persist()}. */
    static Run create(String id, RunPlan plan, long startUnixNanos, long graceNanos, long heartbeatTimeoutNanos,
            long seed, WallClock clock, CoordinatorCluster cluster, String coordinatorId) {
        return new Run(id, plan, startUnixNanos, graceNanos, heartbeatTimeoutNanos, seed, clock, cluster,
                coordinatorId, true);
    }

    /**
     * The run as the replicated state has it: same id, start instant, epoch, slices and re-slices;
     * per-worker counts and merged intervals rebuilt from the replicated reports. {@code leading}
     * restores it for this coordinator to lead (after a takeover); otherwise the copy only answers
     * for its result.
     */
    static Run restore(RunRecord record, WallClock clock, CoordinatorCluster cluster, String coordinatorId,
            boolean leading) {
        Run run = new Run(record.runId(), record.plan(), record.startUnixNanos(), record.graceNanos(),
                record.heartbeatTimeoutNanos(), record.seed(), clock, cluster, coordinatorId, leading);
        long now = clock.unixNanos();
        synchronized (run) {
            run.epoch = record.epoch();
            run.state = record.state();
            run.endUnixNanos = record.endUnixNanos();
            run.stopRequestedUnixNanos = record.stopRequestedUnixNanos();
            run.notes.addAll(record.notes());
            run.reslices.addAll(record.reslices());
            run.takeovers.addAll(record.takeovers());
            run.takeoverResliceDue = leading && record.state() == RunState.RUN_STATE_RUNNING;
            for (WorkerRecord w : record.workers()) {
                Assigned a = new Assigned(w.workerId(), w.hello(), w.slice(), w.clockOffsetNanos(),
                        w.clockRoundTripNanos());
                a.finished = w.finished();
                a.lost = w.lost();
                a.reconnectDeadlineUnixNanos = now + run.reconnectWindowNanos;
                run.addAssigned(a);
                run.merger.addWorker(w.workerId());
            }
        }
        return run;
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

    /** When the run ended (Unix ns), or 0 while it goes on. */
    public synchronized long endUnixNanos() {
        return endUnixNanos;
    }

    /**
     * Stores the result as it stands now, with every report merged so far, for the last time: the run's data is
     * being archived, and later reports are refused rather than merged.
     */
    public void archiveNow() {
        synchronized (resultLock) {
            cluster.results().set(id, result().toByteArray());
            archived = true;
        }
    }

    public long startUnixNanos() {
        return startUnixNanos;
    }

    /** Whether this coordinator leads the run (rather than holding a copy that answers for its result). */
    public boolean leading() {
        return leading;
    }

    public boolean terminal() {
        return state == RunState.RUN_STATE_COMPLETED || state == RunState.RUN_STATE_STOPPED
                || state == RunState.RUN_STATE_FAILED;
    }

    synchronized boolean hasWorker(String workerId) {
        return workers.containsKey(workerId);
    }

    synchronized void assign(WorkerSession session, Slice slice) {
        Assigned a = new Assigned(session.workerId(), session.hello(), slice, session.clockOffsetNanos(),
                session.clockRoundTripNanos());
        a.session = session;
        addAssigned(a);
        merger.addWorker(session.workerId());
        session.assignedTo(id);
    }

    synchronized long epoch() {
        return epoch;
    }

    // ---------------------------------------------------------------------------------------
    // Replicated state
    // ---------------------------------------------------------------------------------------

    /** Writes the run's record; called under the lock before any change is acted on. */
    synchronized void persist() {
        recordDirty = false;
        if (!leading) {
            return;
        }
        List<WorkerRecord> records = new ArrayList<>();
        for (Assigned a : workers.values()) {
            records.add(new WorkerRecord(a.workerId, a.hello, a.slice, a.clockOffsetNanos, a.clockRoundTripNanos,
                    a.finished, a.lost));
        }
        RunRecord record = new RunRecord(id, plan, seed, startUnixNanos, graceNanos, heartbeatTimeoutNanos, epoch,
                state, endUnixNanos, stopRequestedUnixNanos, coordinatorId, notes, reslices, takeovers, records);
        cluster.runs().set(id, record.encode());
    }

    private synchronized void persistIfChanged() {
        if (recordDirty) {
            persist();
        }
    }

    /**
     * Merges everything the replicated state holds for this run (the map listeners keep delivering
     * newer entries meanwhile; each is merged once). Returns the number of reports found.
     */
    long replay() {
        long found = 0;
        for (Map.Entry<String, byte[]> e : new TreeMap<>(cluster.reports(id)).entrySet()) {
            found++;
            onStoredReport(e.getKey(), e.getValue());
        }
        for (Map.Entry<String, byte[]> e : cluster.workerEvents(id).entrySet()) {
            onStoredEvent(e.getKey(), e.getValue());
        }
        synchronized (this) {
            for (Assigned a : workers.values()) {
                if (a.lost) {
                    merger.workerLost(a.workerId);
                }
            }
        }
        return found;
    }

    /**
     * Completes a takeover: records it, continues the snapshot sequence where the old leader left
     * it, and re-assigns once the workers are back.
     */
    synchronized void tookOver(String fromCoordinatorId, long reportsRestored) {
        long now = clock.unixNanos();
        takeovers.add(CoordinatorTakeover.newBuilder().setAtUnixNanos(now).setFromCoordinatorId(fromCoordinatorId)
                .setToCoordinatorId(coordinatorId).setReportsRestored(reportsRestored).build());
        notes.add("coordinator " + coordinatorId + " took over from " + fromCoordinatorId);
        for (Map.Entry<Long, byte[]> e : cluster.snapshots(id).entrySet()) {
            nextSnapshotSeq = Math.max(nextSnapshotSeq, e.getKey() + 1);
            try {
                LiveSnapshot s = LiveSnapshot.parseFrom(e.getValue());
                shownBeforeTakeover = Math.max(shownBeforeTakeover, (long) s.getIntervalIndex());
                lastShownIndex = shownBeforeTakeover;
            } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
                LOG.warning(() -> "run " + id + ": unreadable snapshot " + e.getKey() + " in the replicated state");
            }
        }
        persist();
        LOG.warning(() -> "run " + id + ": took over from coordinator " + fromCoordinatorId + " with "
                + reportsRestored + " interval reports; epoch " + epoch);
    }

    // ---------------------------------------------------------------------------------------
    // Workers
    // ---------------------------------------------------------------------------------------

    /**
     * A worker of this run has a new stream (it reconnected, possibly to another coordinator):
     * messages go there from now on, and it is sent its current assignment, which it ignores when
     * it already has that epoch.
     */
    public synchronized void attach(WorkerSession session) {
        Assigned a = workers.get(session.workerId());
        if (a != null && a.lost && !terminal() && a.session != session) {
            // It kept its slice through the outage, but its share went to the others: two would send it.
            session.send(CoordinatorMessage.newBuilder().setStop(StopRun.newBuilder().setRunId(id)
                    .setReason("declared lost while disconnected; its share of the rate was re-sliced")).build());
            return;
        }
        if (a == null || a.lost || a.finished || a.session == session || terminal()) {
            return;
        }
        a.session = session;
        session.assignedTo(id);
        if (!takeoverResliceDue) {
            sendAssignment(a);
        }
        LOG.info(() -> "run " + id + ": worker " + session.workerId() + " attached via coordinator member "
                + session.holderMemberId());
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
        Assigned a = new Assigned(session.workerId(), session.hello(), Slice.getDefaultInstance(),
                session.clockOffsetNanos(), session.clockRoundTripNanos());
        a.session = session;
        addAssigned(a);
        merger.addWorker(session.workerId());
        session.assignedTo(id);
        pendingChanges.add(new PendingChange(ResliceCause.RESLICE_CAUSE_WORKER_JOINED, session.workerId(), 0, 0));
        return true;
    }

    private long loadEndUnixNanos() {
        return startUnixNanos + profile.durationNanos();
    }

    /** A loss or join since the last tick, waiting to be re-sliced with the others (see {@link #applyPendingChanges}). */
    private record PendingChange(ResliceCause cause, String workerId, double lostShare, long coveredUntilNanos) {}

    /**
     * Re-slices once for every loss and join since the last tick: when a region's workers drop at once, one epoch
     * and one assignment per survivor, not one of each per lost worker (which at 1,000 workers would be a million
     * assignments). The unsent load of each lost worker is counted up to this re-slice.
     */
    private synchronized void applyPendingChanges(long now, boolean runEnding) {
        if (pendingChanges.isEmpty()) {
            return;
        }
        List<PendingChange> changes = List.copyOf(pendingChanges);
        pendingChanges.clear();
        boolean loadToCome = !runEnding && state == RunState.RUN_STATE_RUNNING && stopRequestedUnixNanos == 0
                && now < loadEndUnixNanos();
        long toNanos = Math.max(0, Math.min(now - startUnixNanos, profile.durationNanos()));
        List<Reslice.Builder> records = new ArrayList<>();
        for (PendingChange c : changes) {
            if (c.cause() == ResliceCause.RESLICE_CAUSE_WORKER_JOINED && !loadToCome) {
                // Joined as the load ended or the run was stopped: nothing left to give it.
                Assigned a = assigned(c.workerId());
                if (a != null && !a.finished && !a.lost) {
                    a.finished = true;
                    merger.workerLost(a.workerId);
                    if (a.session != null) {
                        a.session.assignedTo(null);
                    }
                    notes.add("worker " + a.workerId + " joined as the load ended; it was not given a slice");
                }
                continue;
            }
            double uncovered = c.lostShare() == 0 ? 0
                    : c.lostShare() * profile.expectedCount(c.coveredUntilNanos(), Math.max(c.coveredUntilNanos(), toNanos));
            records.add(Reslice.newBuilder().setAtUnixNanos(now).setCause(c.cause()).setWorkerId(c.workerId())
                    .setUncoveredIntendedRequests(uncovered));
        }
        if (records.isEmpty()) {
            persist();
        } else if (loadToCome) {
            reslice(records, now);
        } else {
            // The loss stays on record with what went unsent, but there is no load left to divide.
            for (Reslice.Builder record : records) {
                reslices.add(record.setEpoch(epoch).build());
            }
            persist();
        }
    }

    /**
     * Divides the whole rate among the live workers under a new epoch. Workers apply a new slice the
     * moment it arrives, continuing the same global schedule, so the run keeps its target rate.
     *
     * @param records what caused it, one per worker lost or joined (or one for a takeover); each is kept in the
     *                report with the new epoch and the workers after it
     */
    private synchronized void reslice(List<Reslice.Builder> records, long now) {
        takeoverResliceDue = false;
        List<Assigned> live = new ArrayList<>();
        for (Assigned a : workers.values()) {
            if (!a.lost && !a.finished) {
                live.add(a);
            }
        }
        String causes = records.stream().map(r -> (r.getWorkerId().isEmpty() ? "" : "worker " + r.getWorkerId() + " ")
                + describe(r.getCause())).collect(java.util.stream.Collectors.joining(", "));
        if (live.isEmpty()) {
            notes.add("no worker left to carry the load after " + causes);
            for (Reslice.Builder record : records) {
                reslices.add(record.setEpoch(epoch).build());
            }
            persist();
            return;
        }
        epoch++;
        live.sort(java.util.Comparator.comparing(a -> a.workerId));
        List<SlicePlanner.Participant> participants = live.stream()
                .map(a -> new SlicePlanner.Participant(a.workerId, Math.max(1, a.hello.getWeight()))).toList();
        Map<String, Slice> slices = SlicePlanner.plan(participants, seed + epoch);
        List<String> after = new ArrayList<>(live.size());
        for (Assigned a : live) {
            a.slice = slices.get(a.workerId);
            after.add(a.workerId);
        }
        for (Reslice.Builder record : records) {
            reslices.add(record.setEpoch(epoch).addAllWorkerIds(after).build());
        }
        // Persisted before it is sent: a coordinator taking over re-sends this epoch, never an older one.
        persist();
        for (Assigned a : live) {
            sendAssignment(a);
        }
        long currentEpoch = epoch;
        LOG.warning(() -> "run " + id + ": " + causes + "; rate re-sliced over " + live.size() + " workers (epoch "
                + currentEpoch + ")");
    }

    private static String describe(ResliceCause cause) {
        return switch (cause) {
            case RESLICE_CAUSE_WORKER_LOST -> "lost";
            case RESLICE_CAUSE_WORKER_JOINED -> "joined";
            case RESLICE_CAUSE_TAKEOVER -> "takeover";
            case RESLICE_CAUSE_UNSPECIFIED, UNRECOGNIZED -> "re-sliced";
        };
    }

    private void sendAssignment(Assigned a) {
        if (a.session == null) {
            return;
        }
        a.session.send(CoordinatorMessage.newBuilder().setAssignment(Assignment.newBuilder()
                .setRunId(id)
                .setEpoch(epoch)
                .setPlan(plan)
                .setSlice(a.slice)
                .setStartCoordinatorUnixNanos(startUnixNanos)
                .setWorkerClockOffsetNanos(a.session.clockOffsetNanos())).build());
    }

    /**
     * A report from the replicated state (key "interval/worker"); merged once, whoever received it.
     * Reports this coordinator received itself were merged on arrival ({@link #mergeReceived}) and
     * are skipped here by their key alone, without parsing them again.
     */
    public void onStoredReport(String key, byte[] bytes) {
        if (mergedAlready(key)) {
            return;
        }
        IntervalReport report;
        try {
            report = IntervalReport.parseFrom(bytes);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            if (refusedReports.add(key)) {
                LOG.warning(() -> "run " + id + ": unreadable report " + key + " in the replicated state");
            }
            return;
        }
        try {
            IntervalMerger.Merged merged = merger.mergeIfNew(IntervalMerger.decode(report));
            if (merged != IntervalMerger.Merged.ALREADY_MERGED) {
                afterMerge(report, merged);
            }
        } catch (RejectedReportException | CorruptHistogramException e) {
            // Checked by the coordinator that stored it, so this is a bug or a foreign writer; once per key.
            if (!refusedReports.add(key)) {
                return;
            }
            String reason = e instanceof CorruptHistogramException ? "corrupt histogram payload: " + e.getMessage()
                    : e.getMessage();
            merger.countRejection(report, reason);
            LOG.warning(() -> "run " + id + ": rejected report from worker " + report.getWorkerId() + " for interval "
                    + report.getIntervalIndex() + ": " + reason);
            Assigned a = assigned(report.getWorkerId());
            WorkerSession session = a == null ? null : a.session;
            if (session != null && leading) {
                session.send(CoordinatorMessage.newBuilder().setReportRejected(ReportRejected.newBuilder()
                        .setRunId(id).setIntervalIndex(report.getIntervalIndex()).setReason(reason)).build());
            }
        }
    }

    /** Whether the stored report under this key ("interval/worker") was merged, or refused, already. */
    boolean mergedAlready(String key) {
        int slash = key.indexOf('/');
        if (slash > 0) {
            try {
                long index = Long.parseLong(key, 0, slash, 10);
                if (merger.hasReported(key.substring(slash + 1), index)) {
                    return true;
                }
            } catch (NumberFormatException e) {
                // Not a key this code writes; the report itself says what it is.
            }
        }
        return refusedReports.contains(key);
    }

    /**
     * Merges a report that one of this coordinator's streams delivered and that was checked on
     * arrival, without waiting for it to come back from the replicated state (the caller stores it
     * there). {@code ALREADY_MERGED}: this worker's report for that interval was merged before;
     * whether the two copies are identical is for the caller to judge.
     *
     * @throws RejectedReportException when the merger refuses the report (not counted here)
     */
    public IntervalMerger.Merged mergeReceived(IntervalMerger.Decoded decoded) throws RejectedReportException {
        IntervalMerger.Merged merged = merger.mergeIfNew(decoded);
        if (merged != IntervalMerger.Merged.ALREADY_MERGED) {
            afterMerge(decoded.report(), merged);
        }
        return merged;
    }

    private void afterMerge(IntervalReport report, IntervalMerger.Merged merged) {
        Assigned a = assigned(report.getWorkerId());
        if (a != null) {
            synchronized (a) {
                a.sent += report.getSent();
                a.completed += report.getCompleted();
                a.sentByInterval.add(report.getIntervalIndex(), report.getSent());
            }
        }
        if (terminal() && leading) {
            // A straggler after the end: the stored result must include it too. Not on this thread,
            // which may be a transport thread: building the result reads the other coordinators'
            // rejection tallies from the cluster.
            if (!soon(resultQueued, this::storeResult)) {
                storeResult();
            }
        } else if (merged == IntervalMerger.Merged.NEXT_MAY_BE_COMPLETE && leading) {
            soon(showQueued, () -> showNow(clock.unixNanos()));
        }
    }

    /** Under the lock, so results are stored in the order they were built and the last one has every report. */
    private void storeResult() {
        synchronized (resultLock) {
            if (!archived) {
                cluster.results().set(id, result().toByteArray());
            }
        }
    }

    /**
     * Runs {@code work} on the driver's thread; a request made while one is queued rides along with
     * it. False when nobody drives the run (yet).
     */
    private boolean soon(AtomicBoolean queued, Runnable work) {
        Executor d = driver;
        if (d == null) {
            return false;
        }
        if (!queued.compareAndSet(false, true)) {
            return true;
        }
        try {
            d.execute(() -> {
                queued.set(false);
                try {
                    work.run();
                } catch (RuntimeException e) {
                    LOG.log(java.util.logging.Level.SEVERE, "run " + id + ": driver task failed", e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            queued.set(false);   // shutting down; the run goes with the coordinator
        }
        return true;
    }

    /** A worker's terminal event (finished or failed) from the replicated state. */
    public void onStoredEvent(String workerId, byte[] bytes) {
        WorkerEvent event;
        try {
            event = WorkerEvent.parseFrom(bytes);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            LOG.warning(() -> "run " + id + ": unreadable event of worker " + workerId + " in the replicated state");
            return;
        }
        switch (event.getKindCase()) {
            case FINISHED -> onFinished(workerId, event.getFinished().getLastIntervalIndex());
            case FAILED -> {
                synchronized (this) {
                    Assigned a = workers.get(workerId);
                    if (a != null && !a.lost && !a.finished) {
                        notes.add("worker " + workerId + " failed: " + event.getFailed());
                        onLost(a, "failed");
                    }
                }
            }
            default -> { }
        }
    }

    private synchronized void onFinished(String workerId, long lastIndex) {
        Assigned a = workers.get(workerId);
        if (a == null || a.finished) {
            return;
        }
        a.finished = true;
        merger.workerFinished(workerId, lastIndex);
        if (a.session != null) {
            a.session.assignedTo(null);
        }
        // Written at the next tick rather than now: at a run's end every worker finishes within a
        // moment, and a record write per worker (each holding every worker) made the end cost
        // quadratic in the workers. A successor misses nothing meanwhile: it replays the events map.
        recordDirty = true;
    }

    /** The worker's stream broke (or its coordinator says it ended): what it reported stays, nothing more is awaited. */
    public synchronized void onStreamClosed(WorkerSession session) {
        Assigned a = workers.get(session.workerId());
        if (a != null && a.session == session) {
            onLost(a, "stream closed");
        }
    }

    /**
     * The coordinator holding the worker's stream left the cluster. The worker is not at fault and
     * reconnects to another coordinator (it has the list); it keeps its slice meanwhile and is only
     * lost if it does not come back within the reconnect window.
     */
    public synchronized void onHolderLeft(WorkerSession session) {
        Assigned a = workers.get(session.workerId());
        if (a != null && a.session == session && !a.lost && !a.finished) {
            a.session = null;
            a.reconnectDeadlineUnixNanos = clock.unixNanos() + reconnectWindowNanos;
            LOG.warning(() -> "run " + id + ": coordinator of worker " + a.workerId + " left; waiting "
                    + reconnectWindowNanos / 1_000_000 + " ms for it to reconnect");
        }
    }

    private synchronized void onLost(Assigned a, String how) {
        if (a.finished || a.lost) {
            return;
        }
        a.lost = true;
        long now = clock.unixNanos();
        notes.add("worker " + a.workerId + " was lost (" + how + ")");
        merger.workerLost(a.workerId);
        WorkerSession session = a.session;
        if (session != null) {
            session.assignedTo(null);
            if (!session.closed()) {
                // Silent but connected: make sure it stops, or it would send its old slice on top of the new ones.
                session.send(CoordinatorMessage.newBuilder().setStop(StopRun.newBuilder().setRunId(id)
                        .setReason("declared lost: " + how)).build());
            }
        }
        if (state == RunState.RUN_STATE_RUNNING && stopRequestedUnixNanos == 0 && now < loadEndUnixNanos()) {
            long intervalNanos = plan.getIntervalMillis() * 1_000_000L;
            long coveredUntil = (merger.highestReportedBy(a.workerId) + 1) * intervalNanos;
            long fromNanos = Math.max(0, Math.min(coveredUntil, profile.durationNanos()));
            // Re-sliced, and persisted, at the next tick (within one tick: a new leader taking over in between
            // sees the worker as live and finds it lost again by its silence).
            pendingChanges.add(new PendingChange(ResliceCause.RESLICE_CAUSE_WORKER_LOST, a.workerId, SlicePlanner.share(a.slice), fromNanos));
        } else {
            persist();
        }
    }

    private Assigned assigned(String workerId) {
        return byId.get(workerId);
    }

    /** Called under the lock. */
    private void addAssigned(Assigned a) {
        workers.put(a.workerId, a);
        byId.put(a.workerId, a);
        roster = workers.values().toArray(new Assigned[0]);
    }

    // ---------------------------------------------------------------------------------------
    // Driving the run
    // ---------------------------------------------------------------------------------------

    /**
     * Shows completed intervals, detects silent workers and finishes the run; called by the ticker.
     * Cheap when there is nothing to do: whether an interval is due is a constant-time question, and
     * silence is checked a few times per heartbeat timeout rather than on every tick.
     */
    void tick(long nowUnixNanos) {
        if (terminal()) {
            return;
        }
        if (nowUnixNanos >= nextSilenceCheckUnixNanos) {
            nextSilenceCheckUnixNanos = nowUnixNanos + silenceCheckNanos;
            checkSilence(nowUnixNanos);
        }
        applyPendingChanges(nowUnixNanos, false);
        resliceAfterTakeoverWhenWorkersAreBack(nowUnixNanos);
        persistIfChanged();
        synchronized (showLock) {
            if (merger.showDue(nowUnixNanos)) {
                showCompleted(nowUnixNanos);
            }
            if (merger.complete()) {
                finish(stopRequestedUnixNanos != 0 ? RunState.RUN_STATE_STOPPED : RunState.RUN_STATE_COMPLETED,
                        nowUnixNanos, String.join("; ", notes));
            } else if (nowUnixNanos > deadlineUnixNanos) {
                for (Assigned a : assignedWorkers()) {
                    if (!a.finished) {
                        onLost(a, "stream closed");
                    }
                }
                showCompleted(Long.MAX_VALUE);
                notes.add("workers did not finish before the run's deadline");
                finish(RunState.RUN_STATE_COMPLETED, nowUnixNanos, String.join("; ", notes));
            } else if (stopRequestedUnixNanos != 0 && nowUnixNanos - stopRequestedUnixNanos > 10_000_000_000L) {
                for (Assigned a : assignedWorkers()) {
                    if (!a.finished) {
                        onLost(a, "stream closed");
                    }
                }
                showCompleted(Long.MAX_VALUE);
                finish(RunState.RUN_STATE_STOPPED, nowUnixNanos, String.join("; ", notes));
            }
        }
    }

    /**
     * Shows what became complete now, rather than at the next tick: called when the last expected
     * report of the next interval to show was merged.
     */
    void showNow(long nowUnixNanos) {
        synchronized (showLock) {
            if (!terminal()) {
                showCompleted(nowUnixNanos);
            }
        }
    }

    /**
     * From now on the run shows an interval as soon as its last expected report is merged, and
     * stores a late report's result, on {@code driver} (the ticker): neither may wait on the thread
     * that merged the report.
     */
    void driveOn(Executor driver) {
        this.driver = driver;
    }

    private void checkSilence(long nowUnixNanos) {
        for (Assigned a : roster) {
            WorkerSession session = a.session;
            if (a.finished || a.lost) {
                continue;
            }
            if (session == null && nowUnixNanos > a.reconnectDeadlineUnixNanos) {
                long windowMillis = reconnectWindowNanos / 1_000_000;
                LOG.warning(() -> "run " + id + ": worker " + a.workerId + " did not reconnect within " + windowMillis
                        + " ms; treating it as lost");
                onLost(a, "did not reconnect within " + windowMillis + " ms after its coordinator left");
            } else if (session != null && session.silentNanos(nowUnixNanos) > heartbeatTimeoutNanos) {
                long silentMillis = session.silentNanos(nowUnixNanos) / 1_000_000;
                LOG.warning(() -> "run " + id + ": worker " + a.workerId + " silent for " + silentMillis
                        + " ms; treating it as lost");
                onLost(a, "silent for " + silentMillis + " ms");
            }
        }
    }

    /**
     * After a takeover every worker gets the new leader's assignment under a new epoch, once all of
     * them are back or lost: a single re-slice, not one per returning worker.
     */
    private synchronized void resliceAfterTakeoverWhenWorkersAreBack(long nowUnixNanos) {
        if (!takeoverResliceDue) {
            return;
        }
        boolean waiting = workers.values().stream().anyMatch(a -> !a.lost && !a.finished && a.session == null);
        if (waiting) {
            return;
        }
        if (state == RunState.RUN_STATE_RUNNING && stopRequestedUnixNanos == 0
                && nowUnixNanos < loadEndUnixNanos() - plan.getIntervalMillis() * 1_000_000L) {
            CoordinatorTakeover last = takeovers.get(takeovers.size() - 1);
            reslice(List.of(Reslice.newBuilder().setAtUnixNanos(nowUnixNanos).setCause(ResliceCause.RESLICE_CAUSE_TAKEOVER)), nowUnixNanos);
            LOG.info(() -> "run " + id + ": re-assigned after taking over from " + last.getFromCoordinatorId());
        } else {
            takeoverResliceDue = false;
        }
    }

    /** Called under {@link #showLock}, so that snapshots are published in index order. */
    private void showCompleted(long nowUnixNanos) {
        for (IntervalMerger.ShownInterval shown : merger.pollShown(nowUnixNanos)) {
            LiveSnapshot.Builder snapshot = shown.snapshot().toBuilder().setRunId(id).setState(state);
            boolean alreadyShown = shown.snapshot().getIntervalIndex() <= shownBeforeTakeover;
            try {
                for (DetectionEvent event : detectors.accept(shown.merged())) {
                    String line = EventLines.describe(event);
                    if (line != null && !alreadyShown) {
                        snapshot.addEvents(line);
                        LOG.info(() -> "run " + id + ": " + line);
                    }
                }
            } catch (RuntimeException e) {
                // A detector problem must never cost the run its live view.
                LOG.warning(() -> "run " + id + ": detectors failed on interval " + shown.snapshot().getIntervalIndex()
                        + ": " + e);
            }
            if (!alreadyShown) {
                publish(snapshot.build());
            }
        }
    }

    private synchronized List<Assigned> assignedWorkers() {
        return new ArrayList<>(workers.values());
    }

    /** Asks every worker to stop; the run ends once they have reported what they measured. */
    public synchronized void requestStop(String reason, long nowUnixNanos) {
        if (terminal() || stopRequestedUnixNanos != 0) {
            return;
        }
        stopRequestedUnixNanos = nowUnixNanos;
        notes.add("stopped: " + reason);
        state = RunState.RUN_STATE_DRAINING;
        takeoverResliceDue = false;
        persist();
        CoordinatorMessage stop = CoordinatorMessage.newBuilder()
                .setStop(StopRun.newBuilder().setRunId(id).setReason(reason)).build();
        for (Assigned a : workers.values()) {
            if (!a.finished && !a.lost && a.session != null) {
                a.session.send(stop);
            }
        }
    }

    /** Live snapshots reach watchers on every coordinator through the replicated snapshot map. */
    private synchronized void publish(LiveSnapshot snapshot) {
        lastShownIndex = Math.max(lastShownIndex, snapshot.getIntervalIndex());
        cluster.snapshots(id).set(nextSnapshotSeq++, snapshot.toByteArray());
    }

    private synchronized void finish(RunState finalState, long nowUnixNanos, String message) {
        if (terminal()) {
            return;
        }
        // A loss or join queued since the last tick still belongs in the record.
        applyPendingChanges(nowUnixNanos, true);
        state = finalState;
        endUnixNanos = nowUnixNanos;
        for (Assigned a : workers.values()) {
            if (a.session != null && id.equals(a.session.runId())) {
                a.session.assignedTo(null);
            }
        }
        persist();
        synchronized (resultLock) {
            cluster.results().set(id, result().toByteArray());
        }
        LiveSnapshot last = LiveSnapshot.newBuilder().setRunId(id).setState(finalState).setMessage(message)
                .setIntervalIndex(Math.max(0, lastShownIndex)).build();
        publish(last);
        LOG.info(() -> "run " + id + " ended: " + finalState + (message.isEmpty() ? "" : " (" + message + ")"));
    }

    public RunResult result() {
        RunResult.Builder result = RunResult.newBuilder()
                .setRunId(id)
                .setState(state)
                .setPlan(plan)
                .setStartUnixNanos(startUnixNanos)
                .setEndUnixNanos(endUnixNanos)
                .addAllIntervals(merger.mergedIntervals())
                .addAllReslices(reslices)
                .addAllTakeovers(takeovers);
        // Reports refused on arrival are counted by the coordinator that received them.
        long rejected = merger.rejectedReports();
        List<String> reasons = new ArrayList<>(merger.rejectionReasons());
        for (byte[] tally : cluster.rejections(id).values()) {
            RejectionTally t = RejectionTally.decode(tally);
            rejected += t.count();
            reasons.addAll(t.reasons());
        }
        result.setRejectedReports(rejected);
        List<String> messages = new ArrayList<>(notes);
        if (rejected > 0 && !reasons.isEmpty()) {
            messages.add(rejected + " reports rejected (first: " + reasons.get(0) + ")");
        }
        result.setMessage(String.join("; ", messages));
        for (Assigned a : assignedWorkers()) {
            synchronized (a) {
                result.addWorkers(WorkerSummary.newBuilder()
                        .setWorkerId(a.workerId)
                        .setRegion(a.hello.getRegion())
                        .setCores(a.hello.getCores())
                        .setSlice(a.slice)
                        .setSent(a.sent)
                        .setCompleted(a.completed)
                        .setIntervalsReported(merger.intervalsReportedBy(a.workerId))
                        .setClockOffsetNanos(a.clockOffsetNanos)
                        .setClockRoundTripNanos(a.clockRoundTripNanos)
                        .setFinished(a.finished)
                        .setLost(a.lost)
                        .putAllSentByInterval(a.sentByInterval.toMap()));
            }
        }
        return result.build();
    }

    private static final class Assigned {
        final String workerId;
        final WorkerHello hello;
        /** The latest slice; replaced at each re-slice (guarded by the Run). */
        Slice slice;
        final IntervalSums sentByInterval = new IntervalSums();
        final long clockOffsetNanos;
        final long clockRoundTripNanos;
        /** The worker's current stream; null while it reconnects after its coordinator left (guarded by the Run). */
        volatile WorkerSession session;
        long reconnectDeadlineUnixNanos;
        long sent;
        long completed;
        volatile boolean finished;
        volatile boolean lost;

        Assigned(String workerId, WorkerHello hello, Slice slice, long clockOffsetNanos, long clockRoundTripNanos) {
            this.workerId = workerId;
            this.hello = hello;
            this.slice = slice;
            this.clockOffsetNanos = clockOffsetNanos;
            this.clockRoundTripNanos = clockRoundTripNanos;
        }
    }
}
