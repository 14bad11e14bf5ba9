package io.salvo.coordinator.run;

import io.salvo.coordinator.clock.WallClock;
import io.salvo.coordinator.cluster.RejectionTally;
import io.salvo.coordinator.cluster.RunRecord;
import io.salvo.coordinator.cluster.RunRecord.WorkerRecord;
import io.salvo.coordinator.cluster.RunStore;
import io.salvo.coordinator.merge.IntervalMerger;
import io.salvo.coordinator.slicing.Reslicer;
import io.salvo.core.rate.RateProfile;
import io.salvo.core.term.Terms;
import io.salvo.detect.LiveDetectors;
import io.salvo.proto.v1.CoordinatorMessage;
import io.salvo.proto.v1.CoordinatorTakeover;
import io.salvo.proto.v1.LeaderTerm;
import io.salvo.proto.v1.RegionShare;
import io.salvo.proto.v1.RequestHeaderSets;
import io.salvo.proto.v1.Reslice;
import io.salvo.proto.v1.ResliceCause;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.RunState;
import io.salvo.proto.v1.Slice;
import io.salvo.proto.v1.StopRun;
import io.salvo.report.DetectorReport;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * One run, as the coordinator leading it drives it: its state machine (running → draining → completed or
 * stopped) and its tick. What the run is made of lives in its parts: the {@link Roster} of its workers, the
 * {@link Assignments} that give them their share (decided by the {@link Reslicer}), the {@link RunInbox}
 * that merges what they report, the {@link LiveView}, the {@link StoredResult}, and the {@link RunStore}
 * that keeps it all for another coordinator to {@link #restore} and carry on. Every change is written to
 * the store before it is acted on.
 *
 * <p>Thread-safe. Locks, always taken in this order: the show lock (shows and the run's end, so snapshots
 * are published in index order and none after the last), then the run's monitor (state, epoch, workers'
 * slices and streams), then the stored result's (results stored in the order they were built).
 */
public final class Run {

    private static final Logger LOG = Logger.getLogger(Run.class.getName());

    private final RunSpec spec;
    private final String id;
    private final RunPlan plan;
    private final RateProfile profile;
    private final long intervalNanos;
    private final long deadlineUnixNanos;

    private final WallClock clock;
    private final RunStore store;
    private final String coordinatorId;
    private final boolean leading;

    private final Roster roster;
    private final Assignments assignments;
    private final IntervalMerger merger;
    private final Compaction compaction;
    private final RunInbox inbox;
    private final LiveView liveView;
    private final List<String> notes = new CopyOnWriteArrayList<>();
    private final List<CoordinatorTakeover> takeovers = new CopyOnWriteArrayList<>();
    /** Guarded by this: workers this coordinator saw lost, for the live view (the record keeps only that they were). */
    private final Map<String, LiveView.LostWorker> lostHere = new LinkedHashMap<>();

    private final Object showLock = new Object();
    /** Where shows and late result stores run; null until the run is driven (see {@link #driveOn}). */
    private volatile Executor driver;

    private final CoalescedTask showSoon;
    private final CoalescedTask compactSoon;
    /** Where compaction passes run (they wait on the store); null: the run is not compacted. */
    private volatile Executor housekeeping;

    private volatile java.util.function.BooleanSupplier compactionAllowed = () -> true;

    private final StoredResult storedResult;

    /** Guarded by this: workers per region the run started with (joined replacements not counted). */
    private final Map<String, Integer> startedInRegion = new HashMap<>();

    /** Guarded by this: a change the record does not hold yet, written at the next tick. */
    private boolean recordDirty;

    /** The term the run's record had when this coordinator restored it (unset for a new run). */
    private volatile LeaderTerm recordedTerm = LeaderTerm.getDefaultInstance();

