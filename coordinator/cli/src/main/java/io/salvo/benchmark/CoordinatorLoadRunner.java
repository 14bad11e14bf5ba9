package io.salvo.benchmark;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.salvo.core.security.BearerTokenCredentials;
import io.salvo.core.security.ClusterToken;
import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformException;
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
import io.salvo.proto.v1.UpdateRequestHeadersRequest;
import io.salvo.proto.v1.WatchRunRequest;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * {@link LoadRunner} over the coordinator's public gRPC API (RunControl): StartRun, WatchRun until a terminal
 * snapshot, GetRunResult — the calls {@code salvo run} makes. One channel serves every run of a benchmark.
 */
public final class CoordinatorLoadRunner implements LoadRunner, AutoCloseable {

    /** Results carry compressed histograms per interval; a long run exceeds gRPC's 4 MiB default. */
    private static final int MAX_RESULT_BYTES = 64 * 1024 * 1024;

    private final ManagedChannel channel;
    private final RunControlBlockingStub control;
    private final Duration workerWait;

    /** Plain-text loopback connection to an embedded coordinator that requires {@code token}. */
    public CoordinatorLoadRunner(String host, int port, ClusterToken token, Duration workerWait) {
        this.channel = NettyChannelBuilder.forAddress(host, port)
                .usePlaintext()
                .maxInboundMessageSize(MAX_RESULT_BYTES)
                .build();
        this.control = RunControlGrpc.newBlockingStub(channel).withCallCredentials(new BearerTokenCredentials(token));
        this.workerWait = workerWait;
    }

    /**
     * Pushes header sets through the coordinator's {@code UpdateRequestHeaders}, on whichever coordinator
     * {@code control} gives at the time (the CLI switches after a fail-over).
     */
    public static PlatformHeaders.Push pushThrough(Supplier<RunControlBlockingStub> control) {
        return (runId, sets) -> control.get()
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .updateRequestHeaders(UpdateRequestHeadersRequest.newBuilder()
                        .setRunId(runId)
                        .setHeaderSets(sets)
                        .build())
                .getGeneration();
    }

    @Override
    public RunResult run(
            RunPlan plan,
            Consumer<LiveSnapshot> live,
            PlatformHeaders headers,
            PlatformDriver platform,
            boolean loadStarting)
            throws BenchmarkException {
        try {
            StartRunResponse started = control.withDeadlineAfter(workerWait.toMillis() + 30_000, TimeUnit.MILLISECONDS)
                    .startRun(StartRunRequest.newBuilder()
                            .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1)
                            .setPlan(plan)
                            .setWorkerWaitMillis((int) Math.min(Integer.MAX_VALUE, workerWait.toMillis()))
                            .build());
            String runId = started.getRunId();
            if (headers != null) {
                headers.follow(runId, pushThrough(() -> control));
            }
            PlatformLiveFeed feed = platform == null ? null : new PlatformLiveFeed(platform);
            if (platform != null) {
                if (loadStarting) {
                    loadStarting(platform, runId, plan);
                }
                feed.push(control, runId);
            }
            Iterator<LiveSnapshot> snapshots = control.watchRun(
                    WatchRunRequest.newBuilder().setRunId(runId).build());
            while (snapshots.hasNext()) {
                LiveSnapshot snapshot = snapshots.next();
                live.accept(snapshot);
                if (isTerminal(snapshot.getState())) {
                    break;
                }
                if (feed != null) {
                    feed.push(control, runId);
                }
            }
            return control.withDeadlineAfter(60, TimeUnit.SECONDS)
                    .getRunResult(GetRunResultRequest.newBuilder()
                            .setRunId(started.getRunId())
                            .build());
        } catch (StatusRuntimeException e) {
            String description = e.getStatus().getDescription();
            throw new BenchmarkException(
                    "run '" + plan.getName() + "': the coordinator answered "
                            + e.getStatus().getCode() + (description == null ? "" : ": " + description),
                    e);
        }
    }

    /** The platform's scale-up at load start; when it fails the run is stopped and the failure is the cell's. */
    private void loadStarting(PlatformDriver platform, String runId, RunPlan plan) throws BenchmarkException {
        try {
            platform.loadStarting();
        } catch (PlatformException e) {
            stop(runId, "the platform could not scale up: " + e.getMessage());
            throw new BenchmarkException(
                    "run '" + plan.getName() + "': the platform could not scale up: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop(runId, "interrupted");
            throw new BenchmarkException("run '" + plan.getName() + "': interrupted at load start", e);
        }
    }

    private void stop(String runId, String reason) {
        try {
            control.withDeadlineAfter(5, TimeUnit.SECONDS)
                    .stopRun(StopRunRequest.newBuilder()
                            .setRunId(runId)
                            .setReason(reason)
                            .build());
        } catch (StatusRuntimeException ignored) {
            // the run ends on its own; the cell fails with the platform's message either way
        }
    }

    static boolean isTerminal(RunState state) {
        return state == RunState.RUN_STATE_COMPLETED
                || state == RunState.RUN_STATE_STOPPED
                || state == RunState.RUN_STATE_FAILED;
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
