package io.salvo.coordinator.server;

import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.salvo.coordinator.clock.WallClock;
import io.salvo.coordinator.cluster.ClusterSettings;
import io.salvo.coordinator.cluster.CoordinatorCluster;
import io.salvo.coordinator.cluster.ReportBatcher;
import io.salvo.coordinator.run.RunManager;
import io.salvo.coordinator.run.RunSettings;
import io.salvo.coordinator.security.TokenAuthInterceptor;
import io.salvo.core.link.ReportResend;
import io.salvo.core.security.ClusterToken;
import io.salvo.core.security.TlsFiles;
import io.salvo.proto.v1.WorkerLinkGrpc;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The coordinator process: its gRPC endpoint (WorkerLink for workers, RunControl for clients) and
 * its member of the coordinator cluster, which holds the replicated state (a single member unless
 * the cluster settings name peers).
 */
public final class CoordinatorServer implements AutoCloseable {

    /** Largest message accepted: plans carry request bodies, reports carry a few KB of histograms. */
    public static final int MAX_INBOUND_MESSAGE_BYTES = 8 * 1024 * 1024;

    private final Server server;
    private final CoordinatorCluster cluster;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService clusterEvents;
    private final ExecutorService archiver;
    private final boolean ownsScheduler;
    private final WorkerRegistry registry;
    private final RunManager runs;
    private final WorkerLinkService workerLink;

    private final TokenAuthInterceptor auth;
    private final SnapshotFeeds snapshotFeeds;
    private final ExecutorService streamWork;