    /** The leadership term this coordinator drives the run under; unset for a copy. */
    private volatile LeaderTerm term = LeaderTerm.getDefaultInstance();
    /** Set once this coordinator learned of a higher term: it no longer drives the run or writes its state. */
    private volatile String deposedBecause;

    private volatile RunState state = RunState.RUN_STATE_RUNNING;
    private volatile long endUnixNanos;
    private volatile long stopRequestedUnixNanos;
    private volatile long nextSilenceCheckUnixNanos;

    private Run(
            RunSpec spec, WallClock clock, RunStore store, String coordinatorId, boolean leading, boolean restored) {
        this.spec = spec;
        this.id = spec.id();
        this.plan = spec.plan();
        this.profile = RateProfile.of(plan.getPhasesList());
        this.intervalNanos = spec.intervalNanos();
        this.deadlineUnixNanos = spec.deadlineUnixNanos(profile.durationNanos());
        this.clock = clock;
        this.store = store;
        this.coordinatorId = coordinatorId;
        this.leading = leading;
        this.roster = new Roster(id, RunRecord.maxIntervalIndex(plan));
        this.assignments = new Assignments(spec, profile, roster);
        this.merger = new IntervalMerger(
                spec.startUnixNanos(),
                intervalNanos,
                spec.graceNanos(),
                RunRecord.maxIntervalIndex(plan),
                plan.getRegionsList().stream().map(RegionShare::getRegion).toList());
        this.merger.keepStoredIntervalsIn(new StoredCompactedIntervals(store));
        this.compaction = new Compaction(
                id,
                merger,
                store,
                spec.startUnixNanos(),
                intervalNanos,
                spec.graceNanos(),
                spec.compactionMarginNanos(),
                RunRecord.maxIntervalIndex(plan));
        this.inbox = new RunInbox(
                id,
                merger,
                compaction,
                clock::unixNanos,
                roster,
                restored,
                leading,
                this::afterMerge,
                this::onFinished,
                this::onFailed);
        this.compactSoon = new CoalescedTask("run " + id + ": compacting reports", () -> {
            if (deposed()) {
                return;
            }
            if (terminal()) {
                compaction.passAfterEnd(clock.unixNanos()); // late reports for sealed intervals, after the end
            } else {
                compaction.compact(clock.unixNanos());
            }
        });
        compaction.onDeferred(this::passForDeferredReports, inbox::mergedLater);
        this.liveView = new LiveView(
                id,
                spec.startUnixNanos(),
                intervalNanos,
                merger,
                new LiveDetectors(DetectorReport.settingsFor(plan), null),
                DetectorReport.settingsFor(plan).instanceHeader(),
                store,
                this::runEvents);
        this.showSoon = new CoalescedTask("run " + id + ": showing", () -> showNow(clock.unixNanos()));
        this.storedResult = new StoredResult(id, store, this::result);
    }

    /**
     * Takes what the client driving the platform under test reported (ReportPlatform): the next snapshot shows the
     * counts and the events (the one of the next interval shown, or the terminal one). Safe from any thread; never
     * blocks on the run's locks.
     */
    public void reportPlatform(io.salvo.proto.v1.ReportPlatformRequest report) {
        liveView.platform().offer(report);
    }

    /** A new run led by this coordinator; nothing is stored until {@link #persist()}. */
    static Run create(RunSpec spec, WallClock clock, RunStore store, String coordinatorId) {
        return new Run(spec, clock, store, coordinatorId, true, false);
    }

    /**
     * The run as its stored record has it: same id, start instant, epoch, slices and re-slices; workers'
     * counts and merged intervals are rebuilt from the stored reports by {@link #replay}. {@code leading}
     * restores it for this coordinator to lead (after a takeover); otherwise the copy only answers for its
     * result.
     */
    static Run restore(
            RunRecord record,
            long stopTimeoutNanos,
            WallClock clock,
            RunStore store,
            String coordinatorId,
            boolean leading) {
        return restore(
                record,
                stopTimeoutNanos,
                RunSettings.DEFAULT_COMPACTION_MARGIN.toNanos(),
                clock,
                store,
                coordinatorId,
                leading);
    }

