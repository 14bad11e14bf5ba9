package io.salvo.worker.link;

import io.salvo.core.term.Terms;
import io.salvo.proto.v1.Assignment;
import io.salvo.proto.v1.LeaderTerm;
import io.salvo.proto.v1.RequestHeaderSets;
import io.salvo.proto.v1.RequestHeadersUpdate;
import io.salvo.proto.v1.StopRun;
import io.salvo.proto.v1.TermRefused;
import io.salvo.proto.v1.WorkerEvent;
import io.salvo.proto.v1.WorkerFinished;
import io.salvo.proto.v1.WorkerMessage;
import io.salvo.worker.schedule.SliceSegment;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Carries out the coordinator's assignments: starts a {@link RunSession} at the assignment's start instant, applies a
 * higher epoch of the same run as a re-slice, reports each interval once it has ended, stops on {@link StopRun} (or
 * when requests outlive the profile by far), and reports the last, partial interval and the totals at the end.
 *
 * <p>Assumptions and guarantees: confined to the agent's link thread (which runs the scheduled reports), except
 * {@link #inFlight()}, which any thread may call. Reports and events go out through {@link LinkOutbound}, which keeps
 * them during an outage.
 */
final class RunDriver {

    // Under the agent's name, as before this class was split from it: worker logs show the logger name.
    private static final Logger LOG = Logger.getLogger(WorkerAgent.class.getName());
    /** Reports wait this long after their interval's end so completions at the boundary are in. */
    static final long REPORT_GRACE_NANOS = 20_000_000L;

    private static final long MAX_STOP_GRACE_NANOS = 2_000_000_000L;

    private final WorkerOptions options;
    private final ScheduledExecutorService link;
    private final LinkOutbound outbound;
    private final Supplier<Vertx> vertx;

    // Volatile: also read by the heartbeat thread.
    private volatile RunSession session;
    private String lastFinishedRunId;
    /** The highest coordinator term seen: assignments and stops from a lower one are refused. */
    private final TermFence fence = new TermFence();
    /** The term of the assignment the current session last applied. */
    private LeaderTerm appliedTerm = LeaderTerm.getDefaultInstance();
    /** The fence's highest term, published for other threads. */
    private volatile LeaderTerm highestTermSeen = LeaderTerm.getDefaultInstance();

    private final AtomicLong termRefusals = new AtomicLong();

    RunDriver(WorkerOptions options, ScheduledExecutorService link, LinkOutbound outbound, Supplier<Vertx> vertx) {
        this.options = options;
        this.link = link;
        this.outbound = outbound;
        this.vertx = vertx;
    }

    /** The run carried out now or last, or null before the first assignment. */
    RunSession session() {
        return session;
    }

    /** Requests the current run has in flight (0 between runs). */
    long inFlight() {
        RunSession current = session;
        return current == null || current.finished ? 0 : current.engine.outstanding();
    }

    void onAssignment(Assignment assignment) {
        if (!fence.admit(assignment.getTerm())) {
            refuse(assignment.getRunId(), assignment.getTerm());
            return;
        }
        highestTermSeen = fence.highest();
        if (session != null && !session.finished && session.runId.equals(assignment.getRunId())) {
            // Whatever its epoch, an assignment carries the coordinator's current header sets: a worker that missed an
            // update (a reconnect, a takeover) catches up here; an older generation is ignored.
            replaceHeaders(session, assignment.getPlan().getRequest().getHeaderSets());
            // A higher term supersedes whatever epoch a lower one reached (both sides of a partition count epochs).
            if (assignment.getEpoch() > session.epoch || Terms.lower(appliedTerm, assignment.getTerm())) {
                session.epoch = assignment.getEpoch();
                appliedTerm = assignment.getTerm();
                session.engine.reslice(SliceSegment.of(assignment.getSlice()), RunSession.seedOf(assignment));
                LOG.log(Level.INFO, "run {0}: slice replaced by epoch {1}", new Object[] {
                    session.runId, assignment.getEpoch()
                });
            }
            return; // an older or repeated epoch
        }
        if (assignment.getRunId().equals(lastFinishedRunId)) {
            return; // re-sent after a reconnect; this worker has finished it
        }
        if (session != null && !session.finished) {
            LOG.log(Level.WARNING, "run {0} replaced by run {1} before it finished", new Object[] {
                session.runId, assignment.getRunId()
            });
            stopRun(0);
        }
        try {
            long localStartUnixNanos =
                    assignment.getStartCoordinatorUnixNanos() + assignment.getWorkerClockOffsetNanos();
            if (localStartUnixNanos - LinkOutbound.unixNanos() > 300_000_000L) {
                // Collect now, while the start is still far: a young-generation pause inside the run's
                // first second would show up as scheduler lag exactly where cold starts are measured.
                System.gc();
            }
            // Convert to the monotonic clock once; all scheduling from here on is on nanoTime.
            long startNanos = System.nanoTime() + (localStartUnixNanos - LinkOutbound.unixNanos());
            RunSession started = RunSession.start(vertx.get(), assignment, startNanos, options.eventLoopLanes());
            session = started;
            appliedTerm = assignment.getTerm();
            scheduleReport(started);
            // only hands the work to the link thread, which cannot fail here
            CompletableFuture<Void> unused =
                    started.engine.finished().thenRun(() -> onLinkThread(() -> finishRun(started)));
            // If requests outlive the profile beyond their timeout (a stuck connection), stop anyway.
            long watchdogNanos = started.profileEndNanos
                    + started.settings.requestTimeoutNanos()
                    + 2_000_000_000L
                    - System.nanoTime();
            ScheduledFuture<?> unusedWatchdog = link.schedule(
                    () -> {
                        if (session == started && !started.finished && !started.stopping) {
                            stopRun(0);
                        }
                    },
                    watchdogNanos,
                    TimeUnit.NANOSECONDS);
            LOG.log(Level.INFO, "run {0} epoch {1}: starting in {2} ms", new Object[] {
                assignment.getRunId(), assignment.getEpoch(), (startNanos - System.nanoTime()) / 1_000_000
            });
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "cannot run assignment " + assignment.getRunId(), e);
            outbound.send(WorkerMessage.newBuilder()
                    .setEvent(WorkerEvent.newBuilder()
                            .setRunId(assignment.getRunId())
                            .setFailed(
                                    "worker " + options.workerId() + " cannot run the assignment: " + e.getMessage()))
                    .build());
        }
    }

    void onStop(StopRun stop) {
        if (!fence.admit(stop.getTerm())) {
            refuse(stop.getRunId(), stop.getTerm());
            return;
        }
        highestTermSeen = fence.highest();
        if (session != null && !session.finished && session.runId.equals(stop.getRunId())) {
            LOG.log(Level.INFO, "run {0} stopped by the coordinator: {1}", new Object[] {
                stop.getRunId(), stop.getReason()
            });
            stopRun(Math.min(session.settings.requestTimeoutNanos(), MAX_STOP_GRACE_NANOS));
        }
    }

    /**
     * New header sets for the current run's requests (renewed signatures or tokens): applied when their generation is
     * above the run's, ignored otherwise (a repeat, or one overtaken by a later update or assignment).
     */
    void onRequestHeadersUpdate(RequestHeadersUpdate update) {
        if (session != null && !session.finished && session.runId.equals(update.getRunId())) {
            replaceHeaders(session, update.getHeaderSets());
        }
    }

    private void replaceHeaders(RunSession run, RequestHeaderSets headerSets) {
        long had = run.engine.headerGeneration();
        try {
            if (run.engine.replaceHeaders(headerSets)) {
                // Names only: the values are credentials.
                LOG.log(Level.INFO, "run {0}: request headers replaced, generation {1} -> {2}", new Object[] {
                    run.runId, had, headerSets.getGeneration()
                });
            }
        } catch (IllegalArgumentException e) {
            outbound.send(WorkerMessage.newBuilder()
                    .setEvent(WorkerEvent.newBuilder()
                            .setRunId(run.runId)
                            .setWarning("worker " + options.workerId() + " kept the request headers of generation "
                                    + had + ": generation " + headerSets.getGeneration() + " is malformed: "
                                    + e.getMessage()))
                    .build());
        }
    }

    /** Tells the coordinator that sent a message of a lower term than the highest seen that another one leads. */
    private void refuse(String runId, LeaderTerm term) {
        termRefusals.incrementAndGet();
        LOG.log(
                Level.WARNING,
                "run {0}: refused a message of coordinator term {1}; the highest seen is {2}",
                new Object[] {runId, Terms.describe(term), Terms.describe(fence.highest())});
        outbound.send(WorkerMessage.newBuilder()
                .setTermRefused(TermRefused.newBuilder()
                        .setRunId(runId)
                        .setRefused(term)
                        .setHighest(fence.highest()))
                .build());
    }

    /** The highest coordinator term this worker has seen (unset before any). */
    LeaderTerm highestTerm() {
        return fence.highest();
    }

    /** {@link #highestTerm()} for any thread. */
    LeaderTerm highestTermSeen() {
        return highestTermSeen;
    }

    /** Messages refused for a lower term, for any thread. */
    long termRefusals() {
        return termRefusals.get();
    }

    /** The agent shuts down: the current run ends at once, without reports. */
    void abandon() {
        if (session != null && !session.finished) {
            session.engine.stop(0);
            session.engine.close();
        }
    }

    private void scheduleReport(RunSession run) {
        long index = run.nextReportIndex;
        long delay = run.recorder.intervalEndNanos(index) + REPORT_GRACE_NANOS - System.nanoTime();
        ScheduledFuture<?> unused = link.schedule(
                () -> {
                    if (session != run || run.finished || run.nextReportIndex != index) {
                        return;
                    }
                    outbound.send(WorkerMessage.newBuilder()
                            .setIntervalReport(run.harvest(index, options.workerId()))
                            .build());
                    scheduleReport(run);
                },
                delay,
                TimeUnit.NANOSECONDS);
    }

    private void stopRun(long graceNanos) {
        RunSession run = session;
        run.stopping = true;
        run.engine.stop(graceNanos);
        if (run.engine.finished().isDone()) {
            finishRun(run);
        }
    }

    /** Everything is accounted for: report up to the current (partial) interval, then finished. */
    private void finishRun(RunSession run) {
        if (run.finished) {
            return;
        }
        long last = Math.max(run.nextReportIndex, run.recorder.intervalIndexAt(System.nanoTime()));
        for (long index = run.nextReportIndex; index <= last; index++) {
            outbound.send(WorkerMessage.newBuilder()
                    .setIntervalReport(run.harvest(index, options.workerId()))
                    .build());
        }
        run.finished = true;
        lastFinishedRunId = run.runId;
        outbound.send(WorkerMessage.newBuilder()
                .setEvent(WorkerEvent.newBuilder()
                        .setRunId(run.runId)
                        .setFinished(WorkerFinished.newBuilder()
                                .setLastIntervalIndex(last)
                                .setTotalSent(run.totalSent)
                                .setTotalCompleted(run.totalCompleted)))
                .build());
        run.engine.close();
        LOG.log(Level.INFO, "run {0} finished: {1} sent, {2} completed", new Object[] {
            run.runId, run.totalSent, run.totalCompleted
        });
    }

    /** Runs {@code task} on the link thread unless the agent has shut down. */
    private void onLinkThread(Runnable task) {
        try {
            link.execute(task);
        } catch (RejectedExecutionException e) {
            // closed: nothing is to be done any more
        }
    }
}