    /**
     * WorkerLink messages are handled on the transport thread that received them: a thousand
     * workers send two messages a second each, and handing every one to a pool thread and back
     * cost more than handling most of them. {@link WorkerLinkService} keeps what may wait on the
     * cluster off that thread. RunControl calls (StartRun waits for workers) use the server's pool.
     */
    private static final ServerCallExecutorSupplier WORKER_LINK_ON_TRANSPORT_THREAD = new ServerCallExecutorSupplier() {
        @Override
        public <ReqT, RespT> Executor getExecutor(ServerCall<ReqT, RespT> call, Metadata headers) {
            return WorkerLinkGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName())
                    ? Runnable::run
                    : null;
        }
    };

    private CoordinatorServer(
            ServerBuilder<?> builder,
            WallClock clock,
            ScheduledExecutorService ticker,
            RunSettings settings,
            ClusterToken token,
            ClusterSettings clusterSettings,
            String advertisedHost)
            throws IOException {
        this.cluster = CoordinatorCluster.start(clusterSettings, token);
        try {
            // A ticker given from outside belongs to whoever gave it: this server never shuts it down.
            this.ownsScheduler = ticker == null;
            this.scheduler = ticker != null
                    ? ticker
                    : Executors.newScheduledThreadPool(2, daemonThreads("salvo-coordinator-ticker"));
            this.clusterEvents = Executors.newSingleThreadExecutor(daemonThreads("salvo-cluster-events"));
            this.archiver = Executors.newSingleThreadExecutor(daemonThreads("salvo-run-archiver"));
            String coordinatorId = "coordinator-" + cluster.memberId().substring(0, 8);
            this.registry = new WorkerRegistry(cluster, clock, clusterEvents);
            this.runs = new RunManager(
                    registry, clock, scheduler, clusterEvents, archiver, settings, cluster, coordinatorId);
            // Mostly waiting on cluster round trips (a follower's putIfAbsent per report), not computing.
            this.streamWork = Executors.newFixedThreadPool(
                    Math.max(4, 2 * Runtime.getRuntime().availableProcessors()), daemonThreads("salvo-worker-streams"));
            this.workerLink = new WorkerLinkService(
                    coordinatorId,
                    cluster.memberId(),
                    registry,
                    new ReportIntake(cluster, runs::ledRun, new ReportBatcher(cluster, scheduler)),
                    clock,
                    scheduler,
                    streamWork,
                    runs::termRefused);
            this.auth = token == null ? null : new TokenAuthInterceptor(token);
            this.snapshotFeeds = new SnapshotFeeds(cluster);
            RunControlService runControl = new RunControlService(runs, snapshotFeeds, registry, clock);
            this.server = builder.callExecutor(WORKER_LINK_ON_TRANSPORT_THREAD)
                    .addService(
                            auth == null ? workerLink.bindService() : ServerInterceptors.intercept(workerLink, auth))
                    .addService(
                            auth == null ? runControl.bindService() : ServerInterceptors.intercept(runControl, auth))
                    .build()
                    .start();
            cluster.coordinators()
                    .set(
                            cluster.memberId(),
                            coordinatorId
                                    + (advertisedHost == null ? "" : " at " + advertisedHost + ":" + server.getPort()));
            // publishLivenessSafely swallows its own failures: the next second tries again
            ScheduledFuture<?> unused =
                    scheduler.scheduleAtFixedRate(this::publishLivenessSafely, 1, 1, TimeUnit.SECONDS);
        } catch (IOException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /** The coordinator's threads never keep the JVM alive: closing it is what ends them. */
    private static ThreadFactory daemonThreads(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    private void publishLivenessSafely() {
        try {
            registry.publishLiveness();
        } catch (RuntimeException e) {
            // The cluster is shutting down or briefly unreachable; the next second tries again.
        }
    }

    /**
     * Listens on {@code bind} (callers default to loopback), admitting only calls that carry
     * {@code token}, over TLS when {@code tls} is given (mutual TLS when it names a client CA).
     */
    public static CoordinatorServer start(InetSocketAddress bind, ClusterToken token, TlsFiles tls) throws IOException {
        return start(bind, token, tls, ClusterSettings.standalone());
    }

    /** Like {@link #start(InetSocketAddress, ClusterToken, TlsFiles)}, as a member of a coordinator cluster. */
    public static CoordinatorServer start(
            InetSocketAddress bind, ClusterToken token, TlsFiles tls, ClusterSettings cluster) throws IOException {
        if (token == null) {
            throw new IllegalArgumentException("a coordinator on a network port needs a cluster token");
        }
        NettyServerBuilder builder = NettyServerBuilder.forAddress(bind)
                // RunControl calls run here (WorkerLink messages on the transport threads): a small
                // fixed pool instead of gRPC's default cached one, which grows without bound.
                .executor(Executors.newFixedThreadPool(
                        Math.max(4, 2 * Runtime.getRuntime().availableProcessors()),
                        daemonThreads("salvo-coordinator-grpc")))
                .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
                // Slow or abusive peers must not pin memory: bound header size and idle connections.
                .maxInboundMetadataSize(16 * 1024)
                .permitKeepAliveTime(ReportResend.KEEPALIVE_TIME.toNanos(), TimeUnit.NANOSECONDS);
        if (tls != null) {
            builder.sslContext(tls.serverContext());
        }
        return new CoordinatorServer(
                builder, WallClock.system(), null, RunSettings.defaults(), token, cluster, bind.getHostString());
    }

    /** For tests: any transport (in-process included), any clock; {@code token} null disables authentication. */
    public static CoordinatorServer start(
            ServerBuilder<?> builder, WallClock clock, RunSettings settings, ClusterToken token) throws IOException {
        return start(builder, clock, settings, token, ClusterSettings.standalone());
    }

    /** For tests: two coordinators of one cluster in one JVM. */
    public static CoordinatorServer start(
            ServerBuilder<?> builder,
            WallClock clock,
            RunSettings settings,
            ClusterToken token,
            ClusterSettings cluster)
            throws IOException {
        return new CoordinatorServer(builder, clock, null, settings, token, cluster, null);
    }

    /**
     * For tests on fake time: {@code ticker} (a fake clock's executor, whose time {@code clock} reads) drives the
     * runs, clock probes, report batches and liveness instead of the server's own threads.
     */
    public static CoordinatorServer start(
            ServerBuilder<?> builder,
            WallClock clock,
            ScheduledExecutorService ticker,
            RunSettings settings,
            ClusterToken token,
            ClusterSettings cluster)
            throws IOException {
        return new CoordinatorServer(builder, clock, ticker, settings, token, cluster, null);
    }

    /** Calls refused for a missing or wrong token (0 without authentication). */
    public long refusedCalls() {
        return auth == null ? 0 : auth.refused();
    }

    public int port() {
        return server.getPort();
    }

    public WorkerRegistry registry() {
        return registry;
    }

    public RunManager runs() {
        return runs;
    }

    public WorkerLinkService workerLink() {
        return workerLink;
    }

    public CoordinatorCluster cluster() {
        return cluster;
    }

    /** Every run's live snapshots, replayed then live, on this coordinator whoever leads the run. */
    public SnapshotFeeds snapshotFeeds() {
        return snapshotFeeds;
    }

    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    /**
     * Stops at once without a goodbye to workers, clients or the cluster, as a killed process
     * would; for fail-over tests in one JVM.
     */
    public void halt() {
        // The cluster first: a killed process writes nothing more, not even the loss of its streams.
        cluster.terminate();
        if (ownsScheduler) {
            scheduler.shutdownNow();
        }
        clusterEvents.shutdownNow();
        archiver.shutdownNow();
        streamWork.shutdownNow();
        server.shutdownNow();
    }

    @Override
    public void close() {
        server.shutdown();
        try {
            if (!server.awaitTermination(2, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
        if (ownsScheduler) {
            scheduler.shutdownNow();
        }
        streamWork.shutdownNow();
        // After the gRPC server: a graceful leave hands this member's partitions to the others.
        cluster.close();
        clusterEvents.shutdownNow();
        archiver.shutdownNow();
    }
}