    /** {@link #restore(RunRecord, long, WallClock, RunStore, String, boolean)} with this coordinator's margin. */
    static Run restore(
            RunRecord record,
            long stopTimeoutNanos,
            long compactionMarginNanos,
            WallClock clock,
            RunStore store,
            String coordinatorId,
            boolean leading) {
        Run run = new Run(
                RunSpec.of(record, stopTimeoutNanos, compactionMarginNanos),
                clock,
                store,
                coordinatorId,
                leading,
                true);
        long now = clock.unixNanos();
        synchronized (run) {
            run.assignments.restore(
                    record.epoch(), record.reslices(), leading && record.state() == RunState.RUN_STATE_RUNNING);
            run.state = record.state();
            run.endUnixNanos = record.endUnixNanos();
            run.stopRequestedUnixNanos = record.stopRequestedUnixNanos();
            run.notes.addAll(record.notes());
            run.recordedTerm = record.term();
            run.takeovers.addAll(record.takeovers());
            Set<String> joined = record.reslices().stream()
                    .filter(r -> r.getCause() == ResliceCause.RESLICE_CAUSE_WORKER_JOINED)
                    .map(Reslice::getWorkerId)
                    .collect(Collectors.toSet());
            for (WorkerRecord w : record.workers()) {
                // Each has a reconnect window to come back to this coordinator.
                run.roster.add(AssignedWorker.restore(
                        w, now + run.spec.reconnectWindowNanos(), RunRecord.maxIntervalIndex(run.plan)));
                run.merger.addWorker(w.workerId(), w.hello().getRegion());
                if (!joined.contains(w.workerId())) {
                    run.startedInRegion.merge(w.hello().getRegion(), 1, Integer::sum);
                }
            }
        }
        return run;
    }

    /** What compaction did so far: intervals written, raw reports removed, intervals sealed. */
    long[] compactionTotals() {
        return compaction.totals();
    }

    /** Intervals the run's merger holds in memory (a sealed one, once shown, is only in the store): for tests. */
    int intervalsInMemory() {
        return merger.intervalsInMemory();
    }

    public String id() {
        return id;
    }

    /**
     * From now on the run is driven under {@code leaderTerm}: it goes with every assignment and stop, and into the
     * record. Called before the run is first persisted or assigned.
     */
    synchronized void leadUnder(LeaderTerm leaderTerm) {
        this.term = leaderTerm;
        assignments.term(leaderTerm);
        roster.term(leaderTerm);
    }

    /** The term the run is driven under here. */
    public LeaderTerm term() {
        return term;
    }

    /** The term in the record this run was restored from. */
    LeaderTerm recordedTerm() {
        return recordedTerm;
    }

    /**
     * Another coordinator leads the run under a higher term (a worker refused this one's message, or the cluster's
     * state says so): this coordinator stops driving it at once. Nothing more is sent, shown or stored by it; the
     * run's data stays in the cluster for the leader of the higher term. An ended run is deposed too: it would
     * otherwise store its result again for each straggler report, over the result of the higher term's leader (a
     * leader cut off by a partition ends the run on its side when it loses every worker).
     */
    public synchronized void depose(String why) {
        if (!leading || deposedBecause != null) {
            return;
        }
        deposedBecause = why;
        LOG.warning(() -> "run " + id + ": no longer driven by coordinator " + coordinatorId + " (term "
                + Terms.describe(term) + "): " + why);
    }

    /** Whether this coordinator stopped driving the run because it learned of a higher term. */
    public boolean deposed() {
        return deposedBecause != null;
    }

    public RunState state() {
        return state;
    }

    /** When the run ended (Unix ns), or 0 while it goes on. */
    public long endUnixNanos() {
        return endUnixNanos;
    }

