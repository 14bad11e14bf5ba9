package io.salvo.benchmark;

import io.salvo.benchmark.BenchmarkSettings.ModelLoad;
import io.salvo.benchmark.ExperimentRecord.Experiment;
import io.salvo.benchmark.ExperimentRecord.GroundTruth;
import io.salvo.benchmark.ExperimentRecord.Measured;
import io.salvo.benchmark.ExperimentRecord.Scaling;
import io.salvo.detect.DetectorSummary;
import io.salvo.plan.PlanException;
import io.salvo.plan.PlanParser;
import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.PlatformException;
import io.salvo.platform.PlatformLimitException;
import io.salvo.platform.local.JavaMainLauncher;
import io.salvo.platform.local.LocalPlatformDriver;
import io.salvo.platform.local.LocalProfile;
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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * The local benchmark behind {@code salvo demo}: for every model and local profile, deploy the model on the
 * local serverless emulator, force it cold and run a constant rate from zero instances (time to first response,
 * time to steady state, cold starts), then run the same rate on the warm instances (warm-start latency). Every
 * run goes through a real Salvo cluster ({@link LoadRunner}); its standard report is saved under {@code runs/},
 * its benchmark record next to the tables, and the tables are rendered from those records only.
 *
 * <p>Output folder: {@code bodies.jsonl}, {@code plans/*.yaml} (replayable with {@code salvo run} against a
 * running target), {@code runs/<run-id>.json|.hlog}, {@code <model>.<profile>.<experiment>.json},
 * {@code tables.txt}.
 */
public final class LocalBenchmark {

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

    private final BenchmarkSettings settings;
    private final LoadRunner runner;
    private final Path modelServerJar;
    private final Path modelDir;
    private final Path outDir;
    private final PrintStream out;
    private final boolean liveLines;

    /**
     * @param modelDir  model cache for the model-server ({@code SALVO_MODEL_DIR}); null for its default
     * @param liveLines print one line per interval while a run is going
     */
    public LocalBenchmark(
            BenchmarkSettings settings,
            LoadRunner runner,
            Path modelServerJar,
            Path modelDir,
            Path outDir,
            PrintStream out,
            boolean liveLines) {
        this.settings = settings;
        this.runner = runner;
        this.modelServerJar = modelServerJar;
        this.modelDir = modelDir;
        this.outDir = outDir;
        this.out = out;
        this.liveLines = liveLines;
    }

    /** Runs every experiment; returns the records in table order (they are also on disk). */
    public List<ExperimentRecord> run() throws BenchmarkException, InterruptedException {
        try {
            Files.createDirectories(outDir.resolve("plans"));
            Files.createDirectories(outDir.resolve("runs"));
            Files.write(
                    outDir.resolve("bodies.jsonl"),
                    SENTENCES.stream().map(s -> "{\"inputs\": [\"" + s + "\"]}").toList());
        } catch (IOException e) {
            throw new BenchmarkException("cannot write to " + outDir + ": " + e.getMessage(), e);
        }
        MachineInfo machine = MachineInfo.current();
        List<String> modelNames =
                settings.models().stream().map(ModelLoad::model).toList();
        out.println("Preparing models " + String.join(", ", modelNames) + " (cached after the first time)...");
        Map<String, ModelFacts> facts = ModelFacts.prepare(modelServerJar, modelDir, modelNames);
        warmUpCluster();
        List<ExperimentRecord> records = new ArrayList<>();
        for (ModelLoad model : settings.models()) {
            for (LocalProfile profile : settings.profiles()) {
                records.addAll(runPair(model, facts.get(model.model()), profile, machine));
            }
        }
        return records;
    }

    private List<ExperimentRecord> runPair(ModelLoad model, ModelFacts facts, LocalProfile profile, MachineInfo machine)
            throws BenchmarkException, InterruptedException {
        ScalingSettings scaling = profile.defaultScaling();
        int maxInstances = Math.max(scaling.minInstances(), Math.min(scaling.maxInstances(), settings.maxInstances()));
        LocalPlatformDriver.Settings driverSettings = LocalPlatformDriver.Settings.of(
                        profile, JavaMainLauncher.forJar(modelServerJar, List.of()))
                .withModelDir(modelDir);
        DeploymentSpec spec =
                new DeploymentSpec(model.model(), 1, model.memoryMb(), null, maxInstances, null, Map.of());
        try (LocalPlatformDriver driver = new LocalPlatformDriver(driverSettings)) {
            out.printf(
                    Locale.ROOT,
                    "%n== %s on %s: %s req/s, up to %d instance(s) ==%n",
                    model.model(),
                    driver.label(),
                    formatRate(model.ratePerSecond()),
                    maxInstances);
            URI endpoint = driver.deploy(spec);
            driver.awaitReady(Duration.ofMinutes(3));
            ScalingSettings used = driver.scaling();
            Scaling scalingRow = new Scaling(
                    used.concurrency(),
                    used.minInstances(),
                    used.maxInstances(),
                    used.scaleOutDelay().toMillis(),
                    used.idleTimeout().toMillis());
            URI target = endpoint.resolve("/v2/models/" + model.model() + "/predict");

            // The router's proxy path is already warm: LocalPlatformDriver.deploy drives requests through it to a
            // loopback dummy (see ProxyPathWarmup), so the first measured cold start meets the same router as later
            // ones.
            Instant coldSince = Instant.now();
            driver.forceCold();
            ExperimentRecord cold = experiment(
                    Experiment.COLD_START,
                    model,
                    facts,
                    profile,
                    driver,
                    scalingRow,
                    target,
                    model.coldDuration(),
                    coldSince,
                    machine);
            ExperimentRecord warm = experiment(
                    Experiment.WARM,
                    model,
                    facts,
                    profile,
                    driver,
                    scalingRow,
                    target,
                    settings.warmDuration(),
                    null,
                    machine);
            return List.of(cold, warm);
        } catch (PlatformLimitException | PlatformException e) {
            throw new BenchmarkException(model.model() + " on " + profile.profileName() + ": " + e.getMessage(), e);
        } catch (TimeoutException e) {
            throw new BenchmarkException(
                    model.model() + " on " + profile.profileName() + ": the platform was not ready in 3 minutes", e);
        }
    }

    private ExperimentRecord experiment(
            Experiment experiment,
            ModelLoad model,
            ModelFacts facts,
            LocalProfile profile,
            LocalPlatformDriver driver,
            Scaling scaling,
            URI target,
            Duration duration,
            Instant coldSince,
            MachineInfo machine)
            throws BenchmarkException {
        String name = model.model() + "." + profile.profileName() + "." + experiment.fileName();
        RunPlan plan = plan(name, target, model.ratePerSecond(), duration);
        out.printf(
                Locale.ROOT,
                "-- %s: %s, %d s at %s req/s%n",
                experiment == Experiment.COLD_START
                        ? "from zero instances (time to first response, time to steady state)"
                        : "warm instances (warm-start latency)",
                name,
                duration.toSeconds(),
                formatRate(model.ratePerSecond()));
        collectGarbageBeforeMeasuring();
        RunResult result = runner.run(plan, this::live);
        String reportFile = saveRunReport(result);
        DetectorSummary summary =
                RunMeasurement.detect(result, new PlatformSignalsView(driver, RunMeasurement.runStart(result)));
        Measured measured = RunMeasurement.measured(result, summary);
        GroundTruth truth = RunMeasurement.groundTruth(driver.signals(), result, coldSince);
        ExperimentRecord record = new ExperimentRecord(
                ExperimentRecord.SCHEMA_VERSION,
                experiment,
                facts,
                LocalPlatformDriver.NAME,
                profile.profileName(),
                driver.label(),
                true,
                scaling,
                model.ratePerSecond(),
                duration.toMillis() / 1000.0,
                result.getRunId(),
                result.getState().name().replace("RUN_STATE_", "").toLowerCase(Locale.ROOT),
                reportFile,
                machine,
                measured,
                truth);
        try {
            BenchmarkFiles.write(record, outDir);
        } catch (IOException e) {
            throw new BenchmarkException("cannot write the record of " + name + ": " + e.getMessage(), e);
        }
        out.println("   " + summaryLine(record));
        String mismatch = RunMeasurement.mismatch(truth, summary.coldStarts());
        if (!mismatch.isEmpty()) {
            out.println("   note: cold starts differ from the platform's ground truth: " + mismatch);
        }
        return record;
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

    /** The run's standard report, exactly as {@code salvo run} writes it. */
    private String saveRunReport(RunResult result) throws BenchmarkException {
        try {
            Path json = outDir.resolve("runs").resolve(result.getRunId() + ".json");
            RunReport report = RunReport.from(result);
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
                            CLUSTER_WARMUP));
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
    RunPlan plan(String name, URI target, double rate, Duration duration) throws BenchmarkException {
        String yaml = planYaml(name, target, rate, duration);
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

    private static String planYaml(String name, URI target, double rate, Duration duration) {
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
                  request: 60s
                  connect: 5s
                captureHeaders: [Salvo-Instance-Id]
                """.formatted(name, target, duration.toSeconds(), formatRate(rate));
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
        for (String event : s.getEventsList()) {
            out.println("          >> " + event);
        }
    }

    static String summaryLine(ExperimentRecord r) {
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
