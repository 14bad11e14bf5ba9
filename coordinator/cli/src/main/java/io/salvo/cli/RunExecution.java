package io.salvo.cli;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.salvo.benchmark.CoordinatorLoadRunner;
import io.salvo.benchmark.PlatformHeaders;
import io.salvo.cli.live.LiveOutput;
import io.salvo.cli.live.PlainLines;
import io.salvo.coordinator.http.DashboardServer;
import io.salvo.coordinator.server.CoordinatorServer;
import io.salvo.core.security.BearerTokenCredentials;
import io.salvo.core.security.ClusterToken;
import io.salvo.core.security.TlsRefusal;
import io.salvo.proto.v1.GetRunResultRequest;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.ProtocolVersion;
import io.salvo.proto.v1.RunControlGrpc;
import io.salvo.proto.v1.RunControlGrpc.RunControlBlockingStub;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.RunState;
import io.salvo.proto.v1.StartRunRequest;
import io.salvo.proto.v1.StartRunResponse;
import io.salvo.proto.v1.StopRunRequest;
import io.salvo.proto.v1.WatchRunRequest;
import io.salvo.report.ConsoleReport;
import io.salvo.report.ReportFiles;
import io.salvo.report.RunReport;
import io.salvo.report.html.HtmlReport;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Carries out one run for the CLI: optionally an embedded coordinator with local worker processes,
 * then start, live view, result and report files. Ctrl-C stops the run and still writes the report
 * of what was measured.
 */
final class RunExecution {

    /** Exit codes of {@code salvo run}. */
    static final int OK = 0;

    static final int FAILED = 1;
    static final int USER_ERROR = 2;
    static final int INTERRUPTED = 130;
    /** The run completed (or was stopped by abortOnFail) and at least one of the plan's thresholds failed; as k6. */
    static final int THRESHOLD_FAILED = 99;

    /** How long the CLI keeps trying the other coordinators after losing the one it watched. */
    private static final Duration FAILOVER_PATIENCE = Duration.ofSeconds(60);

    private final RunPlan plan;
    /** The coordinators of the cluster to use, tried in order; empty for an embedded coordinator. */
    private final List<InetSocketAddress> coordinators;
    /** The token for {@link #coordinators}; for an embedded coordinator a fresh one is generated. */
    private final ClusterToken token;

    private final ClientTls tls;
    private final Path outDir;
    private final Duration workerWait;
    private final boolean quiet;
    private final PrintStream out;
    private final PrintStream err;

    private final AtomicBoolean interrupted = new AtomicBoolean();
    private final CountDownLatch reportWritten = new CountDownLatch(1);
    private volatile String runId;
    private volatile RunControlBlockingStub control;
    private final Map<InetSocketAddress, ManagedChannel> channels = new LinkedHashMap<>();
    /** Interval index of the last live line printed, so a replay after a fail-over prints nothing twice. */
    private long lastPrintedIndex = -1;
    /** Set once the result files exist, for callers that want to read them. */
    private volatile Path jsonReport;

    private volatile RunReport report;
    /** Where the live snapshots go; lines on {@link #out} unless the command chose otherwise. */
    private volatile LiveOutput live;

    /** Runs on Ctrl-C after the partial report, before the JVM halts (a deployment's teardown); may be null. */
    private volatile Runnable beforeHalt;

    /** Stops the run once a threshold marked abortOnFail can no longer pass. */
    private final ThresholdAbort thresholdAbort;

    RunExecution(
            RunPlan plan,
            List<InetSocketAddress> coordinators,
            ClusterToken token,
            ClientTls tls,
            Path outDir,
            Duration workerWait,
            boolean quiet,
            PrintStream out,
            PrintStream err) {
        this.plan = plan;
        this.coordinators = coordinators == null ? List.of() : List.copyOf(coordinators);
        this.token = token;
        this.tls = tls == null ? ClientTls.PLAINTEXT : tls;
        this.outDir = outDir;
        this.workerWait = workerWait;
        this.quiet = quiet;
        this.out = out;
        this.err = err;
        this.live = quiet ? LiveOutput.none() : new PlainLines(plan, out);
        this.thresholdAbort = new ThresholdAbort(plan, err, this::stopQuietly);
    }