    /** Whether this coordinator leads the run (rather than holding a copy that answers for its result). */
    boolean leading() {
        return leading;
    }

    public boolean terminal() {
        return isTerminal(state);
    }

    static boolean isTerminal(RunState state) {
        return state == RunState.RUN_STATE_COMPLETED
                || state == RunState.RUN_STATE_STOPPED
                || state == RunState.RUN_STATE_FAILED;
    }

    boolean hasWorker(String workerId) {
        return roster.contains(workerId);
    }

    /** Adds a worker at the run's start, with its first slice; it is told once the run is stored. */
    synchronized void assign(WorkerChannel channel, Slice slice) {
        roster.add(AssignedWorker.of(channel, slice, RunRecord.maxIntervalIndex(plan)));
        merger.addWorker(channel.workerId(), channel.hello().getRegion());
        startedInRegion.merge(channel.hello().getRegion(), 1, Integer::sum);
        channel.assignedTo(id);
    }

    /** Sends every worker with a stream its current assignment (workers ignore an epoch they already have). */
    synchronized void sendAssignments() {
        if (deposed()) {
            return;
        }
        assignments.sendToLive();
    }

    /** Merges everything the store holds for this run; returns the number of reports found. */
    long replay() {
        return inbox.replay(store);
    }

    /**
     * Completes a takeover: records it, continues the live view where the old leader left it, and re-assigns
     * once the workers are back.
     */
    void tookOver(String fromCoordinatorId, long reportsRestored) {
        synchronized (showLock) {
            liveView.resumeFromStore();
        }
        synchronized (this) {
            takeovers.add(CoordinatorTakeover.newBuilder()
                    .setAtUnixNanos(clock.unixNanos())
                    .setFromCoordinatorId(fromCoordinatorId)
                    .setToCoordinatorId(coordinatorId)
                    .setReportsRestored(reportsRestored)
                    .build());
            notes.add("coordinator " + coordinatorId + " took over from " + fromCoordinatorId);
            persist();
        }
        LOG.warning(() -> "run " + id + ": took over from coordinator " + fromCoordinatorId + " with " + reportsRestored
                + " interval reports; epoch " + assignments.epoch());
    }

    /**
     * A worker of this run has a new stream (it reconnected, possibly to another coordinator): messages go
     * there from now on, and it is sent its current assignment unless a takeover re-assignment is coming.
     */
    public synchronized void attach(WorkerChannel channel) {
        if (deposed()) {
            return;
        }
        if (roster.attach(channel, terminal()) != Roster.Attached.ATTACHED) {
            return;
        }
        if (!assignments.takeoverDue()) {
            assignments.send(roster.get(channel.workerId()));
        }
        LOG.info(() -> "run " + id + ": worker " + channel.workerId() + " attached via coordinator member "
                + channel.holderMemberId());
    }

    /**
     * A worker connected while this run is under way: if the run has fewer live workers than its plan asks
     * for and load is still to come, it joins at the next tick's epoch.
     */
    public synchronized boolean offer(WorkerChannel channel) {
        if (state != RunState.RUN_STATE_RUNNING || clock.unixNanos() > loadEndUnixNanos() - intervalNanos) {
            return false;
        }
        if (assignments.layout() != null && !regionHasRoom(channel.hello().getRegion())) {
            return false;
        }
        AssignedWorker joined = roster.offer(channel, plan.getWorkerCount());
        if (joined == null) {
            return false;
        }
        merger.addWorker(joined.workerId, joined.region());
        assignments.joined(joined);
        return true;
    }

    /**
     * Whether a worker of {@code region} may join: the region is one of the plan's and has fewer live workers than
     * it started with. A replacement takes its region's share back; a worker of another region never joins.
     */
    private boolean regionHasRoom(String region) {
        if (assignments.layout().indexOf(region) < 0) {
            return false;
        }
        long live =
                roster.live().stream().filter(w -> w.region().equals(region)).count();
        return live < startedInRegion.getOrDefault(region, 0);
    }

