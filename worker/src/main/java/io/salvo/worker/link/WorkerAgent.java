package io.salvo.worker.link;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.salvo.core.link.ReportResend;
import io.salvo.core.security.TlsRefusal;
import io.salvo.proto.v1.CoordinatorMessage;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.LeaderTerm;
import io.salvo.proto.v1.ProtocolVersion;
import io.salvo.proto.v1.Welcome;
import io.salvo.proto.v1.WorkerEvent;
import io.salvo.proto.v1.WorkerHello;
import io.salvo.proto.v1.WorkerLinkGrpc;
import io.salvo.proto.v1.WorkerMessage;
import io.salvo.worker.engine.EngineVertx;
import io.salvo.worker.warmup.EngineWarmup;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A worker process's link to the coordinator: keeps one {@code WorkerLink.Connect} stream open
 * (reconnecting with backoff across the given addresses), answers clock probes, sends heartbeats,
 * runs assignments with the HTTP engine and streams one {@link IntervalReport} per interval.
 *
 * <p>The agent itself holds the stream's life (connect, Welcome, loss, shutdown) and hands each part to its own
 * class: {@link CoordinatorDialer} (addresses in turn, channels, backoff), {@link LinkOutbound} (every write, with
 * the {@link OutageBuffer}), {@link Heartbeats} and {@link RunDriver} (assignments, reports, stop).
 *
 * <h2>Threading</h2>
 * All state lives on one "salvo-link" thread; gRPC callbacks hand their work to it, except clock
 * probes, which are answered on the gRPC thread so the reply's timestamps stay tight. Outbound
 * messages are serialised by a lock because a gRPC {@link StreamObserver} is not thread-safe.
 *
 * <h2>Outages</h2>
 * While no coordinator has welcomed the worker, a run keeps going and its reports (and events)
 * are buffered, up to {@value #MAX_BUFFERED_REPORTS} reports (the oldest are dropped and counted);
 * after the next Welcome they are delivered under their original interval indices.
 */
public final class WorkerAgent implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(WorkerAgent.class.getName());
    static final int MAX_BUFFERED_REPORTS = 600;
    private final WorkerOptions options;
    private final ScheduledExecutorService link;
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();
    private final LinkOutbound outbound = new LinkOutbound(
            new OutageBuffer(MAX_BUFFERED_REPORTS, ReportResend.MAX_MESSAGES, ReportResend.WINDOW.toNanos()));
    private final CoordinatorDialer dialer;
    private final RunDriver runs;
    /** Request bodies received in chunks; link thread only. */
    private final BodySets bodySets = new BodySets();

    private final Heartbeats heartbeats;

    // Link-thread state.
    private Vertx vertx;
    private Connection connection;
    private ScheduledFuture<?> reconnect;
    private boolean closed;

    private WorkerAgent(WorkerOptions options) {
        this.options = options;
        this.link = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "salvo-link");
            thread.setDaemon(true);
            return thread;
        });
        this.dialer = new CoordinatorDialer(options);
        this.runs = new RunDriver(options, link, outbound, this::vertx);
        this.heartbeats = new Heartbeats(outbound, runs::inFlight);
    }

    /** Starts the agent; it connects in the background and runs until closed or refused. */
    public static WorkerAgent start(WorkerOptions options) {
        WorkerAgent agent = new WorkerAgent(options);
        // Vert.x starts and the request path is compiled before the worker offers itself, so a
        // run's first second (where cold starts are measured) does not pay for either.
        if (options.warmupRequests() > 0) {
            agent.link.execute(
                    () -> EngineWarmup.run(agent.vertx(), options.eventLoopLanes(), options.warmupRequests()));
        }
        agent.link.execute(agent::connect);
        return agent;
    }

    /** Completes when the agent is closed; exceptionally on a fatal error (e.g. version refused). */
    public CompletableFuture<Void> terminated() {
        return terminated;
    }

    public WorkerOptions options() {
        return options;
    }

    /** Reports dropped because the outage buffer was full. */
    public long droppedReports() {
        return outbound.droppedReports();
    }

    /** Interval reports recorded during a coordinator outage and waiting for the next Welcome. */
    public int bufferedReports() {
        return outbound.heldReports();
    }

    /** The highest coordinator leadership term this worker has seen (unset before any); any thread may ask. */
    public LeaderTerm highestTerm() {
        return runs.highestTermSeen();
    }

    /** Assignments and stops this worker refused because their term was lower than one it had seen. */
    public long termRefusals() {
        return runs.termRefusals();
    }

    @Override
    public void close() {
        shutdown(null);
    }

    // ---------------------------------------------------------------------------------------
    // Connection management
    // ---------------------------------------------------------------------------------------

    private void connect() {
        if (closed) {
            return;
        }
        InetSocketAddress address = dialer.nextAddress();
        WorkerLinkGrpc.WorkerLinkStub stub;
        try {
            stub = dialer.dial(address);
        } catch (IOException e) {
            shutdown(new IllegalStateException(e.getMessage(), e));
            return;
        }
        Connection attempt = new Connection(address);
        connection = attempt;
        attempt.stream = stub.connect(attempt);
        LOG.log(Level.FINE, "connecting to coordinator {0}", address);
        outbound.open(
                attempt.stream,
                WorkerMessage.newBuilder()
                        .setHello(WorkerHello.newBuilder()
                                .setWorkerId(options.workerId())
                                .setRegion(options.region())
                                .setCores(Runtime.getRuntime().availableProcessors())
                                .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1)
                                .setWeight(options.weight())
                                .setSentAtUnixNanos(LinkOutbound.unixNanos()))
                        .build());
    }

    private void onStreamFailed(Connection failed, Throwable error) {
        if (failed != connection || closed) {
            return;
        }
        Status status = Status.fromThrowable(error);
        // A wrong version or token does not fix itself by retrying.
        if (status.getCode() == Status.Code.FAILED_PRECONDITION || status.getCode() == Status.Code.UNAUTHENTICATED) {
            String message = "coordinator refused this worker: " + status.getCode() + ": " + status.getDescription();
            LOG.log(Level.SEVERE, message);
            shutdown(new IllegalStateException(message, error));
            return;
        }
        // A refused certificate may yet be replaced by one the worker trusts, so the worker keeps trying; but the
        // log says why in one sentence rather than gRPC's "io exception" and a pipeline dump.
        String tls = TlsRefusal.describe(error);
        LOG.log(Level.WARNING, "link to coordinator {0} lost ({1}); retrying in {2} ms", new Object[] {
            failed.address, tls != null ? tls : status, dialer.backoffMillis()
        });
        outbound.lost();
        heartbeats.stop();
        reconnect = link.schedule(this::connect, dialer.nextBackoffMillis(), TimeUnit.MILLISECONDS);
    }

    private void onWelcome(Connection welcomedBy, Welcome welcome) {
        if (welcomedBy != connection) {
            return;
        }
        if (welcome.getProtocolVersion() != ProtocolVersion.PROTOCOL_VERSION_1
                && welcome.getProtocolVersion() != ProtocolVersion.PROTOCOL_VERSION_UNSPECIFIED) {
            shutdown(new IllegalStateException("coordinator speaks " + welcome.getProtocolVersion() + ", this worker "
                    + ProtocolVersion.PROTOCOL_VERSION_1));
            return;
        }
        dialer.resetBackoff();
        heartbeats.start(welcome.getHeartbeatIntervalMillis());
        long dropped = outbound.droppedReports();
        outbound.welcomed();
        RunSession session = runs.session();
        if (dropped > 0 && session != null) {
            outbound.send(WorkerMessage.newBuilder()
                    .setEvent(WorkerEvent.newBuilder()
                            .setRunId(session.runId)
                            .setWarning(dropped + " interval reports were dropped during a coordinator outage"))
                    .build());
        }
        LOG.log(Level.INFO, "joined coordinator {0} ({1}) as {2}", new Object[] {
            welcomedBy.address, welcome.getCoordinatorId(), options.workerId()
        });
    }

    private Vertx vertx() {
        if (vertx == null) {
            // Native epoll where available: microsecond timers for the lanes' self-scheduling.
            vertx = EngineVertx.create(options.eventLoopLanes());
        }
        return vertx;
    }

    // ---------------------------------------------------------------------------------------
    // Shutdown
    // ---------------------------------------------------------------------------------------

    private void shutdown(Throwable fatal) {
        if (Thread.currentThread().getName().equals("salvo-link")) {
            doShutdown(fatal);
            return;
        }
        try {
            link.submit(() -> doShutdown(fatal)).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            doShutdown(fatal);
        }
    }

    private void doShutdown(Throwable fatal) {
        if (closed) {
            return;
        }
        closed = true;
        runs.abandon();
        if (reconnect != null) {
            reconnect.cancel(false);
        }
        heartbeats.stop();
        outbound.complete();
        dialer.close();
        if (vertx != null) {
            vertx.close();
        }
        link.shutdown();
        heartbeats.close();
        if (fatal == null) {
            terminated.complete(null);
        } else {
            terminated.completeExceptionally(fatal);
        }
    }

    /** Runs {@code task} on the link thread unless the agent has shut down. */
    private void onLinkThread(Runnable task) {
        try {
            link.execute(task);
        } catch (RejectedExecutionException e) {
            // closed: nothing is to be done any more
        }
    }

    /** One stream attempt; callbacks from a superseded attempt are ignored. */
    private final class Connection implements StreamObserver<CoordinatorMessage> {
        final InetSocketAddress address;
        StreamObserver<WorkerMessage> stream;

        Connection(InetSocketAddress address) {
            this.address = address;
        }

        @Override
        public void onNext(CoordinatorMessage message) {
            switch (message.getBodyCase()) {
                case CLOCK_PROBE -> outbound.answerProbe(stream, message.getClockProbe());
                case WELCOME -> onLinkThread(() -> onWelcome(this, message.getWelcome()));
                case BODY_CHUNK ->
                    onLinkThread(() -> {
                        if (this == connection) {
                            bodySets.accept(message.getBodyChunk());
                        }
                    });
                case ASSIGNMENT ->
                    onLinkThread(() -> {
                        if (this == connection) {
                            try {
                                runs.onAssignment(bodySets.resolve(message.getAssignment()));
                            } catch (IllegalStateException e) {
                                LOG.log(Level.SEVERE, e.getMessage());
                            }
                        }
                    });
                case STOP -> onLinkThread(() -> runs.onStop(message.getStop()));
                case REQUEST_HEADERS_UPDATE ->
                    onLinkThread(() -> runs.onRequestHeadersUpdate(message.getRequestHeadersUpdate()));
                default -> LOG.log(Level.FINE, "ignoring coordinator message {0}", message.getBodyCase());
            }
        }

        @Override
        public void onError(Throwable error) {
            onLinkThread(() -> onStreamFailed(this, error));
        }

        @Override
        public void onCompleted() {
            onLinkThread(() -> onStreamFailed(
                    this,
                    Status.UNAVAILABLE
                            .withDescription("coordinator closed the stream")
                            .asRuntimeException()));
        }
    }
}
