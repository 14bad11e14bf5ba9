package io.salvo.worker.link;

import io.salvo.core.rate.RateProfile;
import io.salvo.proto.v1.ArrivalProcess;
import io.salvo.proto.v1.Assignment;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.RunPlan;
import io.salvo.worker.engine.EngineSettings;
import io.salvo.worker.engine.LoadEngine;
import io.salvo.worker.recording.IntervalRecorder;
import io.salvo.worker.schedule.ArrivalSchedule;
import io.salvo.worker.schedule.ConstantSliceSchedule;
import io.salvo.worker.schedule.PoissonSliceSchedule;
import io.salvo.worker.schedule.SliceSegment;
import io.vertx.core.Vertx;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One assignment being carried out: its recorder, its engine, and which interval is reported next.
 * Confined to the agent's link thread, except the engine, which is thread-safe.
 */
final class RunSession {

    /** The epoch of a run's first assignments (the coordinator counts from 1); re-slices raise it. */
    static final long FIRST_EPOCH = 1;

    final String runId;
    final RunPlan plan;
    final EngineSettings settings;
    final IntervalRecorder recorder;
    final LoadEngine engine;
    final long startNanos;
    final long profileEndNanos;
    long epoch;
    long nextReportIndex;
    long totalSent;
    long totalCompleted;
    boolean stopping;
    boolean finished;

    private RunSession(
            String runId,
            long epoch,
            RunPlan plan,
            EngineSettings settings,
            IntervalRecorder recorder,
            LoadEngine engine,
            long startNanos,
            long profileEndNanos) {
        this.runId = runId;
        this.epoch = epoch;
        this.plan = plan;
        this.settings = settings;
        this.recorder = recorder;
        this.engine = engine;
        this.startNanos = startNanos;
        this.profileEndNanos = profileEndNanos;
    }

    /**
     * Starts the engine for an assignment whose interval 0 begins at {@code startNanos}
     * ({@link System#nanoTime()} clock).
     */
    static RunSession start(Vertx vertx, Assignment assignment, long startNanos, int lanes) {
        RunPlan plan = assignment.getPlan();
        EngineSettings settings = EngineSettings.of(plan);
        RateProfile profile = RateProfile.of(plan.getPhasesList());
        SliceSegment segment = SliceSegment.of(assignment.getSlice());
        // A worker that joins a run already under way (a replacement after a loss, epoch above the first) takes
        // its slice from now on: until the re-slice the other workers' slices covered that past, and sending it at
        // once would be a burst nobody planned. A first-epoch assignment that arrives after the start (a slow link,
        // a loaded machine) is different: its slice was this worker's from interval 0, nobody else sends that past,
        // so the worker starts at 0 and sends the overdue requests at once, late, with their lag and latency
        // measured from their intended times, as after any scheduler stall; dropping them would leave them out of
        // the run's intended count altogether.
        long lateByNanos = Math.max(0, System.nanoTime() - startNanos);
        long joinedAtNanos = assignment.getEpoch() > FIRST_EPOCH ? lateByNanos : 0;
        ArrivalSchedule schedule;
        if (plan.getArrival() == ArrivalProcess.ARRIVAL_PROCESS_POISSON) {
            schedule = joinedAtNanos == 0
                    ? PoissonSliceSchedule.fromStart(profile, segment, seedOf(assignment))
                    : PoissonSliceSchedule.from(profile, segment, seedOf(assignment), joinedAtNanos);
        } else {
            schedule = joinedAtNanos == 0
                    ? ConstantSliceSchedule.fromStart(profile, segment)
                    : ConstantSliceSchedule.from(profile, segment, joinedAtNanos);
        }
        IntervalRecorder recorder = new IntervalRecorder(
                startNanos,
                settings.intervalNanos(),
                settings.lateSendThresholdNanos(),
                settings.capturedHeaders(),
                System::nanoTime);
        LoadEngine engine = LoadEngine.start(vertx, plan.getRequest(), settings, schedule, startNanos, recorder, lanes);
        RunSession session = new RunSession(
                assignment.getRunId(),
                assignment.getEpoch(),
                plan,
                settings,
                recorder,
                engine,
                startNanos,
                startNanos + profile.durationNanos());
        session.nextReportIndex = joinedAtNanos / settings.intervalNanos();
        return session;
    }

    /** The slice's seed, else one derived from the plan's seed, else a random one (0 means random). */
    static long seedOf(Assignment assignment) {
        if (assignment.getSlice().getSeed() != 0) {
            return assignment.getSlice().getSeed();
        }
        if (assignment.getPlan().getSeed() != 0) {
            return assignment.getPlan().getSeed() * 0x9E3779B97F4A7C15L
                    + assignment.getSlice().getSegmentStart();
        }
        return ThreadLocalRandom.current().nextLong();
    }

    /** Harvests interval {@code index} and stamps it with this run's identity. */
    IntervalReport harvest(long index, String workerId) {
        IntervalReport report = recorder.harvest(index).toBuilder()
                .setRunId(runId)
                .setWorkerId(workerId)
                .setEpoch(epoch)
                .build();
        totalSent += report.getSent();
        totalCompleted += report.getCompleted();
        nextReportIndex = index + 1;
        return report;
    }
}
