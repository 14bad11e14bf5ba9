package io.salvo.cli;

import io.grpc.StatusRuntimeException;
import io.salvo.coordinator.server.CoordinatorServer;
import io.salvo.core.security.ClusterToken;
import io.salvo.plan.PlanException;
import io.salvo.plan.PlanParser;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.RunState;
import io.salvo.report.ReportFiles;
import io.salvo.report.RunReport;
import io.salvo.search.CapacitySearch;
import io.salvo.search.SearchOutcome;
import io.salvo.search.SearchReport;
import io.salvo.search.SearchSettings;
import io.salvo.search.StepFigures;
import io.salvo.search.StepJudge;
import io.salvo.search.StepResult;
import io.salvo.thresholds.Criterion;
import io.salvo.thresholds.CriterionSyntax;
import io.salvo.thresholds.InvalidCriterionException;
import io.salvo.thresholds.Thresholds;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "search",
        mixinStandardHelpOptions = true,
        description = {
            "Finds the highest rate the plan's target sustains within service-level objectives.",
            "Open-model steps at one constant rate each grow geometrically until an objective fails, then bisect."
                    + " Each step holds until steady state has lasted --judge-intervals intervals (or --step-seconds)"
                    + " and is judged on its steady-state intervals only; a step the workers could not send on time is"
                    + " reported as a load-generator limit, never blamed on the target."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:the search converged (or every step passed up to --max)",
            "1:the search was not conclusive (generator limit, no step passed, step limit) or a run failed",
            "2:the plan or the command line is invalid (nothing was sent)",
            "130:interrupted; the steps measured so far were still written"
        })
final class SearchCommand implements Callable<Integer> {

    static final int NOT_CONCLUSIVE = 1;

    @Parameters(index = "0", paramLabel = "PLAN.yaml", description = "The plan: target, request, workers, interval.")
    Path planFile;

    @Option(
            names = "--slo",
            paramLabel = "CRITERION",
            description = {
                "An objective every step must meet, e.g. 'p99<200ms', 'errors<0.1%' (repeatable).",
                "p50/p95/p99 are the warm 2xx latency of the step's steady-state intervals; errors and error_rate"
                        + " (also errors.5xx ...) in %, achieved_rate and success_rate in /s.",
                "Default: the plan's thresholds."
            })
    List<String> slos = new ArrayList<>();

    @Option(
            names = "--from",
            paramLabel = "RATE",
            description = "First step's rate per second (default: the plan's first phase's rate).")
    Double from;

    @Option(names = "--max", paramLabel = "RATE", description = "Highest rate tried (default: 1024 x --from).")
    Double max;

    @Option(
            names = "--precision",
            paramLabel = "PERCENT",
            defaultValue = "5%",
            description = "Stop when the lowest failing rate is within this of the highest passing one "
                    + "(default: ${DEFAULT-VALUE}).")
    String precision;

    @Option(
            names = "--growth",
            paramLabel = "FACTOR",
            defaultValue = "2",
            description = "Factor between steps while they pass (default: ${DEFAULT-VALUE}).")
    double growth;

    @Option(
            names = "--step-seconds",
            paramLabel = "SECONDS",
            defaultValue = "60",
            description = "Longest a step may take to reach steady state and be judged (default: ${DEFAULT-VALUE}).")
    int stepSeconds;

    @Option(
            names = "--judge-intervals",
            paramLabel = "N",
            defaultValue = "10",
            description = "Intervals a step runs after steady state was detected (default: ${DEFAULT-VALUE}).")
    int judgeIntervals;

    @Option(
            names = "--generator-lag-limit",
            paramLabel = "DURATION",
            defaultValue = "1ms",
            description = "Scheduler-lag p99 above which a step is a load-generator limit (default: ${DEFAULT-VALUE}).")
    String generatorLagLimit;

    @Option(
            names = "--late-send-allowance",
            paramLabel = "PERCENT",
            defaultValue = "0.1%",
            description = "Share of late sends a step may have before it is a load-generator limit "
                    + "(default: ${DEFAULT-VALUE}).")
    String lateSendAllowance;

    @Option(
            names = "--max-steps",
            paramLabel = "N",
            defaultValue = "20",
            description = "Most steps a search runs (default: ${DEFAULT-VALUE}).")
    int maxSteps;

    @Option(
            names = "--coordinator",
            paramLabel = "HOST:PORT",
            description = "Use a running coordinator and its workers instead of local ones.")
    String coordinator;

    @Option(names = "--workers", paramLabel = "N", description = "Override the plan's worker count.")
    Integer workers;

