package io.salvo.benchmark;

import io.salvo.benchmark.ExperimentRecord.Experiment;
import io.salvo.benchmark.ExperimentRecord.GroundTruth;
import io.salvo.benchmark.ExperimentRecord.Measured;
import io.salvo.benchmark.ExperimentRecord.Scaling;
import io.salvo.detect.DetectorSummary;
import io.salvo.plan.MatrixCell;
import io.salvo.plan.MatrixSpec;
import io.salvo.plan.PlanException;
import io.salvo.plan.PlanParser;
import io.salvo.platform.ColdStartVerdict;
import io.salvo.platform.InstanceRecord;
import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformDrivers;
import io.salvo.platform.PlatformException;
import io.salvo.platform.PlatformLimitException;
import io.salvo.platform.PlatformSignals;
import io.salvo.platform.PlatformUsage;
import io.salvo.platform.local.LocalPlatformDriver;
import io.salvo.platform.local.ScalingSettings;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.RunState;
import io.salvo.report.ReportFiles;
import io.salvo.report.RunReport;
import io.salvo.report.html.HtmlReport;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringReader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The experiment matrix behind {@code salvo bench} and {@code salvo demo}: for every cell (model × platform ×
 * configuration), deploy through the cell's platform driver → force a cold start and check it → run a constant rate
 * from zero instances (time to first response, time to steady state, cold starts) → run the same rate on the warm
 * instances (warm-start latency) → read the platform's billed usage of each run and price it → tear down, always,
 * unless told to keep the deployment. Every run goes through a real Salvo cluster ({@link LoadRunner}); its standard
 * report is saved under {@code runs/}, its benchmark record next to the tables, and the tables are rendered from
 * those records only.
 *
 * <p>Resumable: a finished cell leaves {@code cells/<cell-id>.json} ({@link CellState}) after its records; the same
 * matrix on the same output folder keeps those cells and runs the others, a cell interrupted midway from its start.
 *
 * <p>Output folder: {@code bodies.jsonl}, {@code plans/*.yaml} (replayable with {@code salvo run} against a running
 * target), {@code runs/<run-id>.json|.hlog|.html}, {@code <model>.<column>.<experiment>.json}, {@code cells/},
 * {@code tables.txt}.
 */
public final class MatrixBenchmark {

    /** Short sentences (11-20 WordPiece tokens), rotated so every model does the same work per request. */
    static final List<String> SENTENCES = List.of(
            "The quick brown fox jumps over the lazy dog near the river bank today.",
            "Serverless platforms start new instances when requests arrive and none is free.",
            "A cold start includes starting the runtime and loading the model into memory.",
            "Open-model load generators send requests at their intended times, whatever the latency.",
            "Steady state means the success rate and the latency stopped changing.",
            "Benchmarks on one machine emulate scaling rules, not the cloud's hardware.");

    /** Long enough for a few interval reports and both dummy instances' first responses; short next to the demo. */
    private static final Duration CLUSTER_WARMUP = Duration.ofSeconds(3);

    private static final double CLUSTER_WARMUP_RATE = 40;
    /** How long a deployment may take to become ready (a cloud function or service included). */
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(5);

    /** Creates a cell's driver; {@link #REGISTERED} uses the drivers found through ServiceLoader. */
    public interface Drivers {
        PlatformDriver create(MatrixCell cell);
    }

    public static final Drivers REGISTERED =
            cell -> PlatformDrivers.factory(cell.platform()).create(cell.config());

    /** What a matrix run produced: every record in table order, and the cells that failed (with why). */
    public record Outcome(List<ExperimentRecord> records, Map<String, String> failed, int kept) {}

    private final MatrixSpec matrix;
    private final PriceTable prices;
    private final Drivers drivers;
    private final LoadRunner runner;
    private final Path modelServerJar;
    private final Path modelDir;
    private final Path outDir;
    private final PrintStream out;
    private final boolean liveLines;
    private final boolean keep;
    /** The deployment of the cell under way, for the shutdown hook; null between cells. */
    private final AtomicReference<Running> current = new AtomicReference<>();
    /** Set by the shutdown hook: no new cell starts, and the cell under way is not recorded as finished. */
    private volatile boolean stopping;
    /** Held by the main thread for a whole cell, teardown included; the shutdown hook waits for it. */
    private final java.util.concurrent.locks.ReentrantLock cellRunning = new java.util.concurrent.locks.ReentrantLock();
    /** How long the shutdown hook waits for the cell under way to tear down before the JVM exits. */
    private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(60);

    private record Running(MatrixCell cell, PlatformDriver driver) {}

    /**
     * @param modelServerJar the model-server jar, to prepare models and read their facts; null when there is none
     *                       (model facts are then unknown)
     * @param modelDir       model cache for the model-server ({@code SALVO_MODEL_DIR}); null for its default
     * @param liveLines      print one line per interval while a run is going
     * @param keep           leave each cell's deployment in place (never for the local platform, whose instances
     *                       die with this process)
     */
    public MatrixBenchmark(
            MatrixSpec matrix,
            PriceTable prices,
            Drivers drivers,
            LoadRunner runner,
            Path modelServerJar,
            Path modelDir,
            Path outDir,
            PrintStream out,
            boolean liveLines,
            boolean keep) {
        this.matrix = matrix;
        this.prices = prices;
        this.drivers = drivers;
        this.runner = runner;
        this.modelServerJar = modelServerJar;
        this.modelDir = modelDir;
        this.outDir = outDir;
        this.out = out;
        this.liveLines = liveLines;
        this.keep = keep;
    }

    /** Runs every cell not finished before; returns all records in table order (they are also on disk). */
    public Outcome run() throws BenchmarkException, InterruptedException {
        try {
            Files.createDirectories(outDir.resolve("plans"));
            Files.createDirectories(outDir.resolve("runs"));
            Files.createDirectories(outDir.resolve("cells"));
            Files.write(
                    outDir.resolve(BenchmarkFiles.CELL_ORDER),
                    matrix.cells().stream().map(MatrixCell::id).toList());
            if (matrix.bodies() != null) {
                Files.copy(
                        matrix.bodies(),
                        outDir.resolve("bodies.jsonl"),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } else {
                Files.write(
                        outDir.resolve("bodies.jsonl"),
                        SENTENCES.stream()
                                .map(s -> "{\"inputs\": [\"" + s + "\"]}")
                                .toList());
            }
        } catch (IOException e) {
            throw new BenchmarkException("cannot write to " + outDir + ": " + e.getMessage(), e);
        }
        Map<String, List<ExperimentRecord>> finished = new LinkedHashMap<>();
        List<String> changed = new ArrayList<>();
        for (MatrixCell cell : matrix.cells()) {
            CellState state = CellState.read(outDir, cell.id());
            if (state == null) {
                continue;
            }
            if (!state.fingerprint().equals(cell.fingerprint())) {
                changed.add(cell.id());
                continue;
            }
            List<ExperimentRecord> kept = readRecords(state);
            if (kept != null) {
                finished.put(cell.id(), kept);
            }
        }
        List<MatrixCell> toRun = matrix.cells().stream()
                .filter(c -> !finished.containsKey(c.id()))
                .toList();
        if (!finished.isEmpty()) {
            out.printf(
                    Locale.ROOT,
                    "Resuming in %s: %d of %d cell(s) finished before and kept, not re-run (%s); %d to run%s.%n",
                    outDir,
                    finished.size(),
                    matrix.cells().size(),
                    String.join(", ", finished.keySet()),
                    toRun.size(),
                    toRun.isEmpty() ? "" : ", a cell interrupted midway from its start");
        }
        if (!changed.isEmpty()) {
            out.println("Changed since they ran, so run again: " + String.join(", ", changed) + ".");
        }
        Map<String, String> failed = new LinkedHashMap<>();
        Map<String, List<ExperimentRecord>> produced = new LinkedHashMap<>(finished);
        if (!toRun.isEmpty()) {
            MachineInfo machine = MachineInfo.current();
            Map<String, ModelFacts> facts = modelFacts(toRun);
            warmUpCluster();
            Thread hook = new Thread(this::onShutdown, "salvo-bench-teardown");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                for (MatrixCell cell : toRun) {
                    if (stopping) {
                        break;
                    }
                    cellRunning.lock();
                    try {
                        if (stopping) {
                            break;
                        }
                        produced.put(cell.id(), runCell(cell, facts.get(cell.model()), machine));
                    } catch (BenchmarkException e) {
                        failed.put(cell.id(), e.getMessage());
                        out.println(
                                "   FAILED: " + e.getMessage() + " (the cell runs again when the matrix is resumed)");
                    } finally {
                        cellRunning.unlock();
                    }
                }
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running and tears the current deployment down
                }
            }
        }
        List<ExperimentRecord> records = new ArrayList<>();
        for (MatrixCell cell : matrix.cells()) {
            records.addAll(produced.getOrDefault(cell.id(), List.of()));
        }
        return new Outcome(records, failed, finished.size());
    }

    /** The records a finished cell left; null when one is missing or unreadable (the cell then runs again). */
    private List<ExperimentRecord> readRecords(CellState state) {
        try {
            List<Path> files = state.records().stream().map(outDir::resolve).toList();
            if (!files.stream().allMatch(Files::isRegularFile)) {
                return null;
            }
            return BenchmarkFiles.read(files);
        } catch (IOException e) {
            return null;
        }
    }

    /** Ctrl-C (or any JVM exit) during a cell: tear its deployment down unless kept, and say what resumes. */
    private void onShutdown() {
        stopping = true;
        Running running = current.get();
        out.println();
        if (running == null) {
            out.println("salvo: interrupted between cells; finished cells are kept in " + outDir
                    + ", and the same command resumes.");
        } else {
            out.println("salvo: interrupted during cell " + running.cell().id() + "; finished cells are kept in "
                    + outDir + ", and the same command resumes (this cell from its start).");
            if (keep) {
                out.println("salvo: --keep: leaving " + running.driver().label() + " deployed");
            } else {
                out.println("salvo: tearing down " + running.driver().label() + "...");
                running.driver().teardown();
            }
        }
        // the main thread may be deploying: wait until its cell is over (it tears down in its finally)
        try {
            if (cellRunning.tryLock(SHUTDOWN_WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
                cellRunning.unlock();
            } else {
                out.println("salvo: the cell under way did not end within " + SHUTDOWN_WAIT.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        out.flush();
    }

    private Map<String, ModelFacts> modelFacts(List<MatrixCell> cells) throws BenchmarkException {
        Set<String> models = new LinkedHashSet<>();
        Set<String> localModels = new LinkedHashSet<>();
        for (MatrixCell cell : cells) {
            models.add(cell.model());
            if (LocalPlatformDriver.NAME.equals(cell.platform())) {
                localModels.add(cell.model());
            }
        }
        Map<String, ModelFacts> facts = new LinkedHashMap<>();
        if (!localModels.isEmpty()) {
            if (modelServerJar == null) {
                throw new BenchmarkException("the local platform needs the model-server jar (--model-server-jar)");
            }
            out.println("Preparing models " + String.join(", ", localModels) + " (cached after the first time)...");
            facts.putAll(ModelFacts.prepare(modelServerJar, modelDir, List.copyOf(localModels)));
        }
        for (String model : models) {
            facts.computeIfAbsent(model, ModelFacts::unknown);
        }
        return facts;
    }

    private List<ExperimentRecord> runCell(MatrixCell cell, ModelFacts facts, MachineInfo machine)
            throws BenchmarkException, InterruptedException {
        PlatformDriver driver;
        try {
            driver = drivers.create(cell);
        } catch (IllegalArgumentException e) {
            throw new BenchmarkException(cell.id() + ": " + e.getMessage(), e);
        }
        current.set(new Running(cell, driver));
        try {
            if (stopping) {
                throw new BenchmarkException(cell.id() + ": interrupted before deploying");
            }
            out.printf(
                    Locale.ROOT,
                    "%n== %s on %s [%s]: %s req/s, %s ==%n",
                    cell.model(),
                    driver.label(),
                    cell.column(),
                    formatRate(cell.ratePerSecond()),
                    describe(cell));
            URI endpoint = driver.deploy(cell.deployment());
            if (stopping) {
                throw new BenchmarkException(cell.id() + ": interrupted while deploying");
            }
            driver.awaitReady(READY_TIMEOUT);
            Scaling scalingRow = null;
            if (driver instanceof LocalPlatformDriver local) {
                ScalingSettings used = local.scaling();
                scalingRow = new Scaling(
                        used.concurrency(),
                        used.minInstances(),
                        used.maxInstances(),
                        used.scaleOutDelay().toMillis(),
                        used.idleTimeout().toMillis());
            }
            URI target = endpoint.resolve(cell.path());

            Set<String> seenBefore = instanceIds(driver.signals());
            Instant coldSince = Instant.now();
            String coldCheck;
            if (driver.canForceCold()) {
                // instances running before must be gone; a platform that keeps a minimum (k8s-like) may already have
                // started a replacement, which is new, and the cold run's first responses must come from new ids
                List<String> before = alive(driver.signals());
                driver.forceCold();
                List<String> alive = alive(driver.signals()).stream()
                        .filter(before::contains)
                        .toList();
                if (!alive.isEmpty()) {
                    throw new BenchmarkException(cell.id() + ": not cold after forceCold: instance(s) " + alive
                            + " still running by the platform's signals");
                }
                coldCheck = "forced cold; " + seenBefore.size() + " instance id(s) seen before";
            } else {
                coldCheck = "not forced: " + driver.label() + " cannot force a cold start; the first run after deploy";
            }
            ExperimentRecord cold = experiment(
                    Experiment.COLD_START,
                    cell,
                    facts,
                    driver,
                    scalingRow,
                    target,
                    cell.cold(),
                    coldSince,
                    machine,
                    coldCheck,
                    seenBefore);
            ExperimentRecord warm = experiment(
                    Experiment.WARM,
                    cell,
                    facts,
                    driver,
                    scalingRow,
                    target,
                    cell.warm(),
                    null,
                    machine,
                    null,
                    Set.of());
            List<ExperimentRecord> records = List.of(cold, warm);
            if (stopping) {
                throw new BenchmarkException(cell.id() + ": interrupted; not recorded as finished");
            }
            try {
                new CellState(
                                cell.id(),
                                cell.fingerprint(),
                                Instant.now().toString(),
                                records.stream().map(BenchmarkFiles::fileName).toList())
                        .write(outDir);
            } catch (IOException e) {
                throw new BenchmarkException("cannot write the state of cell " + cell.id() + ": " + e.getMessage(), e);
            }
            return records;
        } catch (PlatformLimitException | PlatformException e) {
            throw new BenchmarkException(cell.id() + ": " + e.getMessage(), e);
        } catch (TimeoutException e) {
            throw new BenchmarkException(
                    cell.id() + ": the deployment was not ready in " + READY_TIMEOUT.toMinutes() + " minutes", e);
        } catch (RuntimeException e) {
            throw new BenchmarkException(cell.id() + ": the platform driver failed: " + e, e);
        } finally {
            current.set(null);
            if (keep) {
                out.println("   --keep: left deployed: " + driver.label() + " at " + safeEndpoint(driver));
            } else {
                driver.teardown();
            }
        }
    }

    private static String safeEndpoint(PlatformDriver driver) {
        try {
            return driver.endpoint().toString();
        } catch (IllegalStateException e) {
            return "(no endpoint)";
        }
    }

    private static String describe(MatrixCell cell) {
        var d = cell.deployment();
        StringBuilder text = new StringBuilder();
        text.append(
                        d.cpusPerInstance() == Math.rint(d.cpusPerInstance())
                                ? Long.toString((long) d.cpusPerInstance())
                                : Double.toString(d.cpusPerInstance()))
                .append(" CPU, ")
                .append(d.memoryMbPerInstance())
                .append(" MiB per instance");
        if (d.maxInstances() != null) {
            text.append(", up to ").append(d.maxInstances()).append(" instance(s)");
        }
        return text.toString();
    }

    private static Set<String> instanceIds(PlatformSignals signals) {
        Set<String> ids = new LinkedHashSet<>();
        for (InstanceRecord i : signals.instances()) {
            if (i.instanceId() != null) {
                ids.add(i.instanceId());
            }
        }
        return ids;
    }

    private static List<String> alive(PlatformSignals signals) {
        return signals.instances().stream()
                .filter(i -> i.spawnedAt() != null && i.stoppedAt() == null)
                .map(InstanceRecord::name)
                .toList();
    }

    private ExperimentRecord experiment(
            Experiment experiment,
            MatrixCell cell,
            ModelFacts facts,
            PlatformDriver driver,
            Scaling scaling,
            URI target,
            Duration duration,
            Instant coldSince,
            MachineInfo machine,
            String coldCheck,
            Set<String> seenBefore)
            throws BenchmarkException, InterruptedException, PlatformException {
        String name = cell.id() + "." + experiment.fileName();
        RunPlan plan = plan(name, target, cell.ratePerSecond(), duration, cell.requestTimeout());
        out.printf(
                Locale.ROOT,
                "-- %s: %s, %d s at %s req/s%n",
                experiment == Experiment.COLD_START
                        ? "from zero instances (time to first response, time to steady state)"
                        : "warm instances (warm-start latency)",
                name,
                duration.toSeconds(),
                formatRate(cell.ratePerSecond()));
        collectGarbageBeforeMeasuring();
        // the cold run starts with the platform's explicit scale-up (Kubernetes from zero replicas), the warm one not;
        // the platform's headers (an ID token, signatures) go with the plan and are renewed while the run goes on
        RunResult result;
        try (PlatformHeaders headers = PlatformHeaders.prepare(plan, driver)) {
            result = runner.run(headers.plan(), this::live, headers, driver, experiment == Experiment.COLD_START);
        }
        // what the responses showed (instance ids the workers captured), for the driver's verdict and breakdown
        PlatformResponses.observe(driver, result);
        // this run's part of the deployment's timeline: since the forced cold start, or since the warm run began
        PlatformReport platformSide =
                PlatformReport.of(driver, result, coldSince != null ? coldSince : RunMeasurement.runStart(result), out);
        boolean platformSays = !platformSide.timeline().coldStarts().isEmpty()
                || !platformSide.timeline().events().isEmpty();
        DetectorSummary summary =
                RunMeasurement.detect(result, new PlatformSignalsView(driver, RunMeasurement.runStart(result)));
        Measured measured = RunMeasurement.measured(result, summary);
        GroundTruth truth = RunMeasurement.groundTruth(driver.signals(), result, coldSince);
        if (coldCheck != null && coldSince != null && driver.canForceCold()) {
            coldCheck = checkCold(coldCheck, measured, seenBefore, driver.coldStartVerdict());
        }
        // the run's window on the coordinator's clock, widened by the workers' clock error: what they sent in it
        Duration clockError = PlatformResponses.clockErrorBound(result);
        Instant from = RunMeasurement.runStart(result).minus(clockError);
        Instant to = result.getEndUnixNanos() == 0
                ? Instant.now()
                : Instant.ofEpochSecond(0, result.getEndUnixNanos()).plus(clockError);
        Optional<PlatformUsage> usage = driver.usage(from, to);
        CostEstimate cost =
                usage.map(u -> CostEstimate.of(u, measured.successes(), prices)).orElse(null);
        String reportFile = saveRunReport(result, platformSays ? platformSide : null, cost);
        ExperimentRecord record = new ExperimentRecord(
                ExperimentRecord.SCHEMA_VERSION,
                experiment,
                facts,
                cell.platform(),
                cell.column(),
                driver.label(),
                LocalPlatformDriver.NAME.equals(cell.platform()),
                scaling,
                cell.ratePerSecond(),
                duration.toMillis() / 1000.0,
                result.getRunId(),
                result.getState().name().replace("RUN_STATE_", "").toLowerCase(Locale.ROOT),
                reportFile,
                machine,
                measured,
                truth,
                cell.id(),
                coldCheck,
                cost,
                platformSays ? breakdown(result, platformSide) : null);
        try {
            BenchmarkFiles.write(record, outDir);
        } catch (IOException e) {
            throw new BenchmarkException("cannot write the record of " + name + ": " + e.getMessage(), e);
        }
        out.println("   " + summaryLine(record));
        String mismatch = RunMeasurement.mismatch(truth, summary.coldStarts());
        if (!mismatch.isEmpty() && !truth.instances().isEmpty()) {
            out.println("   note: cold starts differ from the platform's ground truth: " + mismatch);
        }
        if (record.coldCheck() != null && record.coldCheck().startsWith("NOT COLD")) {
            out.println("   WARNING: " + record.coldCheck());
        }
        if (platformSays && experiment == Experiment.COLD_START) {
            platformSide.print(out);
        }
        return record;
    }

    /** The record's summary of the platform's breakdown; the full one is beside the run's report. */
    private static ExperimentRecord.PlatformBreakdown breakdown(RunResult result, PlatformReport platformSide) {
        io.salvo.report.PlatformSection section = platformSide.section();
        return new ExperimentRecord.PlatformBreakdown(
                "runs/" + result.getRunId() + "-platform.json",
                section.coldStarts().size(),
                section.phaseTable(),
                (int) section.events().stream()
                        .filter(e -> "Warning".equals(e.severity()))
                        .count());
    }

    /**
     * Checks a forced cold start by the platform driver's verdict on the responses the run observed
     * ({@link PlatformDriver#coldStartVerdict}); a driver that gives none is checked by what the run met
     * ({@link #checkCold(String, Measured, Set)}).
     */
    static String checkCold(String forced, Measured measured, Set<String> seenBefore, ColdStartVerdict verdict) {
        if (verdict == null) {
            return checkCold(forced, measured, seenBefore);
        }
        String first = verdict.firstInstanceId();
        return switch (verdict.state()) {
            case VERIFIED ->
                "verified: " + forced + "; by the platform driver, the first response after it came from " + first
                        + ", an instance never seen before";
            case REUSED_INSTANCE ->
                "NOT COLD: by the platform driver, the first response after the forced cold start" + " came from "
                        + first + ", an instance that answered before it";
            case PRESTARTED_INSTANCE ->
                "NOT COLD: by the platform driver, the first response after the forced cold"
                        + " start came from " + first + ", a new instance that had started before the cold start was"
                        + " complete (no request waited for a start)";
            case PENDING ->
                "NOT COLD (unverified): by the platform driver, no response with an instance id came"
                        + " after the forced cold start (" + forced + ")";
            case NOT_FORCED -> checkCold(forced, measured, seenBefore);
        };
    }

    /**
     * Checks a forced cold start by what the run met: the first response must come from an instance id never seen
     * before the cold start (the model-server's {@code Salvo-Instance-Id}).
     */
    static String checkCold(String forced, Measured measured, Set<String> seenBefore) {
        if (measured.coldStarts().isEmpty()) {
            return "NOT COLD (unverified): no new instance id answered the run from zero instances (" + forced + ")";
        }
        List<String> reused = measured.coldStarts().stream()
                .map(ExperimentRecord.ColdStartRow::instanceId)
                .filter(seenBefore::contains)
                .toList();
        if (!reused.isEmpty()) {
            return "NOT COLD: instance(s) " + reused + " answered before the forced cold start too";
        }
        return "verified: " + forced + ", " + measured.coldStarts().size()
                + " new instance id(s) answered the cold run";
    }

    /**
     * The emulator's router, whose stamps are the ground truth, runs in this JVM, and so does the coordinator, which
     * allocates most while writing the previous run's report. A stop-the-world pause in the measured span delays
     * the router's "first request" stamp and its replies alike: on a busy 2-core machine this JVM's young pauses
     * stretched to 50-230 ms. Collecting now, as JMH does between iterations, starts the run with an empty young
     * generation, so a collection in its first seconds, where time to first response is measured, is unlikely.
     */
    private static void collectGarbageBeforeMeasuring() {
        System.gc();
    }

    /**
     * The run's standard report, exactly as {@code salvo run} writes it: with the platform's breakdown as its
     * {@code platform} section and beside it ({@code <run-id>-platform.json}) when the platform gave one (null: none),
     * and the record's cost estimate as its {@code cost} (null: none).
     */
    private String saveRunReport(RunResult result, PlatformReport platformSide, CostEstimate cost)
            throws BenchmarkException {
        try {
            Path json = outDir.resolve("runs").resolve(result.getRunId() + ".json");
            RunReport report = RunReport.from(result).withCost(cost == null ? null : cost.section());
            if (platformSide != null) {
                report = report.withPlatform(platformSide.section());
                platformSide.writeJson(outDir.resolve("runs").resolve(result.getRunId() + "-platform.json"));
            }
            ReportFiles.writeJson(report, json);
            HtmlReport.writeBesideJson(report, json);
            ReportFiles.writeHlog(result, outDir.resolve("runs").resolve(result.getRunId() + ".hlog"));
            return outDir.relativize(json).toString();
        } catch (IOException e) {
            throw new BenchmarkException(
                    "cannot write the report of run " + result.getRunId() + ": " + e.getMessage(), e);
        }
    }

    /**
     * One short run through the real cluster against a {@link LoopbackDummyTarget}, before anything is measured.
     *
     * <p>Why: the first run of a fresh worker JVM and coordinator loads the run path's classes (session, reports,
     * instance first responses, merging, detectors); that filled the JVMs' metaspace and set off collections during
     * the first measured cold start. With the worker paused while the first 2xx was on its way, Salvo's time to first
     * response came out ~0.2 s above the router's ground truth on a busy 2-core machine, in the first run only. The
     * worker already warms its HTTP path on its own; this warms the rest, and never touches the platform.
     */
    private void warmUpCluster() throws BenchmarkException {
        out.printf(
                Locale.ROOT,
                "Warming up the coordinator and worker on a loopback dummy target (%d s, not measured)...%n",
                CLUSTER_WARMUP.toSeconds());
        try (LoopbackDummyTarget dummy = new LoopbackDummyTarget()) {
            RunPlan plan = parsePlan(
                    "cluster-warmup",
                    planYaml(
                            "cluster-warmup",
                            dummy.uri("/v2/models/warmup/predict"),
                            CLUSTER_WARMUP_RATE,
                            CLUSTER_WARMUP,
                            Duration.ofSeconds(60)));
            RunResult result = runner.run(plan, snapshot -> {});
            if (result.getState() != RunState.RUN_STATE_COMPLETED) {
                throw new BenchmarkException("the warm-up run on a loopback dummy target ended "
                        + result.getState().name().replace("RUN_STATE_", "").toLowerCase(Locale.ROOT) + ": "
                        + result.getMessage());
            }
        } catch (IOException e) {
            throw new BenchmarkException("cannot start the loopback warm-up target: " + e.getMessage(), e);
        }
    }

    /** Writes the plan as YAML (so it can be replayed with salvo run) and parses it as salvo run would. */
    RunPlan plan(String name, URI target, double rate, Duration duration, Duration requestTimeout)
            throws BenchmarkException {
        String yaml = planYaml(name, target, rate, duration, requestTimeout);
        Path file = outDir.resolve("plans").resolve(name + ".yaml");
        try {
            Files.writeString(file, yaml);
        } catch (IOException e) {
            throw new BenchmarkException("cannot write " + file + ": " + e.getMessage(), e);
        }
        return parsePlan(name, yaml);
    }

    /** Parses as salvo run would, as if from {@code plans/<name>.yaml} (the bodies file is {@code ../bodies.jsonl}). */
    private RunPlan parsePlan(String name, String yaml) throws BenchmarkException {
        Path file = outDir.resolve("plans").resolve(name + ".yaml");
        try {
            return new PlanParser().parse(file.toString(), new StringReader(yaml), file.getParent());
        } catch (PlanException e) {
            throw new BenchmarkException("the benchmark built an invalid plan: " + e.getMessage(), e);
        }
    }

    private static String planYaml(String name, URI target, double rate, Duration duration, Duration requestTimeout) {
        return """
                name: %s
                target:
                  url: %s
                  method: POST
                  headers:
                    Content-Type: application/json
                  bodyFile: ../bodies.jsonl
                phases:
                  - duration: %ds
                    rate: %s
                arrival: constant
                workers: 1
                interval: 1s
                timeouts:
                  request: %dms
                  connect: 5s
                captureHeaders: [Salvo-Instance-Id]
                """.formatted(name, target, duration.toSeconds(), formatRate(rate), requestTimeout.toMillis());
    }

    private void live(LiveSnapshot s) {
        if (!liveLines || CoordinatorLoadRunner.isTerminal(s.getState())) {
            return;
        }
        out.printf(
                Locale.ROOT,
                "   %5.0fs  ok %6.1f/s (target %6.1f/s)  p50 %9.2f ms  p99 %9.2f ms  errors %d%n",
                (s.getIntervalIndex() + 1) * 1.0,
                s.getSuccessRatePerSecond(),
                s.getTargetRatePerSecond(),
                s.getLatencyP50Micros() / 1000.0,
                s.getLatencyP99Micros() / 1000.0,
                s.getErrors());
        if (s.hasPlatform()) {
            out.printf(
                    Locale.ROOT,
                    "          platform: ready %d, starting %d%n",
                    s.getPlatform().getReady(),
                    s.getPlatform().getStarting());
        }
        for (String event : s.getEventsList()) {
            out.println("          >> " + event);
        }
    }

    static String summaryLine(ExperimentRecord r) {
        String cost = r.cost() == null || r.cost().perMillion() == null
                ? ""
                : ", est. " + ComparisonTables.cost(r) + " per 1M predictions";
        return measurementLine(r) + cost;
    }

    private static String measurementLine(ExperimentRecord r) {
        Measured m = r.measured();
        if (r.experiment() == Experiment.COLD_START) {
            return String.format(
                    Locale.ROOT,
                    "time to first response %s (platform ground truth %s), time to steady"
                            + " state %s, %d cold start(s), %d/%d ok",
                    ComparisonTables.seconds(
                            m.timeToFirstSuccessMillis() == null ? null : m.timeToFirstSuccessMillis() / 1000),
                    ComparisonTables.seconds(
                            r.groundTruth().timeToFirstSuccessMillis() == null
                                    ? null
                                    : r.groundTruth().timeToFirstSuccessMillis() / 1000),
                    ComparisonTables.seconds(m.timeToSteadyStateSeconds()),
                    m.coldStarts().size(),
                    m.successes(),
                    m.intended());
        }
        return String.format(
                Locale.ROOT,
                "warm P50 %s  P95 %s  P99 %s over %d responses (%s), %d/%d ok",
                ComparisonTables.ms(m.warmP50Millis(), ""),
                ComparisonTables.ms(m.warmP95Millis(), ""),
                ComparisonTables.ms(m.warmP99Millis(), ""),
                m.warmCount(),
                m.warmBasis(),
                m.successes(),
                m.intended());
    }

    private static String formatRate(double rate) {
        return rate == Math.rint(rate) ? Long.toString((long) rate) : Double.toString(rate);
    }
}
