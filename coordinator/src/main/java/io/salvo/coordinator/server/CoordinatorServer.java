package io.salvo.coordinator.server;

import io.salvo.coordinator.clock.WallClock;
import io.salvo.coordinator.run.RunManager;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** The coordinator process's gRPC endpoint: WorkerLink for workers, RunControl for clients. */
public final class CoordinatorServer implements AutoCloseable {

    /** Largest message accepted: plans carry request bodies, reports carry a few KB of histograms. */
    public static final int MAX_INBOUND_MESSAGE_BYTES = 8 * 1024 * 1024;

    private final Server server;
    private final ScheduledExecutorService scheduler;
    private final WorkerRegistry registry;
    private final RunManager runs;
    private final WorkerLinkService workerLink;

    private CoordinatorServer(ServerBuilder<?> builder, WallClock clock, RunManager.Settings settings)
            throws IOException {
        this.scheduler = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "salvo-coordinator-ticker");
            t.setDaemon(true);
            return t;
        });
        this.registry = new WorkerRegistry();
        this.runs = new RunManager(registry, clock, scheduler, settings);
        this.workerLink = new WorkerLinkService("coordinator-" + UUID.randomUUID().toString().substring(0, 8),
                registry, runs, clock, scheduler);
        this.server = builder
                .addService(workerLink)
                .addService(new RunControlService(runs))
                .build()
                .start();
    }

    /** Listens on the given address over plaintext HTTP/2 (loopback unless the caller says otherwise). */
    public static CoordinatorServer start(InetSocketAddress bind) throws IOException {
        return start(NettyServerBuilder.forAddress(bind).maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES),
                WallClock.system(), RunManager.Settings.defaults());
    }

    /** For tests: any transport (in-process included), any clock. */
    public static CoordinatorServer start(ServerBuilder<?> builder, WallClock clock, RunManager.Settings settings)
            throws IOException {
        return new CoordinatorServer(builder, clock, settings);
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

    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
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
        scheduler.shutdownNow();
    }
}
