package io.salvo.coordinator.run;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.grpc.Status;
import io.grpc.StatusException;
import io.salvo.coordinator.clock.WallClock;
import io.salvo.coordinator.cluster.CoordinatorCluster;
import io.salvo.coordinator.cluster.RunRecord;
import io.salvo.coordinator.slicing.RegionSlicer;
import io.salvo.coordinator.slicing.SlicePlanner;
import io.salvo.coordinator.slicing.SlicePlanner.Participant;
import io.salvo.core.plan.PlanChecks;
import io.salvo.core.term.Terms;
import io.salvo.proto.v1.LeaderTerm;
import io.salvo.proto.v1.RequestHeaderSets;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.Slice;
import io.salvo.proto.v1.StartRunResponse;
import io.salvo.proto.v1.TermRefused;
import io.salvo.proto.v1.UpdateRequestHeadersResponse;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs on the coordinator cluster. The leader starts runs on idle workers (wherever they are
 * connected) and drives them: slicing, synchronized start, ticking the merger, re-slicing. Every
 * coordinator answers for every run from the replicated state. When the leader leaves, the next
 * oldest coordinator {@linkplain #takeOver() takes over} the run in progress.
 * One run at a time per cluster; finished runs stay queryable.
 */
public final class RunManager implements WorkerDirectory.Listener {

    private static final Logger LOG = Logger.getLogger(RunManager.class.getName());

    private final WorkerDirectory workers;
    private final WallClock clock;
    private final ScheduledExecutorService ticker;

    private final RunSettings settings;
    private final CoordinatorCluster cluster;
    private final String coordinatorId;
    /** Runs this coordinator leads or led. */
    private final Map<String, Run> runs = new ConcurrentHashMap<>();

    private final SecureRandom random = new SecureRandom();
    private volatile Run active;
    private final RunArchive archive;
    /** Where runs compact their reports and ended runs are archived: one task at a time, off the ticker. */
    private final Executor housekeeping;

    /**
     * @param clock         the coordinator's wall clock; runs read every instant from it
     * @param ticker        drives runs (ticks, shows) and schedules archiving; runs' deadlines are its delays
     * @param clusterEvents where a leadership change is acted on, in order with the cluster's other events
     * @param archiver      where ended runs are archived (one at a time is enough)
     */
    public RunManager(
            WorkerDirectory workers,
            WallClock clock,
            ScheduledExecutorService ticker,
            Executor clusterEvents,
            Executor archiver,
            RunSettings settings,
            CoordinatorCluster cluster,
            String coordinatorId) {
        this.workers = workers;
        this.clock = clock;
        this.ticker = ticker;
        this.settings = settings;
        this.cluster = cluster;
        this.coordinatorId = coordinatorId;
        this.housekeeping = archiver;
        this.archive = new RunArchive(
                cluster, clock, ticker, archiver, settings.finishedRunRetention(), coordinatorId, runs, this::copyOf);
        workers.listener(this);
        cluster.onLeadershipGained(() -> clusterEvents.execute(this::takeOver));
        cluster.onLeadershipLost(() -> clusterEvents.execute(() -> deposeAll("a coordinator older than this one "
                + "leads the cluster again (a partition between coordinators healed)")));
        cluster.terms().addEntryListener(new TermListener(), true);
        cluster.onMemberJoined(() -> clusterEvents.execute(this::reconcileTerms));
        cluster.onMerged(() -> clusterEvents.execute(this::mergedAway));
        cluster.heals().addMessageListener(message -> clusterEvents.execute(this::reconcileAfterHeal));
        cluster.stopRequests().addEntryListener(new StopListener(), true);
        cluster.headerSets().addEntryListener(new HeaderSetsListener(), true);
    }

    public String coordinatorId() {
        return coordinatorId;
    }

    public boolean leader() {
        return cluster.isLeader();
    }

    /**
     * Waits for {@code plan.worker_count} idle workers, slices the rate among them and sends each its
     * assignment with a start instant {@link RunSettings#startLead()} ahead.
     */
    public StartRunResponse start(RunPlan plan, Duration workerWait) throws StatusException, InterruptedException {
        String problem = PlanChecks.problem(plan);
        if (problem != null) {
            throw Status.INVALID_ARGUMENT.withDescription(problem).asException();
        }
        synchronized (this) {
            if (!cluster.isLeader()) {
                throw notLeader();
            }
            if (active != null && !active.terminal()) {
                throw Status.FAILED_PRECONDITION
                        .withDescription("run " + active.id() + " is still in progress")
                        .asException();
            }
            int needed = plan.getWorkerCount();
            List<? extends WorkerChannel> chosen;
            if (plan.getRegionsCount() == 0) {
                List<? extends WorkerChannel> idle = workers.awaitIdle(needed, workerWait.toMillis());
                if (idle.size() < needed) {
                    throw Status.UNAVAILABLE
                            .withDescription("only " + idle.size() + " of " + needed
                                    + " workers connected and idle after " + workerWait.toSeconds() + " s")
                            .asException();
                }
                chosen = idle.subList(0, needed);
            } else {
                List<? extends WorkerChannel> idle = workers.awaitIdle(
                        available -> RegionPick.choose(plan, available).enough(), workerWait.toMillis());
                RegionPick.Outcome pick = RegionPick.choose(plan, idle);
                if (!pick.enough()) {
                    throw Status.UNAVAILABLE
                            .withDescription(pick.shortfall() + " after " + workerWait.toSeconds()
                                    + " s (idle workers by region: " + RegionPick.idleByRegion(idle) + ")")
                            .asException();
                }
                chosen = pick.chosen();
            }
            awaitClockEstimates(chosen);

            List<Participant> participants = new ArrayList<>();
            for (WorkerChannel s : chosen) {
                participants.add(
                        new Participant(s.workerId(), s.weight(), s.hello().getRegion()));
            }
            long seed = plan.getSeed() != 0 ? plan.getSeed() : random.nextLong();
            RegionSlicer.Layout layout = RegionSlicer.Layout.of(plan.getRegionsList());
            Map<String, Slice> slices = layout == null
                    ? SlicePlanner.plan(participants, seed)
                    : RegionSlicer.plan(layout, participants, Map.of(), layout.regions(), seed);

            long maxRoundTrip = chosen.stream()
                    .mapToLong(WorkerChannel::clockRoundTripNanos)
                    .max()
                    .orElse(0);
            long start = clock.unixNanos() + settings.startLead().toNanos() + Math.max(0, maxRoundTrip);
            String runId = newRunId();
            long heartbeatTimeout =
                    Math.max(settings.heartbeatTimeout().toNanos(), 2L * plan.getIntervalMillis() * 1_000_000L);
            Run run = Run.create(
                    new RunSpec(
                            runId,
                            plan,
                            seed,
                            start,
                            settings.grace().toNanos(),
                            heartbeatTimeout,
                            settings.stopTimeout().toNanos(),
                            settings.compactionMarginNanos()),
                    clock,
                    cluster.runStore(runId),
                    coordinatorId);
            StartRunResponse.Builder response =
                    StartRunResponse.newBuilder().setRunId(runId).setStartUnixNanos(start);
            for (WorkerChannel s : chosen) {
                run.assign(s, slices.get(s.workerId()));
                response.addWorkerIds(s.workerId());
            }
            run.leadUnder(cluster.leaderTerm(LeaderTerm.getDefaultInstance()));
            // Listen before anyone can report, and persist before anyone is told.
            follow(run);
            run.persist();
            runs.put(runId, run);
            active = run;
            run.sendAssignments();
            scheduleTicks(run);
            LOG.info(() -> "run " + runId + " '" + plan.getName() + "' assigned to " + chosen.size() + " workers");
            return response.build();
        }
    }

    private StatusException notLeader() {
        String leader = cluster.coordinators().get(cluster.leaderMemberId());
        return Status.UNAVAILABLE
                .withDescription("coordinator " + coordinatorId + " is a follower; runs start on the "
                        + "cluster's leader" + (leader == null ? "" : ", " + leader))
                .asException();
    }

    /** Routes the run's replicated reports and worker events to it, whoever received them. */
    private void follow(Run run) {
        cluster.reports(run.id())
                .addEntryListener(
                        (EntryAddedListener<String, byte[]>) e -> {
                            // Most of these the leader stored itself after merging them: known by the key alone,
                            // so the value is not even copied out of the event.
                            if (!run.inbox().mergedAlready(e.getKey())) {
                                run.inbox().storedReport(e.getKey(), e.getValue());
                            }
                        },
                        true);
        cluster.workerEvents(run.id())
                .addEntryListener(
                        (EntryAddedListener<String, byte[]>) e -> run.inbox().storedEvent(e.getKey(), e.getValue()),
                        true);
    }

    /**
     * The run this coordinator leads, for merging the reports its own streams deliver as they
     * arrive; null when another coordinator leads it (or nobody here knows it).
     */
    public Run ledRun(String runId) {
        Run run = runs.get(runId);
        return run != null && run.leading() && !run.deposed() && cluster.isLeader() ? run : null;
    }

    /**
     * A member joined, or this side of a partition merged with the other: when the cluster's state holds a term
     * higher than this leader's (the other side led under it), the runs led here under the lower term are deposed
     * and taken over again under a term above both, from the merged state.
     */
    private void reconcileTerms() {
        if (!cluster.isLeader()) {
            return;
        }
        LeaderTerm highest = LeaderTerm.getDefaultInstance();
        for (byte[] bytes : cluster.terms().values()) {
            highest = Terms.max(highest, CoordinatorCluster.parseTerm(bytes));
        }
        heardOfTerm(highest);
        boolean anyDeposed = runs.values().stream().anyMatch(r -> r.deposed() && !r.terminal());
        if (anyDeposed) {
            takeOver();
        }
    }

    /**
     * This coordinator's side of a partition merged into the other side: whatever it led or ended on its own is stale
     * (the merged state holds the higher term's record). It stops driving every run and forgets its own copies, so
     * that it answers for a run from the merged state from now on, as any follower does.
     */
    private synchronized void mergedAway() {
        deposeAll("this coordinator's side of a partition merged into the other side");
        runs.clear();
        active = null;
    }

    /**
     * A member of the other side of a healed partition finished merging its entries into this side (it announced
     * it on {@code salvo.heals}). The leader reconciles: runs led here under a term lower than one the other side
     * took are deposed and taken over again under a term above both (from the record the merge kept: the higher
     * term's); a run whose merged record has not ended loses a final result one side stored on its own (its leader
     * stores the real one when the run ends).
     */
    synchronized void reconcileAfterHeal() {
        if (!cluster.isLeader()) {
            return;
        }
        LOG.warning(() -> "coordinator " + coordinatorId + ": a partition healed; reconciling the merged state");
        reconcileTerms();
        for (Map.Entry<String, byte[]> e : cluster.runs().entrySet()) {
            RunRecord record;
            try {
                record = RunRecord.decode(e.getValue());
            } catch (RuntimeException ex) {
                continue;
            }
            if (!record.terminal() && cluster.results().remove(e.getKey()) != null) {
                LOG.warning(() -> "run " + e.getKey() + ": dropped a result stored by the other side of the partition; "
                        + "the run goes on under term " + Terms.describe(record.term()));
            }
            Run known = runs.get(record.runId());
            if (!record.terminal() && known != null && Terms.lower(known.term(), record.term())) {
                known.depose("the merged state holds the run under the higher term " + Terms.describe(record.term()));
            }
        }
        takeOver();
    }

    /** Stops driving every run led here: another coordinator leads under a higher term. */
    private void deposeAll(String why) {
        for (Run run : runs.values()) {
            run.depose(why);
        }
    }

    /**
     * A worker refused a message of this coordinator because it has seen a higher term: recorded for the cluster
     * (every coordinator of this side learns it through {@code salvo.terms}) and acted on here at once.
     */
    public void termRefused(String workerId, TermRefused refused) {
        LeaderTerm highest = refused.getHighest();
        LOG.warning(() -> "worker " + workerId + " refused term " + Terms.describe(refused.getRefused()) + " of run "
                + refused.getRunId() + "; it has seen term " + Terms.describe(highest));
        heardOfTerm(highest);
        try {
            cluster.learnedTerm(highest);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not record the learned term", e);
        }
    }

    /** Deposes every run led here under a lower term than {@code other}, when another member took {@code other}. */
    private void heardOfTerm(LeaderTerm other) {
        if (!Terms.isSet(other) || other.getMemberId().equals(cluster.memberId())) {
            return;
        }
        for (Run run : runs.values()) {
            if (Terms.lower(run.term(), other)) {
                run.depose("coordinator member " + other.getMemberId() + " leads under the higher term "
                        + Terms.describe(other));
            }
        }
    }

    private final class TermListener
            implements EntryAddedListener<String, byte[]>, EntryUpdatedListener<String, byte[]> {
        @Override
        public void entryAdded(EntryEvent<String, byte[]> event) {
            heardOfTerm(CoordinatorCluster.parseTerm(event.getValue()));
        }

        @Override
        public void entryUpdated(EntryEvent<String, byte[]> event) {
            heardOfTerm(CoordinatorCluster.parseTerm(event.getValue()));
        }
    }

    /** Drives the run from now on; a taken-over run only once it knows what the old leader showed. */
    private void scheduleTicks(Run run) {
        run.driveOn(ticker);
        // Of two sides of a partition, the leader that sees fewer members than it began with stops compacting: only
        // one side compacts an interval, and the heal's union of the two sides' reports stays exact.
        int members = cluster.memberIds().size();
        run.compactOn(housekeeping, () -> cluster.memberIds().size() >= members);
        long tickMillis = settings.tick().toMillis();
        // tickSafely logs its own failures and ends the task (by throwing) once the run is over
        ScheduledFuture<?> unused =
                ticker.scheduleAtFixedRate(() -> tickSafely(run), tickMillis, tickMillis, TimeUnit.MILLISECONDS);
    }

    private void tickSafely(Run run) {
        if (run.deposed()) {
            throw new CancellationSignal();
        }
        if (run.terminal()) {
            archive.scheduleArchive(run.id(), run.endUnixNanos());
            throw new CancellationSignal();
        }
        try {
            run.tick(clock.unixNanos());
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "run " + run.id() + ": tick failed", e);
        }
    }

    /** Thrown from a periodic task to cancel it once its run is over. */
    private static final class CancellationSignal extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CancellationSignal() {
            super(null, null, false, false);
        }
    }

    /** Real time, not the clock's: the replies come over the network. */
    private void awaitClockEstimates(List<? extends WorkerChannel> sessions) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        for (WorkerChannel s : sessions) {
            while (s.clockSamples() < settings.minClockSamples() && System.nanoTime() < deadline) {
                s.sendClockProbeNow(clock.unixNanos());
                Thread.sleep(20);
            }
        }
    }

    private String newRunId() {
        return String.format("run-%d-%04x", clock.unixNanos() / 1_000_000_000L, random.nextInt(0x10000));
    }

    /**
     * This coordinator became the leader because the old one left: every run that has not ended is
     * restored from the replicated state (same id, start instant, epoch) and carried on. Workers that
     * were connected to the old leader reconnect here; the run waits a reconnect window for them.
     */
    synchronized void takeOver() {
        if (!cluster.isLeader()) {
            return;
        }
        LOG.warning(() -> "coordinator " + coordinatorId + " is now the leader; taking over unfinished runs");
        try {
            takeOverRuns();
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "taking over the runs failed", e);
        }
    }

    private void takeOverRuns() {
        for (Map.Entry<String, byte[]> e : cluster.runs().entrySet()) {
            RunRecord record;
            try {
                record = RunRecord.decode(e.getValue());
            } catch (RuntimeException ex) {
                LOG.log(Level.SEVERE, "run " + e.getKey() + " has an unreadable record; not taken over", ex);
                continue;
            }
            if (record.terminal()) {
                // The old leader may have left before it archived the run, or between its two steps.
                archive.resume(record);
                continue;
            }
            Run known = runs.get(record.runId());
            // A run this side ended on its own while the other side, under a higher term, carries it on (the merged
            // record says so) is taken over again.
            boolean endedHereOnly = known != null && known.terminal() && Terms.lower(known.term(), record.term());
            if (known != null && !known.deposed() && !endedHereOnly) {
                continue;
            }
            Run run = restore(record, true);
            // A term above the record's and every term this side of the cluster has seen, before anything is sent.
            run.leadUnder(cluster.leaderTerm(record.term()));
            follow(run);
            long restored = run.replay();
            run.tookOver(record.leaderCoordinatorId(), restored);
            runs.put(run.id(), run);
            active = run;
            for (WorkerChannel s : workers.all()) {
                if (!s.closed() && run.hasWorker(s.workerId())) {
                    run.attach(s);
                }
            }
            RequestHeaderSets headerSets = storedHeaderSets(run.id());
            if (headerSets != null) {
                // Before the re-assignment: it gives every worker the newest sets the old leader was given.
                run.replaceHeaderSets(headerSets);
            }
            String stopReason = cluster.stopRequests().get(run.id());
            if (stopReason != null) {
                run.requestStop(stopReason, clock.unixNanos());
            }
            scheduleTicks(run);
        }
    }

    /** Whether the run ended and was archived: its per-interval data is gone or going, its result stays. */
    public boolean archived(String runId) {
        return archive.archived(runId);
    }

    @Override
    public void attached(WorkerChannel session) {
        Run run = active;
        if (!cluster.isLeader() || run == null || run.terminal() || session.closed()) {
            return;
        }
        if (run.hasWorker(session.workerId())) {
            run.attach(session);
        } else if (session.runId() == null) {
            // A worker replacing a lost one joins the run under way.
            run.offer(session);
        }
    }

    @Override
    public void streamClosed(WorkerChannel session) {
        Run run = active;
        if (cluster.isLeader() && run != null) {
            run.onStreamClosed(session);
        }
    }

    @Override
    public void holderLeft(WorkerChannel session) {
        Run run = active;
        if (cluster.isLeader() && run != null) {
            run.onHolderLeft(session);
        }
    }

    /** A run this coordinator leads or led. */
    public Optional<Run> run(String runId) {
        return Optional.ofNullable(runs.get(runId));
    }

    /** The run's record from the replicated state, whoever leads it. */
    public Optional<RunRecord> record(String runId) {
        if (runId.isEmpty() || runId.length() > 200) {
            return Optional.empty();
        }
        byte[] bytes = cluster.runs().get(runId);
        return bytes == null ? Optional.empty() : Optional.of(RunRecord.decode(bytes));
    }

    /**
     * The run's result on any coordinator: from the run itself where this coordinator leads it, the
     * stored final result once it ended, else rebuilt from the replicated reports.
     */
    public Optional<RunResult> result(String runId) throws StatusException {
        Run run = runs.get(runId);
        if (run != null && !run.deposed()) {
            return Optional.of(run.result());
        }
        Optional<RunRecord> record = record(runId);
        if (record.isEmpty()) {
            return Optional.empty();
        }
        byte[] stored = cluster.results().get(runId);
        if (stored != null) {
            try {
                return Optional.of(RunResult.parseFrom(stored));
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw Status.INTERNAL
                        .withDescription("the stored result of run " + runId + " is unreadable")
                        .asException();
            }
        }
        if (archived(runId)) {
            throw Status.INTERNAL
                    .withDescription("run " + runId + " is archived but its result is missing")
                    .asException();
        }
        return Optional.of(copyOf(record.get()).result());
    }

    /** The run as its record has it, for this coordinator to lead ({@code leading}) or to answer for. */
    private Run restore(RunRecord record, boolean leading) {
        return Run.restore(
                record,
                settings.stopTimeout().toNanos(),
                settings.compactionMarginNanos(),
                clock,
                cluster.runStore(record.runId()),
                coordinatorId,
                leading);
    }

    /** A run led elsewhere (or ended), rebuilt from the stored reports: it answers for its result. */
    private Run copyOf(RunRecord record) {
        Run copy = restore(record, false);
        copy.replay();
        return copy;
    }

    /** Stops a run wherever it is led: the request is replicated and the leader acts on it. */
    public void stop(String runId, String reason) throws StatusException {
        if (record(runId).isEmpty()) {
            throw Status.NOT_FOUND
                    .withDescription("no run with id '" + runId + "'")
                    .asException();
        }
        cluster.stopRequests().set(runId, reason);
        Run run = runs.get(runId);
        if (run != null && cluster.isLeader()) {
            run.requestStop(reason, clock.unixNanos());
        }
    }

    /**
     * Replaces the header sets of a running run's requests wherever it is led: the highest generation pushed is kept
     * in the replicated state (a lower or equal one leaves it as it is), and the run's leader sends it to the workers.
     *
     * @return the run's generation after the call and whether {@code sets} became it
     * @throws StatusException NOT_FOUND for an unknown run, FAILED_PRECONDITION for one that has ended or for sets
     *                         without a generation
     */
    public UpdateRequestHeadersResponse updateRequestHeaders(String runId, RequestHeaderSets sets)
            throws StatusException {
        Optional<RunRecord> record = record(runId);
        if (record.isEmpty()) {
            throw Status.NOT_FOUND
                    .withDescription("no run with id '" + runId + "'")
                    .asException();
        }
        if (sets.getGeneration() == 0) {
            throw Status.INVALID_ARGUMENT
                    .withDescription("header sets need a generation above 0")
                    .asException();
        }
        if (record.get().terminal()) {
            throw Status.FAILED_PRECONDITION
                    .withDescription("run " + runId + " has ended; its request headers can no longer change")
                    .asException();
        }
        long planGeneration = record.get().plan().getRequest().getHeaderSets().getGeneration();
        var map = cluster.headerSets();
        byte[] encoded = sets.toByteArray();
        while (true) {
            byte[] stored = map.get(runId);
            long current = stored == null ? planGeneration : decode(stored).getGeneration();
            if (sets.getGeneration() <= current) {
                return UpdateRequestHeadersResponse.newBuilder()
                        .setGeneration(current)
                        .setApplied(false)
                        .build();
            }
            boolean swapped =
                    stored == null ? map.putIfAbsent(runId, encoded) == null : map.replace(runId, stored, encoded);
            if (swapped) {
                break;
            }
        }
        Run run = runs.get(runId);
        if (run != null && cluster.isLeader()) {
            run.replaceHeaderSets(sets);
        }
        return UpdateRequestHeadersResponse.newBuilder()
                .setGeneration(sets.getGeneration())
                .setApplied(true)
                .build();
    }

    /** The newest header sets pushed for a run, or null when none was. */
    private RequestHeaderSets storedHeaderSets(String runId) {
        byte[] stored = cluster.headerSets().get(runId);
        return stored == null ? null : decode(stored);
    }

    private static RequestHeaderSets decode(byte[] stored) {
        try {
            return RequestHeaderSets.parseFrom(stored);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalStateException("unreadable header sets in the replicated state", e);
        }
    }

    private final class HeaderSetsListener
            implements EntryAddedListener<String, byte[]>, EntryUpdatedListener<String, byte[]> {
        @Override
        public void entryAdded(EntryEvent<String, byte[]> event) {
            apply(event);
        }

        @Override
        public void entryUpdated(EntryEvent<String, byte[]> event) {
            apply(event);
        }

        private void apply(EntryEvent<String, byte[]> event) {
            Run run = runs.get(event.getKey());
            if (run != null && cluster.isLeader()) {
                run.replaceHeaderSets(decode(event.getValue()));
            }
        }
    }

    private final class StopListener
            implements EntryAddedListener<String, String>, EntryUpdatedListener<String, String> {
        @Override
        public void entryAdded(EntryEvent<String, String> event) {
            apply(event);
        }

        @Override
        public void entryUpdated(EntryEvent<String, String> event) {
            apply(event);
        }

        private void apply(EntryEvent<String, String> event) {
            Run run = runs.get(event.getKey());
            if (run != null && cluster.isLeader()) {
                run.requestStop(event.getValue(), clock.unixNanos());
            }
        }
    }
}
