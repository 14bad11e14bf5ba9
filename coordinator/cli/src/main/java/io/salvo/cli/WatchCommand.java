package io.salvo.cli;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.salvo.cli.live.LiveOutput;
import io.salvo.core.security.BearerTokenCredentials;
import io.salvo.core.security.ClusterToken;
import io.salvo.proto.v1.GetRunResultRequest;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.RunControlGrpc;
import io.salvo.proto.v1.RunControlGrpc.RunControlBlockingStub;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.RunState;
import io.salvo.proto.v1.WatchRunRequest;
import io.salvo.report.ConsoleReport;
import io.salvo.report.RunReport;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "watch",
        mixinStandardHelpOptions = true,
        description = {
            "Follows a run under way on a coordinator cluster, with the same live view as 'salvo run', "
                    + "until it ends; then prints its report.",
            "Ctrl-C detaches: the run goes on."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:the run completed",
            "1:the run failed or was stopped, or no coordinator could be reached",
            "2:no such run, or the command line is invalid",
            "130:detached (Ctrl-C); the run goes on"
        })
final class WatchCommand implements java.util.concurrent.Callable<Integer> {

    /** How long to keep trying the other coordinators after losing the one in use, as {@code salvo run} does. */
    private static final Duration FAILOVER_PATIENCE = Duration.ofSeconds(60);

    @Parameters(index = "0", paramLabel = "RUN_ID", description = "The run, as 'salvo run' printed it.")
    String runId;

    @Option(
            names = "--coordinator",
            paramLabel = "HOST:PORT[,HOST:PORT...]",
            description = "The coordinators of the cluster running it; any of them serves the live view, "
                    + "and the next is used when one is lost.")
    String coordinator;

    @Option(
            names = {"-v", "--verbose"},
            description = "Log gRPC activity.")
    boolean verbose;

    @Mixin
    LiveOptions live = new LiveOptions();

    @Mixin
    SecurityOptions security = new SecurityOptions();

    @Mixin
    KubernetesOptions kubernetes = new KubernetesOptions();

    @Mixin
    TlsServerNameOption tlsServerName = new TlsServerNameOption();

    private final List<ManagedChannel> channels = new ArrayList<>();
    /** Null until the plan is known; read by the Ctrl-C hook. */
    private volatile LiveOutput output;

    @Override
    public Integer call() {
        PrintStream err = System.err;
        PrintStream human = live.humanOutput();
        SalvoCli.logLevel(verbose ? Level.INFO : Level.WARNING);
        ClientTls tls;
        try {
            tls = tlsServerName.resolve(security.tls(), kubernetes.enabled ? kubernetes.namespace : null);
        } catch (IOException e) {
            err.println("salvo: " + e.getMessage());
            return RunExecution.USER_ERROR;
        }
        try (KubernetesOptions.Coordinators coordinators = kubernetes.resolve(coordinator, security)) {
            return watch(coordinators.addresses(), coordinators.token(), tls, human, err);
        } catch (KubernetesOptions.Refused e) {
            err.println("salvo: " + e.getMessage());
            return e.exitCode;
        }
    }

    private int watch(
            List<InetSocketAddress> addresses, ClusterToken token, ClientTls tls, PrintStream human, PrintStream err) {
        AtomicBoolean done = new AtomicBoolean();
        // Ctrl-C only ends this process: nothing is sent to the coordinator, so the run goes on.
        Thread detach = new Thread(
                () -> {
                    if (!done.get()) {
                        LiveOutput shown = output;
                        if (shown != null) {
                            shown.beforeOtherOutput();
                        }
                        err.println("\nsalvo: detached from run " + runId + "; it goes on ('salvo watch " + runId
                                + "' follows it again)");
                        err.flush();
                    }
                },
                "salvo-watch-detach");
        Runtime.getRuntime().addShutdownHook(detach);
        try {
            return follow(addresses, token, tls, human, err);
        } finally {
            done.set(true);
            channels.forEach(ManagedChannel::shutdownNow);
            try {
                Runtime.getRuntime().removeShutdownHook(detach);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C arrived as the run ended: the hook sees done and stays quiet.
            }
        }
    }

