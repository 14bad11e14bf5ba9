package io.salvo.coordinator.run;

import io.salvo.coordinator.clock.WallClock;
import io.salvo.coordinator.server.WorkerRegistry;
import io.salvo.coordinator.server.WorkerSession;
import io.salvo.coordinator.slicing.SlicePlanner;
import io.salvo.coordinator.slicing.SlicePlanner.Participant;
import io.salvo.proto.v1.Assignment;
import io.salvo.proto.v1.CoordinatorMessage;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.Slice;
import io.salvo.proto.v1.StartRunResponse;
import io.grpc.Status;
import io.grpc.StatusException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Starts runs on idle workers and drives them: slicing, synchronized start, ticking the merger.
 * One run at a time per coordinator; finished runs stay queryable.
 */
public final class RunManager {

    private static final Logger LOG = Logger.getLogger(RunManager.class.getName());

    /** Tunables with defaults fit for loopback and LAN clusters. */
    public record Settings(Duration startLead, Duration grace, Duration heartbeatTimeout, Duration tick,
            int minClockSamples) {
        public static Settings defaults() {
            // A worker silent for two intervals is lost; at least 3 s (three missed 1 s heartbeats), so
            // a JVM pause on a loaded machine is not mistaken for a crash. A broken stream is detected at once.
            return new Settings(Duration.ofMillis(1000), Duration.ofMillis(1500), Duration.ofSeconds(3),
                    Duration.ofMillis(50), 3);
        }
    }

    private final WorkerRegistry registry;
    private final WallClock clock;
    private final ScheduledExecutorService ticker;
    private final Settings settings;
    private final Map<String, Run> runs = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private volatile Run active;

    public RunManager(WorkerRegistry registry, WallClock clock, ScheduledExecutorService ticker, Settings settings) {
        this.registry = registry;
        this.clock = clock;
        this.ticker = ticker;
        this.settings = settings;
    }

    /**
     * Waits for {@code plan.worker_count} idle workers, slices the rate among them and sends each its
     * assignment with a start instant {@link Settings#startLead()} ahead.
     */
    public StartRunResponse start(RunPlan plan, Duration workerWait) throws StatusException, InterruptedException {
        String problem = PlanChecks.problem(plan);
        if (problem != null) {
            throw Status.INVALID_ARGUMENT.withDescription(problem).asException();
        }
        synchronized (this) {
            if (active != null && !active.terminal()) {
                throw Status.FAILED_PRECONDITION.withDescription("run " + active.id() + " is still in progress")
                        .asException();
            }
            int needed = plan.getWorkerCount();
            List<WorkerSession> idle = registry.awaitIdle(needed, workerWait.toMillis());
            if (idle.size() < needed) {
                throw Status.UNAVAILABLE.withDescription("only " + idle.size() + " of " + needed
                        + " workers connected and idle after " + workerWait.toSeconds() + " s").asException();
            }
            List<WorkerSession> chosen = idle.subList(0, needed);
            awaitClockEstimates(chosen);

            List<Participant> participants = new ArrayList<>();
            for (WorkerSession s : chosen) {
                participants.add(new Participant(s.workerId(), s.weight()));
            }
            long seed = plan.getSeed() != 0 ? plan.getSeed() : random.nextLong();
            Map<String, Slice> slices = SlicePlanner.plan(participants, seed);

            long maxRoundTrip = chosen.stream().mapToLong(WorkerSession::clockRoundTripNanos).max().orElse(0);
            long start = clock.unixNanos() + settings.startLead().toNanos() + Math.max(0, maxRoundTrip);
            String runId = newRunId();
            long heartbeatTimeout = Math.max(settings.heartbeatTimeout().toNanos(), 2L * plan.getIntervalMillis() * 1_000_000L);
            Run run = new Run(runId, plan, start, settings.grace().toNanos(), heartbeatTimeout, seed, clock);
            StartRunResponse.Builder response = StartRunResponse.newBuilder().setRunId(runId).setStartUnixNanos(start);
            for (WorkerSession s : chosen) {
                run.assign(s, slices.get(s.workerId()));
            }
            for (WorkerSession s : chosen) {
                s.send(CoordinatorMessage.newBuilder().setAssignment(Assignment.newBuilder()
                        .setRunId(runId)
                        .setEpoch(1)
                        .setPlan(plan)
                        .setSlice(slices.get(s.workerId()))
                        .setStartCoordinatorUnixNanos(start)
                        .setWorkerClockOffsetNanos(s.clockOffsetNanos())).build());
                response.addWorkerIds(s.workerId());
            }
            runs.put(runId, run);
            active = run;
            long tickMillis = settings.tick().toMillis();
            ticker.scheduleAtFixedRate(() -> tickSafely(run), tickMillis, tickMillis, TimeUnit.MILLISECONDS);
            LOG.info(() -> "run " + runId + " '" + plan.getName() + "' assigned to " + chosen.size() + " workers");
            return response.build();
        }
    }

    private void tickSafely(Run run) {
        if (run.terminal()) {
            throw new CancellationSignal();
        }
        try {
            run.tick(clock.unixNanos());
        } catch (RuntimeException e) {
            LOG.severe(() -> "run " + run.id() + ": tick failed: " + e);
        }
    }

    /** Thrown from a periodic task to cancel it once its run is over. */
    private static final class CancellationSignal extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CancellationSignal() {
            super(null, null, false, false);
        }
    }

    private void awaitClockEstimates(List<WorkerSession> sessions) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        for (WorkerSession s : sessions) {
            while (s.clockSamples() < settings.minClockSamples() && System.nanoTime() < deadline) {
                s.sendClockProbeNow(clock.unixNanos());
                Thread.sleep(20);
            }
        }
    }

    private String newRunId() {
        return String.format("run-%d-%04x", clock.unixNanos() / 1_000_000_000L, random.nextInt(0x10000));
    }

    public Optional<Run> run(String runId) {
        return Optional.ofNullable(runs.get(runId));
    }

    public Optional<Run> active() {
        return Optional.ofNullable(active);
    }

    /** Offers a newly connected worker to the active run (after its clock has been probed). */
    public void offerToActiveRun(WorkerSession session) {
        Run run = active;
        if (run != null && !run.terminal() && session.runId() == null && !session.closed()) {
            run.offer(session);
        }
    }

    public void stop(String runId, String reason) throws StatusException {
        Run run = runs.get(runId);
        if (run == null) {
            throw Status.NOT_FOUND.withDescription("no run with id '" + runId + "'").asException();
        }
        run.requestStop(reason, clock.unixNanos());
    }
}