    /** The worker's stream broke (or its coordinator says it ended): what it reported stays, nothing more is awaited. */
    public synchronized void onStreamClosed(WorkerChannel channel) {
        AssignedWorker w = roster.get(channel.workerId());
        if (w != null && w.channel == channel) {
            lose(w, "stream closed");
        }
    }

    /**
     * The coordinator holding the worker's stream left the cluster. The worker is not at fault and reconnects
     * to another coordinator (it has the list); it keeps its slice meanwhile and is only lost if it does not
     * come back within the reconnect window.
     */
    public synchronized void onHolderLeft(WorkerChannel channel) {
        AssignedWorker w = roster.holderLeft(channel, clock.unixNanos() + spec.reconnectWindowNanos());
        if (w != null) {
            LOG.warning(() -> "run " + id + ": coordinator of worker " + w.workerId + " left; waiting "
                    + spec.reconnectWindowNanos() / 1_000_000 + " ms for it to reconnect");
        }
    }

    private synchronized void onFinished(String workerId, long lastIndex) {
        if (roster.finish(workerId) == null) {
            return;
        }
        merger.workerFinished(workerId, lastIndex);
        // Written at the next tick rather than now: at a run's end every worker finishes within a moment,
        // and a record write per worker (each holding every worker) made the end cost quadratic in the
        // workers. A successor misses nothing meanwhile: it replays the events.
        recordDirty = true;
    }

    private synchronized void onFailed(String workerId, String reason) {
        AssignedWorker w = roster.get(workerId);
        if (w != null && w.live()) {
            notes.add("worker " + workerId + " failed: " + reason);
            lose(w, "failed");
        }
    }

    /** Called under the lock. */
    private void lose(AssignedWorker w, String how) {
        if (!roster.lose(w, how)) {
            return;
        }
        notes.add("worker " + w.workerId + " was lost (" + how + ")");
        lostHere.put(w.workerId, new LiveView.LostWorker(w.workerId, w.region(), clock.unixNanos(), how));
        merger.workerLost(w.workerId);
        if (state == RunState.RUN_STATE_RUNNING
                && stopRequestedUnixNanos == 0
                && clock.unixNanos() < loadEndUnixNanos()) {
            long coveredUntil = (merger.highestReportedBy(w.workerId) + 1) * intervalNanos;
            long fromNanos = Math.max(0, Math.min(coveredUntil, profile.durationNanos()));
            // Re-sliced, and stored, at the next tick (a new leader taking over in between sees the worker
            // as live and finds it lost again by its silence).
            assignments.lost(w, fromNanos);
        } else {
            persist();
        }
    }

    /**
     * From now on the run shows an interval as soon as its last expected report is merged, and stores a
     * late report's result, on {@code driver} (the ticker): neither may wait on the thread that merged the
     * report.
     */
    void driveOn(Executor driver) {
        this.driver = driver;
    }

    /**
     * From now on the run's ticks compact its old intervals' reports ({@link Compaction}) on {@code housekeeping},
     * which may wait on the store; only the leader does.
     */
    void compactOn(Executor housekeeping) {
        compactOn(housekeeping, () -> true);
    }

    /**
     * Like {@link #compactOn(Executor)}, compacting only while {@code allowed} says so: the run manager allows it while
     * this coordinator sees as many members as when it began leading the run, so that of two sides of a partition only
     * the one that took the run over compacts, and the two sides' reports still add up exactly when it heals.
     */
    void compactOn(Executor housekeeping, java.util.function.BooleanSupplier allowed) {
        this.compactionAllowed = allowed;
        this.housekeeping = housekeeping;
    }

    /** A late report waits for its sealed interval to be read back from the store: a pass does that, soon. */
    private void passForDeferredReports() {
        Executor compactor = housekeeping;
        if (compactor != null && leading && !deposed()) {
            compactSoon.request(compactor);
        }
    }

