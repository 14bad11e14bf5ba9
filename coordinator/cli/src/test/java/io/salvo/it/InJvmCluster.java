package io.salvo.it;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.salvo.coordinator.server.CoordinatorServer;
import io.salvo.core.security.BearerTokenCredentials;
import io.salvo.core.security.ClusterToken;
import io.salvo.proto.v1.GetRunResultRequest;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.ProtocolVersion;
import io.salvo.proto.v1.RunControlGrpc;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.StartRunRequest;
import io.salvo.proto.v1.WatchRunRequest;
import io.salvo.worker.link.WorkerAgent;
import io.salvo.worker.link.WorkerOptions;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A coordinator and workers in one JVM, over real loopback gRPC and HTTP: the fast way to test
 * measurement behaviour. Tests of process boundaries use the CLI instead.
 */
final class InJvmCluster implements AutoCloseable {

    final CoordinatorServer server;
    final List<WorkerAgent> workers = new ArrayList<>();
    final ManagedChannel channel;
    /** Filled while {@link #run} follows the live view; safe to read from another thread meanwhile. */
    final List<LiveSnapshot> snapshots = new CopyOnWriteArrayList<>();
    /** The run under way, once started. */
    volatile String runId;

    final ClusterToken token = ClusterToken.generate();
    private final BearerTokenCredentials credentials;

    InJvmCluster(int workerCount) throws Exception {
        server = CoordinatorServer.start(new InetSocketAddress("127.0.0.1", 0), token, null);
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.port());
        for (int i = 0; i < workerCount; i++) {
            WorkerOptions defaults = WorkerOptions.defaults(List.of(address));
            workers.add(WorkerAgent.start(
                    new WorkerOptions(List.of(address), "w" + i, "test", 1, defaults.eventLoopLanes(), token, null)));
        }
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port())
                .usePlaintext()
                .maxInboundMessageSize(64 * 1024 * 1024)
                .build();
        credentials = new BearerTokenCredentials(token);
    }

    /** Starts the plan, follows the live view to the end and returns the merged result. */
    RunResult run(RunPlan plan) {
        return run(plan, Duration.ofSeconds(30));
    }

    /** As {@link #run(RunPlan)}, waiting up to {@code workerWait} for the plan's workers. */
    RunResult run(RunPlan plan, Duration workerWait) {
        var control = RunControlGrpc.newBlockingStub(channel).withCallCredentials(credentials);
        String runId = control.withDeadlineAfter(workerWait.toSeconds() + 30, TimeUnit.SECONDS)
                .startRun(StartRunRequest.newBuilder()
                        .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1)
                        .setPlan(plan)
                        .setWorkerWaitMillis((int) workerWait.toMillis())
                        .build())
                .getRunId();
        this.runId = runId;
        control.withDeadlineAfter(120, TimeUnit.SECONDS)
                .watchRun(WatchRunRequest.newBuilder().setRunId(runId).build())
                .forEachRemaining(snapshots::add);
        return control.getRunResult(
                GetRunResultRequest.newBuilder().setRunId(runId).build());
    }

    @Override
    public void close() {
        channel.shutdownNow();
        workers.forEach(WorkerAgent::close);
        server.close();
    }
}