    private int follow(
            List<InetSocketAddress> addresses, ClusterToken token, ClientTls tls, PrintStream human, PrintStream err) {
        int current = 0;
        long failoverDeadline = 0;
        long lastShownIndex = -1;
        RunControlBlockingStub control = stub(addresses.get(current), token, tls);
        while (true) {
            try {
                if (output == null) {
                    // The plan (phases, for the total and the phase shown) comes with the result so far.
                    RunResult sofar = control.withDeadlineAfter(60, TimeUnit.SECONDS)
                            .getRunResult(GetRunResultRequest.newBuilder()
                                    .setRunId(runId)
                                    .build());
                    output = live.mode(false).create(sofar.getPlan(), System.out);
                }
                Iterator<LiveSnapshot> snapshots = control.watchRun(
                        WatchRunRequest.newBuilder().setRunId(runId).build());
                while (snapshots.hasNext()) {
                    LiveSnapshot s = snapshots.next();
                    if (isTerminal(s.getState())) {
                        output.ended(s);
                        printReport(control, human, err);
                        return s.getState() == RunState.RUN_STATE_COMPLETED ? RunExecution.OK : RunExecution.FAILED;
                    }
                    if (s.getIntervalIndex() <= lastShownIndex) {
                        continue; // replayed by the coordinator we failed over to
                    }
                    lastShownIndex = s.getIntervalIndex();
                    output.interval(s);
                    io.salvo.cli.live.PlatformUpdate platform = io.salvo.cli.live.PlatformUpdate.of(s);
                    if (platform != null) {
                        output.platform(platform);
                    }
                }
                throw Status.UNAVAILABLE
                        .withDescription("the live view ended before the run did")
                        .asRuntimeException();
            } catch (StatusRuntimeException e) {
                InetSocketAddress address = addresses.get(current);
                if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                    err.println(
                            "salvo: the coordinator at " + HostPort.format(address) + " knows no run '" + runId + "'");
                    return RunExecution.USER_ERROR;
                }
                if (addresses.size() == 1 || !RunExecution.worthRetrying(e)) {
                    err.println("salvo: lost the coordinator at " + HostPort.format(address) + ": "
                            + RunExecution.describe(e));
                    return RunExecution.FAILED;
                }
                long now = System.nanoTime();
                if (failoverDeadline == 0) {
                    failoverDeadline = now + FAILOVER_PATIENCE.toNanos();
                } else if (now > failoverDeadline) {
                    err.println("salvo: no coordinator of the cluster answered for " + FAILOVER_PATIENCE.toSeconds()
                            + " s: " + RunExecution.describe(e));
                    return RunExecution.FAILED;
                }
                current = (current + 1) % addresses.size();
                if (output != null) {
                    output.beforeOtherOutput();
                }
                err.println("salvo: lost coordinator " + HostPort.format(address) + " (" + RunExecution.describe(e)
                        + "); continuing with " + HostPort.format(addresses.get(current)));
                control = stub(addresses.get(current), token, tls);
                try {
                    Thread.sleep(250);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return RunExecution.FAILED;
                }
            }
        }
    }

    /** The run's report on the console, as 'salvo run' prints it; the files stay with whoever started the run. */
    private void printReport(RunControlBlockingStub control, PrintStream human, PrintStream err) {
        try {
            RunResult result = control.withDeadlineAfter(60, TimeUnit.SECONDS)
                    .getRunResult(
                            GetRunResultRequest.newBuilder().setRunId(runId).build());
            ConsoleReport.print(RunReport.from(result), human);
            human.flush();
        } catch (StatusRuntimeException e) {
            err.println("salvo: the run ended, but its report could not be fetched: " + RunExecution.describe(e));
        }
    }

    private RunControlBlockingStub stub(InetSocketAddress address, ClusterToken token, ClientTls tls) {
        NettyChannelBuilder builder = NettyChannelBuilder.forAddress(address.getHostString(), address.getPort())
                .maxInboundMessageSize(64 * 1024 * 1024);
        ManagedChannel channel = tls.configure(builder).build();
        channels.add(channel);
        RunControlBlockingStub stub = RunControlGrpc.newBlockingStub(channel);
        return token == null ? stub : stub.withCallCredentials(new BearerTokenCredentials(token));
    }

    private static boolean isTerminal(RunState state) {
        return state == RunState.RUN_STATE_COMPLETED
                || state == RunState.RUN_STATE_STOPPED
                || state == RunState.RUN_STATE_FAILED;
    }
}
