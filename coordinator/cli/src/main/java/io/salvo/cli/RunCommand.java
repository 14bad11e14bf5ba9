package io.salvo.cli;

import io.salvo.benchmark.PlatformHeaders;
import io.salvo.cli.live.LiveOutput;
import io.salvo.core.security.ClusterToken;
import io.salvo.plan.PlanDocument;
import io.salvo.plan.PlanException;
import io.salvo.plan.PlanParser;
import io.salvo.proto.v1.RunPlan;
import io.salvo.report.RunReport;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = {
            "Runs a load plan (YAML).",
            "With a 'platform' section the plan's model is deployed first through that platform driver (optionally"
                    + " forced cold), the target path is sent to the deployment, and the deployment is torn down"
                    + " afterwards, also on Ctrl-C, unless the section says keep.",
            "Without --coordinator it starts an embedded coordinator and the plan's number of worker "
                    + "processes on this machine, and stops them afterwards."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:the run completed",
            "1:the run failed or the coordinator could not be reached",
            "2:the plan or the command line is invalid (nothing was sent)",
            "99:a threshold of the plan failed, or abortOnFail stopped the run; the report was written",
            "130:interrupted; the report of what was measured was still written"
        })
final class RunCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PLAN.yaml", description = "The run plan.")
    Path planFile;

    @Option(
            names = "--coordinator",
            paramLabel = "HOST:PORT[,HOST:PORT...]",
            description = {
                "Use a running coordinator cluster and its workers instead of local ones.",
                "With several addresses (the coordinators of one cluster) the next is tried when one is down, "
                        + "and the live view continues on another if the one in use dies."
            })
    String coordinator;

    @Option(names = "--workers", paramLabel = "N", description = "Override the plan's worker count.")
    Integer workers;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            defaultValue = "salvo-results",
            description = "Folder for the JSON report, the .hlog file and worker logs (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(
            names = "--worker-wait",
            paramLabel = "SECONDS",
            defaultValue = "60",
            description = "How long to wait for enough workers (default: ${DEFAULT-VALUE} s).")
    int workerWaitSeconds;

    @Option(
            names = {"-q", "--quiet"},
            description = "No live view; only the final report.")
    boolean quiet;

    @Mixin
    LiveOptions live = new LiveOptions();

    @Option(
            names = {"-v", "--verbose"},
            description = "Log coordinator activity.")
    boolean verbose;

    @Mixin
    SecurityOptions security = new SecurityOptions();

    @Option(
            names = "--http-port",
            paramLabel = "PORT",
            description = "Serve the embedded coordinator's live web dashboard on this port (0 = any free port; "
                    + "off by default). With --coordinator, open that coordinator's dashboard instead.")
    Integer httpPort;

    @Mixin
    DashboardOptions dashboard = new DashboardOptions();

    @Mixin
    KubernetesOptions kubernetes = new KubernetesOptions();

    @Mixin
    TlsServerNameOption tlsServerName = new TlsServerNameOption();

    /** How the coordinators are dialled; checked before anything is deployed. */
    private ClientTls clientTls = ClientTls.PLAINTEXT;

    @Override
    public Integer call() {
        var err = System.err;
        SalvoCli.logLevel(verbose ? Level.INFO : Level.WARNING);
        RunPlan plan;
        PlanDocument document;
        try {
            document = PlanParser.parseDocument(planFile);
        } catch (PlanException e) {
            err.println("salvo: " + e.getMessage());
            return RunExecution.USER_ERROR;
        }
        plan = document.plan();
        if (workers != null) {
            if (workers < 1) {
                err.println("salvo: --workers must be at least 1, got " + workers);
                return RunExecution.USER_ERROR;
            }
            plan = plan.toBuilder().setWorkerCount(workers).build();
        }
        List<InetSocketAddress> addresses = List.of();
        if (coordinator != null) {
            try {
                addresses = HostPort.parseList(coordinator);
            } catch (IllegalArgumentException e) {
                err.println("salvo: --coordinator: " + e.getMessage());
                return RunExecution.USER_ERROR;
            }
        }
        if (httpPort != null) {
            if (!addresses.isEmpty()) {
                err.println("salvo: --http-port serves the embedded coordinator's dashboard; with --coordinator, "
                        + "open that coordinator's dashboard (salvo coordinator serves one on port "
                        + io.salvo.coordinator.http.DashboardSettings.DEFAULT_PORT + " unless told otherwise)");
                return RunExecution.USER_ERROR;
            }
            if (httpPort < 0 || httpPort > 65535) {
                err.println("salvo: --http-port must be between 0 and 65535, got " + httpPort);
                return RunExecution.USER_ERROR;
            }
            try {
                dashboard.viewerToken();
            } catch (java.io.IOException e) {
                err.println("salvo: " + e.getMessage());
                return RunExecution.USER_ERROR;
            }
        }
        if (kubernetes.enabled && (coordinator != null || httpPort != null)) {
            err.println("salvo: --kubernetes reaches the cluster's coordinators; it goes with neither --coordinator "
                    + "nor --http-port");
            return RunExecution.USER_ERROR;
        }
        try {
            clientTls = tlsServerName.resolve(security.tls(), kubernetes.enabled ? kubernetes.namespace : null);
        } catch (java.io.IOException e) {
            err.println("salvo: " + e.getMessage());
            return RunExecution.USER_ERROR;
        }
        if (!addresses.isEmpty()) {
            try {
                // checked here, before anything is deployed; read again where the run starts
                security.clientToken();
            } catch (java.io.IOException e) {
                err.println("salvo: " + e.getMessage());
                return RunExecution.USER_ERROR;
            }
        }
        if (document.platform() != null) {
            return ModelDeployment.runOn(
                    document,
                    plan,
                    (headers, beforeHalt, driver, prices) ->
                            execute(headers.plan(), beforeHalt, headers, driver, prices),
                    System.out,
                    err);
        }
        return execute(plan, null, null, null, null).exitCode();
    }

    /**
     * Runs {@code plan}; {@code beforeHalt} (may be null) runs on Ctrl-C after the partial report is written;
     * {@code headers} (may be null) renews the platform's request headers during the run; {@code driver} (may be null)
     * is the plan's deployed platform, attached to the run (it is torn down by {@code beforeHalt}, not by the run, so
     * the section's keep is honoured).
     */
    private ModelDeployment.Finished execute(
            RunPlan plan,
            Runnable beforeHalt,
            PlatformHeaders headers,
            io.salvo.platform.PlatformDriver driver,
            io.salvo.benchmark.PriceTable prices) {
        var err = System.err;
        List<InetSocketAddress> addresses = List.of();
        ClusterToken token = null;
        KubernetesOptions.Connection cluster = null;
        try {
            if (kubernetes.enabled) {
                cluster = kubernetes.connect(security);
                addresses = cluster.addresses();
                token = cluster.token();
            } else if (coordinator != null) {
                addresses = HostPort.parseList(coordinator);
                token = security.clientToken();
            }
        } catch (IllegalArgumentException | java.io.IOException e) {
            err.println("salvo: " + e.getMessage());
            return new ModelDeployment.Finished(RunExecution.USER_ERROR, 0, null);
        } catch (io.salvo.deploy.kubernetes.DeployException e) {
            err.println("salvo: " + e.getMessage());
            return new ModelDeployment.Finished(RunExecution.FAILED, 0, null);
        }
        try (KubernetesOptions.Connection forwards = cluster) {
            return execute(plan, beforeHalt, headers, driver, prices, addresses, token, forwards);
        }
    }

    private ModelDeployment.Finished execute(
            RunPlan plan,
            Runnable beforeHalt,
            PlatformHeaders headers,
            io.salvo.platform.PlatformDriver driver,
            io.salvo.benchmark.PriceTable prices,
            List<InetSocketAddress> addresses,
            ClusterToken token,
            KubernetesOptions.Connection cluster) {
        LiveOutput.Mode mode = live.mode(quiet);
        RunExecution execution = new RunExecution(
                        plan,
                        addresses,
                        token,
                        clientTls,
                        out,
                        Duration.ofSeconds(workerWaitSeconds),
                        quiet,
                        live.humanOutput(),
                        System.err)
                .liveOutput(mode.create(plan, System.out))
                .dashboard(httpPort == null ? null : dashboard, httpPort == null ? 0 : httpPort)
                .startFailureDiagnosis(cluster == null ? () -> "" : cluster::workerDiagnosis)
                .beforeHalt(beforeHalt)
                .platformHeaders(headers)
                .platform(driver, false)
                .prices(prices);
        int exit = execution.execute();
        RunReport report = execution.report();
        return new ModelDeployment.Finished(
                exit, report == null ? 0 : report.totals().successes(), report == null ? null : report.cost());
    }
}