    private DashboardOptions dashboard;
    private int dashboardPort;
    private volatile DashboardServer dashboardServer;
    private java.util.function.Supplier<String> startFailureDiagnosis = () -> "";

    /** The platform driver taking part in the run, or null. */
    private volatile PlatformAttachment platform;

    private volatile io.salvo.benchmark.PriceTable prices;

    /**
     * Makes a deployed (and, for a cold start, forced cold) platform driver take part: the explicit scale-up at load
     * start, its counts and events in the live view, its breakdown beside the report, and its teardown on Ctrl-C. The
     * caller deploys before and tears down after {@link #execute}.
     */
    RunExecution platform(io.salvo.platform.PlatformDriver driver) {
        return platform(driver, true);
    }

    /**
     * As {@link #platform(io.salvo.platform.PlatformDriver)}; {@code teardownOnInterrupt} false leaves the teardown on
     * Ctrl-C to {@link #beforeHalt} (a plan's platform section, which may say keep).
     */
    RunExecution platform(io.salvo.platform.PlatformDriver driver, boolean teardownOnInterrupt) {
        this.platform = driver == null ? null : new PlatformAttachment(driver, teardownOnInterrupt);
        return this;
    }

    /**
     * The price table the platform's billed usage is priced by for the report's cost estimate (docs/cost.md); the
     * built-in one unless set (a plan's platform section may add node prices).
     */
    RunExecution prices(io.salvo.benchmark.PriceTable table) {
        this.prices = table;
        return this;
    }

    /** The platform report file once written, or null. */
    Path platformReport() {
        return platformReport;
    }

    private volatile Path platformReport;

    /** Serves the embedded coordinator's live dashboard on {@code port} (0: any free one); null options: none. */
    RunExecution dashboard(DashboardOptions options, int port) {
        this.dashboard = options;
        this.dashboardPort = port;
        return this;
    }

    /** The embedded coordinator's dashboard while the run is under way, or null. */
    DashboardServer dashboardServer() {
        return dashboardServer;
    }

    /** Explains a start that failed (e.g. why worker pods are not running); empty text adds nothing. */
    RunExecution startFailureDiagnosis(java.util.function.Supplier<String> diagnosis) {
        this.startFailureDiagnosis = diagnosis;
        return this;
    }

    /** Renews the platform's request headers during the run; null when the platform wants none renewed. */
    private volatile PlatformHeaders platformHeaders;

    /** Once the run has an id, {@code headers} (may be null) renews its request headers through the coordinator. */
    RunExecution platformHeaders(PlatformHeaders headers) {
        this.platformHeaders = headers;
        return this;
    }

    /** Runs {@code action} on Ctrl-C once the partial report is written, before the JVM halts. */
    RunExecution beforeHalt(Runnable action) {
        this.beforeHalt = action;
        return this;
    }

    /** Shows the live snapshots this way (the terminal table, JSON lines) instead of lines on the output. */
    RunExecution liveOutput(LiveOutput output) {
        this.live = output;
        return this;
    }

    Path jsonReport() {
        return jsonReport;
    }

    RunReport report() {
        return report;
    }