    /**
     * Shows completed intervals, detects silent workers, re-slices and ends the run; called by the ticker.
     * Cheap when there is nothing to do: whether an interval is due is a constant-time question, and silence
     * is checked a few times per heartbeat timeout rather than on every tick.
     */
    void tick(long nowUnixNanos) {
        if (terminal() || deposed()) {
            return;
        }
        if (nowUnixNanos >= nextSilenceCheckUnixNanos) {
            nextSilenceCheckUnixNanos = nowUnixNanos + spec.silenceCheckNanos();
            loseSilentWorkers(nowUnixNanos);
        }
        synchronized (this) {
            resliced(assignments.reslicePending(nowUnixNanos, loadToCome(nowUnixNanos)));
            resliced(assignments.resliceAfterTakeover(
                    nowUnixNanos, loadToCome(nowUnixNanos) && nowUnixNanos < loadEndUnixNanos() - intervalNanos));
            if (recordDirty) {
                persist();
            }
        }
        Executor compactor = housekeeping;
        if (compactor != null
                && leading
                && !deposed()
                && compaction.due(nowUnixNanos)
                && compactionAllowed.getAsBoolean()) {
            compactSoon.request(compactor);
        }
        synchronized (showLock) {
            if (liveView.due(nowUnixNanos)) {
                liveView.showCompleted(nowUnixNanos, state);
            }
            if (merger.complete()) {
                finish(
                        stopRequestedUnixNanos != 0 ? RunState.RUN_STATE_STOPPED : RunState.RUN_STATE_COMPLETED,
                        nowUnixNanos);
            } else if (nowUnixNanos > deadlineUnixNanos) {
                finishWithoutWaiting(
                        RunState.RUN_STATE_COMPLETED, nowUnixNanos, "did not finish before the run's deadline");
            } else if (stopRequestedUnixNanos != 0 && nowUnixNanos - stopRequestedUnixNanos > spec.stopTimeoutNanos()) {
                finishWithoutWaiting(
                        RunState.RUN_STATE_STOPPED,
                        nowUnixNanos,
                        "did not finish within " + spec.stopTimeoutNanos() / 1_000_000 + " ms of the stop request");
            }
        }
    }

    private synchronized void loseSilentWorkers(long nowUnixNanos) {
        for (Roster.Loss loss :
                roster.silent(nowUnixNanos, spec.heartbeatTimeoutNanos(), spec.reconnectWindowNanos())) {
            LOG.warning(() ->
                    "run " + id + ": worker " + loss.worker().workerId + " " + loss.how() + "; treating it as lost");
            lose(loss.worker(), loss.how());
        }
    }

    /** Shows what became complete now rather than at the next tick: the next interval's last report was merged. */
    void showNow(long nowUnixNanos) {
        synchronized (showLock) {
            if (!terminal() && !deposed()) {
                liveView.showCompleted(nowUnixNanos, state);
            }
        }
    }

    /** Asks every worker to stop; the run ends once they have reported what they measured. */
    /**
     * Replaces the header sets of the run's requests if {@code sets} is a higher generation than the run's: the live
     * workers are told at once, workers assigned later (joins, re-slices, a takeover) get them in their assignment.
     * A run that has ended, or that this coordinator no longer drives, keeps what it had.
     *
     * @return the run's header-set generation after the call
     */
    public synchronized long replaceHeaderSets(RequestHeaderSets sets) {
        if (terminal() || deposed() || !assignments.replaceHeaderSets(sets)) {
            return assignments.headerGeneration();
        }
        roster.sendToLive(assignments.headersUpdate());
        return assignments.headerGeneration();
    }

    /** The generation of the header sets the run's requests carry (0: none). */
    public synchronized long headerGeneration() {
        return assignments.headerGeneration();
    }

