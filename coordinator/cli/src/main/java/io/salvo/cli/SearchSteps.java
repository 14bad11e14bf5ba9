package io.salvo.cli;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.salvo.core.security.BearerTokenCredentials;
import io.salvo.core.security.ClusterToken;
import io.salvo.proto.v1.GetRunResultRequest;
import io.salvo.proto.v1.LiveEventKind;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.Phase;
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
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Iterator;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs the steps of a capacity search on a coordinator: each step is one run of the plan at a single constant rate,
 * stopped once steady state has held for the judging window (or at the step limit), so a search spends its time on
 * the rates that decide it rather than on fixed-length steps.
 */
final class SearchSteps implements AutoCloseable {

    /** Results carry compressed histograms per interval; a long step exceeds gRPC's 4 MiB default. */
    private static final int MAX_RESULT_BYTES = 64 * 1024 * 1024;

    private final ManagedChannel channel;
    private final RunControlBlockingStub control;
    private final Duration workerWait;
    private volatile String currentRun;

    SearchSteps(InetSocketAddress coordinator, ClusterToken token, ClientTls tls, Duration workerWait) {
        this.channel = tls.configure(NettyChannelBuilder.forAddress(coordinator.getHostString(), coordinator.getPort())
                        .maxInboundMessageSize(MAX_RESULT_BYTES))
                .build();
        RunControlBlockingStub stub = RunControlGrpc.newBlockingStub(channel);
        this.control = token == null ? stub : stub.withCallCredentials(new BearerTokenCredentials(token));
        this.workerWait = workerWait;
    }

    /** The plan of the step at {@code rate}: one constant phase of {@code limit}, the plan's own thresholds dropped. */
    static RunPlan stepPlan(RunPlan plan, double rate, Duration limit, int stepNumber) {
        return plan.toBuilder()
                .setName(String.format(Locale.ROOT, "%s-search-%02d-%s", plan.getName(), stepNumber, rateName(rate)))
                .clearPhases()
                .addPhases(Phase.newBuilder()
                        .setDurationMillis(limit.toMillis())
                        .setStartRatePerSecond(rate)
                        .setEndRatePerSecond(rate))
                .clearThresholds()
                .build();
    }

    static String rateName(double rate) {
        return rate == Math.rint(rate) ? Long.toString((long) rate) : String.format(Locale.ROOT, "%.1f", rate);
    }

    /**
     * Runs {@code plan} until it ends by itself or {@code judgeIntervals} intervals have followed the steady-state
     * event, and returns its result; {@code live} sees every snapshot.
     */
    RunResult run(RunPlan plan, int judgeIntervals, Consumer<LiveSnapshot> live) {
        StartRunResponse started = control.withDeadlineAfter(workerWait.toMillis() + 30_000, TimeUnit.MILLISECONDS)
                .startRun(StartRunRequest.newBuilder()
                        .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1)
                        .setPlan(plan)
                        .setWorkerWaitMillis((int) Math.min(Integer.MAX_VALUE, workerWait.toMillis()))
                        .build());
        String runId = started.getRunId();
        currentRun = runId;
        try {
            Iterator<LiveSnapshot> snapshots = control.watchRun(
                    WatchRunRequest.newBuilder().setRunId(runId).build());
            long steadyAt = -1;
            boolean stopping = false;
            while (snapshots.hasNext()) {
                LiveSnapshot s = snapshots.next();
                live.accept(s);
                if (isTerminal(s.getState())) {
                    break;
                }
                if (steadyAt < 0
                        && s.getLiveEventsList().stream()
                                .anyMatch(e -> e.getKind() == LiveEventKind.LIVE_EVENT_KIND_STEADY_STATE)) {
                    steadyAt = s.getIntervalIndex();
                }
                if (!stopping && steadyAt >= 0 && s.getIntervalIndex() - steadyAt >= judgeIntervals) {
                    stopping = true;
                    stop(runId, "capacity search: step judged");
                }
            }
            return control.withDeadlineAfter(60, TimeUnit.SECONDS)
                    .getRunResult(
                            GetRunResultRequest.newBuilder().setRunId(runId).build());
        } finally {
            currentRun = null;
        }
    }

    /** Stops the step under way, if any (Ctrl-C). */
    void stopCurrent(String reason) {
        String runId = currentRun;
        if (runId != null) {
            try {
                stop(runId, reason);
            } catch (StatusRuntimeException e) {
                // the run may have ended meanwhile; nothing else to stop
            }
        }
    }

    private void stop(String runId, String reason) {
        control.withDeadlineAfter(5, TimeUnit.SECONDS)
                .stopRun(StopRunRequest.newBuilder()
                        .setRunId(runId)
                        .setReason(reason)
                        .build());
    }

    private static boolean isTerminal(RunState state) {
        return state == RunState.RUN_STATE_COMPLETED
                || state == RunState.RUN_STATE_STOPPED
                || state == RunState.RUN_STATE_FAILED;
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