    int execute() {
        try {
            Files.createDirectories(outDir);
        } catch (IOException e) {
            err.println("salvo: cannot create the output folder " + outDir + ": " + e.getMessage());
            return USER_ERROR;
        }
        Thread hook = new Thread(this::onInterrupt, "salvo-run-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            if (!coordinators.isEmpty()) {
                return runAgainst(coordinators, token, tls, null);
            }
            ClusterToken localToken = ClusterToken.generate();
            try (CoordinatorServer server =
                    CoordinatorServer.start(new InetSocketAddress("127.0.0.1", 0), localToken, null)) {
                String address = "127.0.0.1:" + server.port();
                if (!quiet) {
                    out.printf(
                            "Embedded coordinator on %s; starting %d local worker process(es)%n",
                            address, plan.getWorkerCount());
                }
                if (dashboard != null) {
                    dashboardServer = dashboard.start(server, dashboardPort, localToken);
                    if (!quiet) {
                        out.printf("Live dashboard on %s/%n", dashboardServer.url());
                    }
                }
                try (LocalWorkers workers =
                        LocalWorkers.start(plan.getWorkerCount(), address, localToken, outDir.resolve("logs"))) {
                    return runAgainst(
                            List.of(InetSocketAddress.createUnresolved("127.0.0.1", server.port())),
                            localToken,
                            ClientTls.PLAINTEXT,
                            workers);
                } finally {
                    if (dashboardServer != null) {
                        dashboardServer.close();
                    }
                }
            }
        } catch (IOException e) {
            err.println("salvo: " + e.getMessage());
            return FAILED;
        } finally {
            reportWritten.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The hook is running: it waits for reportWritten, which is now counted down.
            }
        }
    }

    private int runAgainst(
            List<InetSocketAddress> addresses, ClusterToken callToken, ClientTls callTls, LocalWorkers localWorkers)
            throws IOException {
        try {
            StartRunResponse started = null;
            int current = 0;
            StatusRuntimeException lastRefusal = null;
            // Runs start on the cluster's leader: a coordinator that is down or a follower says
            // UNAVAILABLE, and the next address is tried.
            for (int i = 0; i < addresses.size() && started == null; i++) {
                use(addresses.get(i), callToken, callTls);
                try {
                    started = control.withDeadlineAfter(workerWait.toMillis() + 30_000, TimeUnit.MILLISECONDS)
                            .startRun(StartRunRequest.newBuilder()
                                    .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1)
                                    .setPlan(plan)
                                    .setWorkerWaitMillis((int) Math.min(Integer.MAX_VALUE, workerWait.toMillis()))
                                    .build());
                    current = i;
                } catch (StatusRuntimeException e) {
                    lastRefusal = e;
                    boolean tryNext = e.getStatus().getCode() == Status.Code.UNAVAILABLE && i + 1 < addresses.size();
                    if (!tryNext) {
                        break;
                    }
                    err.println("salvo: coordinator " + HostPort.format(addresses.get(i)) + " did not start the run ("
                            + describe(e) + "); trying " + HostPort.format(addresses.get(i + 1)));
                }
            }
            if (started == null) {
                err.println("salvo: the coordinator at " + HostPort.format(addresses.get(addresses.size() - 1))
                        + " did not start the run: " + describe(lastRefusal));
                if (localWorkers != null && !localWorkers.deadWorkers().isEmpty()) {
                    err.print(localWorkers.deadWorkers());
                }
                String diagnosis = startFailureDiagnosis.get();
                if (!diagnosis.isEmpty()) {
                    err.println("salvo: " + diagnosis);
                }
                return FAILED;
            }
            runId = started.getRunId();
            PlatformHeaders headers = platformHeaders;
            if (headers != null) {
                // Through whichever coordinator is in use at each renewal: after a fail-over, the new one.
                headers.follow(runId, CoordinatorLoadRunner.pushThrough(() -> control));
            }
            if (interrupted.get()) {
                stopQuietly("interrupted");
            }
            PlatformAttachment attached = platform;
            if (attached != null) {
                try {
                    attached.loadStarting(control, runId);
                } catch (io.salvo.platform.PlatformException e) {
                    err.println("salvo: " + e.getMessage());
                    stopQuietly("the platform could not scale up: " + e.getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    stopQuietly("interrupted");
                }
            }
            if (!quiet) {
                out.printf(
                        "Run %s started on %d worker(s): %s%n",
                        runId, started.getWorkerIdsCount(), String.join(", ", started.getWorkerIdsList()));
                if (dashboardServer != null) {
                    out.printf("Follow it on %s/runs/%s%n", dashboardServer.url(), runId);
                }
            }
            long failoverDeadline = 0;
            RunState finalState = null;
            RunResult result = null;
            // Watch, then fetch the result; when the coordinator in use is lost, carry on with the
            // others (any coordinator of the cluster serves every run).
            while (result == null) {
                try {
                    if (finalState == null) {
                        finalState = watch();
                    }
                    result = control.withDeadlineAfter(60, TimeUnit.SECONDS)
                            .getRunResult(GetRunResultRequest.newBuilder()
                                    .setRunId(runId)
                                    .build());
                } catch (StatusRuntimeException e) {
                    if (addresses.size() == 1 || !worthRetrying(e)) {
                        err.println("salvo: lost the coordinator at " + HostPort.format(addresses.get(current)) + ": "
                                + describe(e));
                        return FAILED;
                    }
                    long now = System.nanoTime();
                    if (failoverDeadline == 0) {
                        failoverDeadline = now + FAILOVER_PATIENCE.toNanos();
                    } else if (now > failoverDeadline) {
                        err.println("salvo: no coordinator of the cluster answered for " + FAILOVER_PATIENCE.toSeconds()
                                + " s: " + describe(e));
                        return FAILED;
                    }
                    InetSocketAddress lost = addresses.get(current);
                    current = (current + 1) % addresses.size();
                    live.beforeOtherOutput();
                    err.println("salvo: lost coordinator " + HostPort.format(lost) + " (" + describe(e)
                            + "); continuing with " + HostPort.format(addresses.get(current)));
                    use(addresses.get(current), callToken, callTls);
                    sleepQuietly(250);
                }
            }
            writeReports(result);
            if (interrupted.get()) {
                return INTERRUPTED;
            }
            if (finalState == RunState.RUN_STATE_FAILED) {
                return FAILED;
            }
            return thresholdAbort.aborted() || report.anyThresholdFailed() ? THRESHOLD_FAILED : OK;
        } finally {
            channels.values().forEach(ManagedChannel::shutdownNow);
        }
    }

    /** A coordinator that went away, or one still taking over, may answer on the next try. */
    static boolean worthRetrying(StatusRuntimeException e) {
        return switch (e.getStatus().getCode()) {
            case UNAVAILABLE, CANCELLED, UNKNOWN, DEADLINE_EXCEEDED -> true;
            default -> false;
        };
    }

    private void use(InetSocketAddress address, ClusterToken callToken, ClientTls callTls) {
        ManagedChannel channel = channels.get(address);
        if (channel == null) {
            channel = callTls.configure(NettyChannelBuilder.forAddress(address.getHostString(), address.getPort())
                            .maxInboundMessageSize(64 * 1024 * 1024))
                    .build();
            channels.put(address, channel);
        }
        RunControlBlockingStub stub = RunControlGrpc.newBlockingStub(channel);
        control = callToken == null ? stub : stub.withCallCredentials(new BearerTokenCredentials(callToken));
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private RunState watch() {
        Iterator<LiveSnapshot> snapshots =
                control.watchRun(WatchRunRequest.newBuilder().setRunId(runId).build());
        RunState state = RunState.RUN_STATE_RUNNING;
        while (snapshots.hasNext()) {
            LiveSnapshot s = snapshots.next();
            state = s.getState();
            if (isTerminal(state)) {
                live.ended(s);
                return state;
            }
            if (s.getIntervalIndex() <= lastPrintedIndex) {
                continue; // replayed by the coordinator we failed over to
            }
            lastPrintedIndex = s.getIntervalIndex();
            live.interval(s);
            // the platform's counts and events, as the coordinator's feed carries them (reported by this CLI below,
            // or by whichever client drives the platform)
            io.salvo.cli.live.PlatformUpdate shown = io.salvo.cli.live.PlatformUpdate.of(s);
            if (shown != null) {
                live.platform(shown);
            }
            PlatformAttachment attached = platform;
            if (attached != null) {
                attached.afterInterval(s.getIntervalIndex(), control, runId, live);
            }
            thresholdAbort.accept(s);
        }
        // The stream ended without a terminal snapshot: the coordinator went away mid-stream.
        throw Status.UNAVAILABLE
                .withDescription("the live view ended before the run did")
                .asRuntimeException();
    }

    private void writeReports(RunResult result) throws IOException {
        RunReport built = RunReport.from(result);
        PlatformAttachment attached = platform;
        io.salvo.benchmark.PlatformReport platformSide = attached == null ? null : attached.finish(result, out);
        if (platformSide != null) {
            built = built.withPlatform(platformSide.section());
            // priced before the report is written, so its cost criteria are judged and the JSON and HTML carry it
            if (platformSide.usage().isPresent()) {
                io.salvo.benchmark.PriceTable table = prices == null ? io.salvo.benchmark.PriceTable.builtIn() : prices;
                built = built.withCost(io.salvo.benchmark.CostEstimate.of(
                                platformSide.usage().get(), built.totals().successes(), table)
                        .section());
            }
        }
        Path json = outDir.resolve(result.getRunId() + ".json");
        Path hlog = outDir.resolve(result.getRunId() + ".hlog");
        ReportFiles.writeJson(built, json);
        ReportFiles.writeHlog(result, hlog);
        report = built;
        jsonReport = json;
        ConsoleReport.print(built, out);
        if (platformSide != null) {
            platformReport = attached.write(platformSide, result.getRunId(), outDir, out);
        }
        out.printf("%nReport: %s%nHistogram log: %s%n", json, hlog);
        out.printf("HTML report: %s%n", HtmlReport.writeBesideJson(built, json));
        out.flush();
    }

    private static boolean isTerminal(RunState state) {
        return state == RunState.RUN_STATE_COMPLETED
                || state == RunState.RUN_STATE_STOPPED
                || state == RunState.RUN_STATE_FAILED;
    }

    /** Runs on Ctrl-C: stop the run, then wait for the main thread to write the partial report. */
    private void onInterrupt() {
        interrupted.set(true);
        if (reportWritten.getCount() == 0) {
            return;
        }
        live.beforeOtherOutput();
        err.println("\nsalvo: interrupted; stopping the run and writing the report of what was measured...");
        stopQuietly("interrupted (Ctrl-C)");
        try {
            reportWritten.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        PlatformAttachment attached = platform;
        if (attached != null && attached.teardownOnInterrupt()) {
            // the CLI halts below, so the caller's teardown would never run; the driver honours keep
            err.println("salvo: tearing down " + attached.driver().label());
            attached.driver().teardown();
        }
        Runnable last = beforeHalt;
        if (last != null) {
            last.run();
        }
        out.flush();
        err.flush();
        // A JVM ending on a signal exits 128+signal whatever main returns; 130 is documented.
        Runtime.getRuntime().halt(INTERRUPTED);
    }

    /** Asks the coordinator to stop the run (as Ctrl-C does, without ending the CLI); errors are printed. */
    void stopQuietly(String reason) {
        RunControlBlockingStub stub = control;
        String id = runId;
        if (stub == null || id == null) {
            return;
        }
        try {
            stub.withDeadlineAfter(5, TimeUnit.SECONDS)
                    .stopRun(StopRunRequest.newBuilder()
                            .setRunId(id)
                            .setReason(reason)
                            .build());
        } catch (StatusRuntimeException e) {
            err.println("salvo: could not stop run " + id + ": " + describe(e));
        }
    }

    static String describe(StatusRuntimeException e) {
        String description = e.getStatus().getDescription();
        String tls = TlsRefusal.describe(e.getCause());
        if (tls != null) {
            // gRPC's own description is "io exception" and a dump of the channel pipeline: the cause says it all.
            return e.getStatus().getCode() + ": " + tls;
        }
        return e.getStatus().getCode() + (description == null ? "" : ": " + description);
    }
}