    @Option(
            names = "--worker-wait",
            paramLabel = "SECONDS",
            defaultValue = "60",
            description = "How long each step waits for enough workers (default: ${DEFAULT-VALUE} s).")
    int workerWaitSeconds;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            defaultValue = "salvo-results",
            description = "Folder for search-<time>/ with search.json and every step's run report "
                    + "(default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(
            names = "--json",
            description = "Print the search report as JSON on standard output (people's lines go to standard error).")
    boolean json;

    @Option(
            names = {"-q", "--quiet"},
            description = "Only the final table.")
    boolean quiet;

    @Mixin
    SecurityOptions security = new SecurityOptions();

    @Mixin
    TlsServerNameOption tlsServerName = new TlsServerNameOption();

    private final AtomicBoolean interrupted = new AtomicBoolean();
    private final CountDownLatch finished = new CountDownLatch(1);

    @Override
    public Integer call() {
        PrintStream err = System.err;
        PrintStream people = json ? System.err : System.out;
        SalvoCli.logLevel(Level.WARNING);
        RunPlan plan;
        SearchSettings settings;
        try {
            plan = PlanParser.parse(planFile);
            if (workers != null) {
                if (workers < 1) {
                    throw new IllegalArgumentException("--workers must be at least 1, got " + workers);
                }
                plan = plan.toBuilder().setWorkerCount(workers).build();
            }
            settings = settings(plan);
        } catch (PlanException e) {
            err.println("salvo: " + e.getMessage());
            return RunExecution.USER_ERROR;
        } catch (IllegalArgumentException e) {
            err.println("salvo: " + e.getMessage());
            return RunExecution.USER_ERROR;
        }
        Path dir = out.resolve("search-"
                + LocalDateTime.now(ZoneId.systemDefault())
                        .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)));
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            err.println("salvo: cannot create the output folder " + dir + ": " + e.getMessage());
            return RunExecution.USER_ERROR;
        }
        Duration workerWait = Duration.ofSeconds(workerWaitSeconds);
        CapacitySearch search = new CapacitySearch(settings);
        SearchSteps[] current = new SearchSteps[1];
        Thread hook = new Thread(
                () -> {
                    interrupted.set(true);
                    SearchSteps steps = current[0];
                    if (steps != null) {
                        err.println("\nsalvo: interrupted; stopping the step and writing what was measured...");
                        steps.stopCurrent("interrupted (Ctrl-C)");
                    }
                    try {
                        finished.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    err.flush();
                    System.out.flush();
                    Runtime.getRuntime().halt(RunExecution.INTERRUPTED);
                },
                "salvo-search-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
        SearchOutcome outcome;
        try {
            if (coordinator != null) {
                InetSocketAddress address;
                ClusterToken token;
                ClientTls tls;
                try {
                    address = HostPort.parseList(coordinator).get(0);
                    token = security.clientToken();
                    tls = tlsServerName.resolve(security.tls(), null);
                } catch (IllegalArgumentException | IOException e) {
                    err.println("salvo: " + e.getMessage());
                    return RunExecution.USER_ERROR;
                }
                try (SearchSteps steps = new SearchSteps(address, token, tls, workerWait)) {
                    current[0] = steps;
                    outcome = search(search, settings, plan, steps, dir, people, err);
                }
            } else {
                ClusterToken token = ClusterToken.generate();
                try (CoordinatorServer server =
                                CoordinatorServer.start(new InetSocketAddress("127.0.0.1", 0), token, null);
                        LocalWorkers local = LocalWorkers.start(
                                plan.getWorkerCount(), "127.0.0.1:" + server.port(), token, dir.resolve("logs"));
                        SearchSteps steps = new SearchSteps(
                                InetSocketAddress.createUnresolved("127.0.0.1", server.port()),
                                token,
                                ClientTls.PLAINTEXT,
                                workerWait)) {
                    if (!quiet) {
                        people.printf(
                                "Embedded coordinator on 127.0.0.1:%d with %d local worker process(es)%n",
                                server.port(), plan.getWorkerCount());
                    }
                    current[0] = steps;
                    outcome = search(search, settings, plan, steps, dir, people, err);
                    if (outcome.conclusion() == SearchOutcome.Conclusion.INTERRUPTED
                            && !local.deadWorkers().isEmpty()) {
                        err.print(local.deadWorkers());
                    }
                }
            }
            return finish(outcome, settings, plan, dir, people);
        } catch (IOException e) {
            err.println("salvo: " + e.getMessage());
            return RunExecution.FAILED;
        } finally {
            current[0] = null;
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running and waits for finished, now counted down
            }
        }
    }

    private SearchSettings settings(RunPlan plan) {
        List<Criterion> objectives = new ArrayList<>();
        for (String text : slos) {
            Criterion objective;
            try {
                objective = CriterionSyntax.parse(text);
            } catch (InvalidCriterionException e) {
                throw new IllegalArgumentException("--slo '" + text + "': " + e.getMessage(), e);
            }
            objectives.add(objective);
        }
        if (objectives.isEmpty()) {
            objectives.addAll(Thresholds.of(plan));
        }
        if (objectives.isEmpty()) {
            throw new IllegalArgumentException(
                    "a capacity search needs objectives: give --slo 'p99<200ms' (repeatable) or thresholds in the plan");
        }
        objectives.forEach(StepFigures::requireJudgeable);
        double start = from != null ? from : plan.getPhases(0).getStartRatePerSecond();
        if (!(start > 0)) {
            throw new IllegalArgumentException("--from must be above 0 requests per second (the plan's first phase"
                    + " starts at " + plan.getPhases(0).getStartRatePerSecond() + "/s)");
        }
        double highest = max != null ? max : start * 1024;
        if (highest < start) {
            throw new IllegalArgumentException("--max (" + highest + "/s) is below --from (" + start + "/s)");
        }
        if (stepSeconds < 1) {
            throw new IllegalArgumentException("--step-seconds must be at least 1, got " + stepSeconds);
        }
        if (judgeIntervals < 1) {
            throw new IllegalArgumentException("--judge-intervals must be at least 1, got " + judgeIntervals);
        }
        return new SearchSettings(
                objectives,
                start,
                highest,
                percent("--precision", precision) / 100,
                growth,
                millis("--generator-lag-limit", generatorLagLimit),
                percent("--late-send-allowance", lateSendAllowance),
                maxSteps);
    }

    private static double percent(String option, String text) {
        String t = text.strip();
        boolean percentSign = t.endsWith("%");
        try {
            double value = Double.parseDouble(
                    percentSign ? t.substring(0, t.length() - 1).strip() : t);
            // A bare fraction below 1 reads as a share: 0.05 = 5 %.
            return percentSign || value >= 1 ? value : value * 100;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": expected a percentage such as 5%, got '" + text + "'", e);
        }
    }

    private static double millis(String option, String text) {
        try {
            Criterion c = CriterionSyntax.parse("p99 < " + text.strip());
            return c.limit();
        } catch (InvalidCriterionException e) {
            throw new IllegalArgumentException(
                    option + ": expected a duration such as 1ms or 500us, got '" + text + "'", e);
        }
    }

    private SearchOutcome search(
            CapacitySearch search,
            SearchSettings settings,
            RunPlan plan,
            SearchSteps steps,
            Path dir,
            PrintStream people,
            PrintStream err)
            throws IOException {
        StepJudge judge = new StepJudge(settings);
        Duration limit = Duration.ofSeconds(stepSeconds);
        for (int n = 1; ; n++) {
            if (interrupted.get()) {
                return search.interrupted("interrupted (Ctrl-C) before step " + n);
            }
            OptionalDouble next = search.nextRate();
            if (next.isEmpty()) {
                return search.outcome();
            }
            double rate = next.getAsDouble();
            if (!quiet) {
                people.printf(Locale.ROOT, "step %d: %s/s ...%n", n, SearchSteps.rateName(rate));
                people.flush();
            }
            RunResult result;
            try {
                result = steps.run(SearchSteps.stepPlan(plan, rate, limit, n), judgeIntervals, s -> {});
            } catch (StatusRuntimeException e) {
                err.println("salvo: step " + n + " at " + SearchSteps.rateName(rate) + "/s: the coordinator answered "
                        + RunExecution.describe(e));
                return search.interrupted("step " + n + " could not run: " + RunExecution.describe(e));
            }
            RunReport report = RunReport.from(result);
            Path stepJson = dir.resolve(String.format(Locale.ROOT, "step-%02d-%s.json", n, SearchSteps.rateName(rate)));
            ReportFiles.writeJson(report, stepJson);
            if (result.getState() == RunState.RUN_STATE_FAILED) {
                err.println(
                        "salvo: step " + n + "'s run failed: " + result.getMessage() + " (report: " + stepJson + ")");
                return search.interrupted("step " + n + "'s run failed: " + result.getMessage());
            }
            if (interrupted.get()) {
                return search.interrupted("interrupted (Ctrl-C) during step " + n + " (report: " + stepJson + ")");
            }
            StepResult step = judge.judge(StepFigures.of(rate, report), result.getRunId());
            search.record(step);
            if (!quiet) {
                people.printf(
                        Locale.ROOT,
                        "step %d: %s/s %s: %s%n",
                        n,
                        SearchSteps.rateName(rate),
                        step.verdict().label().toUpperCase(Locale.ROOT),
                        step.reason());
                people.flush();
            }
        }
    }

    private int finish(SearchOutcome outcome, SearchSettings settings, RunPlan plan, Path dir, PrintStream people)
            throws IOException {
        SearchReport report = SearchReport.of(plan.getName(), settings, outcome);
        Path jsonFile = dir.resolve("search.json");
        ReportFiles.json().writeValue(jsonFile.toFile(), report);
        String table = report.console();
        Files.writeString(dir.resolve("search.txt"), table);
        people.println();
        people.print(table);
        people.println("Search report: " + jsonFile + " (step run reports beside it)");
        people.flush();
        if (json) {
            System.out.println(ReportFiles.json().writeValueAsString(report));
            System.out.flush();
        }
        if (outcome.conclusion() == SearchOutcome.Conclusion.INTERRUPTED && interrupted.get()) {
            return RunExecution.INTERRUPTED;
        }
        return outcome.answered() ? RunExecution.OK : NOT_CONCLUSIVE;
    }
}