    public synchronized void requestStop(String reason, long nowUnixNanos) {
        if (terminal() || stopRequestedUnixNanos != 0 || deposed()) {
            return;
        }
        stopRequestedUnixNanos = nowUnixNanos;
        notes.add("stopped: " + reason);
        state = RunState.RUN_STATE_DRAINING;
        assignments.cancelTakeover();
        persist();
        roster.sendToLive(CoordinatorMessage.newBuilder()
                .setStop(StopRun.newBuilder().setRunId(id).setReason(reason).setTerm(term))
                .build());
    }

    /**
     * Ends the run without the workers that have not finished: they count as lost (their stream may well be
     * open), and every interval is shown with what arrived. Called under the show lock.
     */
    private void finishWithoutWaiting(RunState finalState, long nowUnixNanos, String why) {
        synchronized (this) {
            for (AssignedWorker w : roster.live()) {
                lose(w, why);
            }
        }
        liveView.showCompleted(Long.MAX_VALUE, state);
        finish(finalState, nowUnixNanos);
    }

    /** Called under the show lock. */
    private void finish(RunState finalState, long nowUnixNanos) {
        String message;
        synchronized (this) {
            if (terminal()) {
                return;
            }
            // A loss or join queued since the last tick still belongs in the record.
            resliced(assignments.reslicePending(nowUnixNanos, false));
            state = finalState;
            endUnixNanos = nowUnixNanos;
            roster.releaseAll();
            persist();
            message = String.join("; ", notes);
        }
        storedResult.store();
        liveView.showEnd(finalState, message);
        LOG.info(() -> "run " + id + " ended: " + finalState + (message.isEmpty() ? "" : " (" + message + ")"));
    }

    private long loadEndUnixNanos() {
        return spec.startUnixNanos() + profile.durationNanos();
    }

    /** Whether load remains to divide at {@code nowUnixNanos}: the run goes on, unstopped, and its load has not ended. */
    private boolean loadToCome(long nowUnixNanos) {
        return state == RunState.RUN_STATE_RUNNING && stopRequestedUnixNanos == 0 && nowUnixNanos < loadEndUnixNanos();
    }

    /**
     * Acts on a re-slice: workers that joined too late finish, the record is stored, and only then are the
     * live workers told their new slices (a coordinator taking over re-sends this epoch, never an older one).
     */
    private void resliced(Reslicer.Outcome outcome) {
        if (outcome == null) {
            return;
        }
        for (String workerId : outcome.joinedTooLate()) {
            // Joined as the load ended or the run was stopped: nothing left to give it.
            if (roster.finish(workerId) != null) {
                merger.workerLost(workerId);
                notes.add("worker " + workerId + " joined as the load ended; it was not given a slice");
            }
        }
        String causes = outcome.reslices().stream().map(Reslicer::describe).collect(Collectors.joining(", "));
        if (outcome.noWorkerLeft()) {
            notes.add("no worker left to carry the load after " + causes);
        }
        persist();
        for (Reslice r : outcome.reslices()) {
            if (r.getRegionUnserved()) {
                notes.add("region " + r.getRegion() + " has no worker left after "
                        + Reslicer.describe(r).replaceFirst(";.*", "")
                        + ": its share of the rate is not sent until a worker of the region "
                        + "joins");
            }
        }
        if (outcome.reassigned()) {
            assignments.sendResliced();
            LOG.warning(() -> "run " + id + ": " + causes + "; rate re-sliced over "
                    + outcome.slices().size() + " workers (epoch " + outcome.epoch() + ")");
        }
    }

    /**
     * The run's own events for the live view. A worker a previous leader lost is placed at its re-slice, or
     * at the takeover when it was lost without one: this coordinator does not know when it happened.
     */
    private synchronized LiveView.RunEvents runEvents() {
        List<Reslice> reslices = List.copyOf(assignments.reslices());
        List<LiveView.LostWorker> lost = new ArrayList<>();
        int connected = 0;
        Map<String, Integer> connectedByRegion = new HashMap<>();
        for (AssignedWorker w : roster.all()) {
            if (w.live() && w.channel != null) {
                connected++;
                connectedByRegion.merge(w.region(), 1, Integer::sum);
            }
            if (!w.lost) {
                continue;
            }
            LiveView.LostWorker seen = lostHere.get(w.workerId);
            if (seen == null) {
                long at = reslices.stream()
                        .filter(r -> r.getCause() == ResliceCause.RESLICE_CAUSE_WORKER_LOST
                                && r.getWorkerId().equals(w.workerId))
                        .mapToLong(Reslice::getAtUnixNanos)
                        .findFirst()
                        .orElse(
                                takeovers.isEmpty()
                                        ? clock.unixNanos()
                                        : takeovers.get(takeovers.size() - 1).getAtUnixNanos());
                seen = new LiveView.LostWorker(w.workerId, w.region(), at, "");
            }
            lost.add(seen);
        }
        lost.sort(Comparator.comparingLong(LiveView.LostWorker::atUnixNanos));
        return new LiveView.RunEvents(connected, connectedByRegion, lost, reslices, List.copyOf(takeovers));
    }

    /** Where the run's reports and worker events go in. */
    public RunInbox inbox() {
        return inbox;
    }

    private void afterMerge(IntervalMerger.Merged merged) {
        if (!leading || deposed()) {
            return;
        }
        if (terminal()) {
            // A straggler after the end: the stored result must include it too.
            storedResult.storeAfterStraggler(driver);
        } else if (merged == IntervalMerger.Merged.NEXT_MAY_BE_COMPLETE) {
            showSoon.request(driver);
        }
    }

    /** Writes the run's record; called under the lock before any change is acted on. */
    synchronized void persist() {
        recordDirty = false;
        if (!leading || deposed()) {
            return;
        }
        store.saveRecord(new RunRecord(
                id,
                plan,
                spec.seed(),
                spec.startUnixNanos(),
                spec.graceNanos(),
                spec.heartbeatTimeoutNanos(),
                assignments.epoch(),
                state,
                endUnixNanos,
                stopRequestedUnixNanos,
                coordinatorId,
                notes,
                assignments.reslices(),
                takeovers,
                roster.records(),
                term));
    }

    /**
     * Stores the result as it stands now, for the last time: the run's data is being archived, and later
     * reports are refused rather than merged. Late reports still waiting for their sealed interval to be read back
     * are merged first (on the housekeeping thread, as a compaction pass would); those whose interval cannot be
     * read now are refused with that reason, so the result counts every report it does not hold.
     */
    public void archiveNow() {
        if (!deposed()) {
            try {
                compaction.mergeDeferred(clock.unixNanos());
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "run " + id + ": merging late reports before archiving failed", e);
            }
            int refused = compaction.refuseDeferred("the run was archived before this late report's interval could be"
                    + " read back from the run's replicated state");
            if (refused > 0) {
                LOG.warning(() -> "run " + id + ": " + refused + " late reports were refused at archiving: their"
                        + " intervals could not be read back from the store");
            }
        }
        storedResult.archive();
    }

    public RunResult result() {
        ResultBuilder result = new ResultBuilder(id, plan, spec.startUnixNanos())
                .state(state, endUnixNanos)
                .intervals(merger.mergedIntervals())
                .reslices(assignments.reslices())
                .takeovers(takeovers)
                .notes(notes)
                // Reports refused on arrival are counted by the coordinator that received them.
                .rejections(merger.rejectedReports(), merger.rejectionReasons());
        for (RejectionTally tally : store.rejections()) {
            result.rejections(tally.count(), tally.reasons());
        }
        for (AssignedWorker w : roster.all()) {
            result.worker(w, merger.intervalsReportedBy(w.workerId));
        }
        return result.build();
    }
}
