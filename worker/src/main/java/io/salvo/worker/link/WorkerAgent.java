package io.salvo.worker.link;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.salvo.core.security.BearerTokenCredentials;
import io.salvo.proto.v1.Assignment;
import io.salvo.proto.v1.ClockProbe;
import io.salvo.proto.v1.ClockProbeReply;
import io.salvo.proto.v1.CoordinatorMessage;
import io.salvo.proto.v1.Heartbeat;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.ProtocolVersion;
import io.salvo.proto.v1.StopRun;
import io.salvo.proto.v1.Welcome;
import io.salvo.proto.v1.WorkerEvent;
import io.salvo.proto.v1.WorkerFinished;
import io.salvo.proto.v1.WorkerHello;
import io.salvo.proto.v1.WorkerLinkGrpc;
import io.salvo.proto.v1.WorkerMessage;
import io.salvo.worker.engine.EngineVertx;
import io.salvo.worker.schedule.SliceSegment;
import io.salvo.worker.warmup.EngineWarmup;
import io.vertx.core.Vertx;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
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
    /** Reports wait this long after their interval's end so completions at the boundary are in. */
    static final long REPORT_GRACE_NANOS = 20_000_000L;

    private static final long MAX_STOP_GRACE_NANOS = 2_000_000_000L;
    private static final long MIN_BACKOFF_MILLIS = 100;
    private static final long MAX_BACKOFF_MILLIS = 5_000;
    private static final int DEFAULT_HEARTBEAT_MILLIS = 1_000;
    /** At least how long a silently dead coordinator takes to be noticed (keepalive 10 s + 5 s timeout). */
    static final long RESEND_WINDOW_NANOS = 20_000_000_000L;

    static final int MAX_RESENT_MESSAGES = 32;

    /** Enough for the JIT to compile the hot path (C2 thresholds are around 10,000 invocations). */
    private static final int WARMUP_REQUESTS = 6000;

    private final WorkerOptions options;
    private final ScheduledExecutorService link;
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();
    private final Object sendLock = new Object();

    // Link-thread state.
    private Vertx vertx;
    private ManagedChannel channel;
    // Volatile: also read by the heartbeat thread.
    private volatile Connection connection;
    private int nextAddress;
    private long backoffMillis = MIN_BACKOFF_MILLIS;
    private ScheduledFuture<?> heartbeat;
    private ScheduledFuture<?> reconnect;
    private volatile RunSession session;
    private String lastFinishedRunId;
    private long droppedReports;
    private boolean closed;
    // Guarded by sendLock.
    private final ArrayDeque<WorkerMessage> buffered = new ArrayDeque<>();
    private int bufferedReports;
    /**
     * Reports and terminal events written to a stream lately (guarded by sendLock). A coordinator
     * that dies may take the last of them with it, unprocessed; they are sent again after the next
     * Welcome, and the cluster keeps only the first copy of each.
     */
    private final ArrayDeque<SentMessage> recentlySent = new ArrayDeque<>();

    private record SentMessage(long sentNanos, WorkerMessage message) {}

    /**
     * Heartbeats get their own thread: the link thread also starts engines and harvests intervals,
     * and a slow engine start on a loaded machine must not look like a dead worker.
     */
    private final ScheduledExecutorService heartbeats;

    private volatile long heartbeatMillis = DEFAULT_HEARTBEAT_MILLIS;
    /** When a report or event last went out (nanoTime); heartbeats are skipped while these flow. */
    private volatile long lastSentNanos = Long.MIN_VALUE / 2;

    private WorkerAgent(WorkerOptions options) {
        this.options = options;
        this.link = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "salvo-link");
            thread.setDaemon(true);
            return thread;
        });
        this.heartbeats = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "salvo-heartbeat");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Starts the agent; it connects in the background and runs until closed or refused. */
    public static WorkerAgent start(WorkerOptions options) {
        WorkerAgent agent = new WorkerAgent(options);
        // Vert.x starts and the request path is compiled before the worker offers itself, so a
        // run's first second (where cold starts are measured) does not pay for either.
        agent.link.execute(() -> EngineWarmup.run(agent.vertx(), options.eventLoopLanes(), WARMUP_REQUESTS));
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
        try {
            return link.submit(() -> droppedReports).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return droppedReports;
        }
    }

    /** Interval reports recorded during a coordinator outage and waiting for the next Welcome. */
    public int bufferedReports() {
        synchronized (sendLock) {
            return bufferedReports;
        }
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
        InetSocketAddress address = options.coordinators().get(nextAddress);
        nextAddress = (nextAddress + 1) % options.coordinators().size();
        if (channel != null) {
            channel.shutdownNow();
        }
        // By host name, not by socket address: the name is resolved on every (re)connect, so a
        // coordinator that moved (a Kubernetes Service, a fail-over) is found again.
        NettyChannelBuilder builder = NettyChannelBuilder.forAddress(address.getHostString(), address.getPort())
                // A coordinator that vanishes without closing the connection (host down) is noticed
                // within 15 s; the coordinator permits keepalives every 10 s.
                .keepAliveTime(10, TimeUnit.SECONDS)
                .keepAliveTimeout(5, TimeUnit.SECONDS)
                .maxInboundMessageSize(16 * 1024 * 1024);
        if (options.tls() != null) {
            try {
                builder.sslContext(options.tls().clientContext());
            } catch (java.io.IOException e) {
                shutdown(new IllegalStateException(e.getMessage(), e));
                return;
            }
        } else {
            builder.usePlaintext();
        }
        channel = builder.build();
        Connection attempt = new Connection(address);
        connection = attempt;
        attempt.outbound = newStub(channel).connect(attempt);
        LOG.log(Level.FINE, "connecting to coordinator {0}", address);
        sendNow(
                attempt,
                WorkerMessage.newBuilder()
                        .setHello(WorkerHello.newBuilder()
                                .setWorkerId(options.workerId())
                                .setRegion(options.region())
                                .setCores(Runtime.getRuntime().availableProcessors())
                                .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1)
                                .setWeight(options.weight())
                                .setSentAtUnixNanos(unixNanos()))
                        .build());
    }

    private WorkerLinkGrpc.WorkerLinkStub newStub(ManagedChannel channel) {
        WorkerLinkGrpc.WorkerLinkStub stub = WorkerLinkGrpc.newStub(channel);
        return options.token() == null ? stub : stub.withCallCredentials(new BearerTokenCredentials(options.token()));
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
        LOG.log(Level.WARNING, "link to coordinator {0} lost ({1}); retrying in {2} ms", new Object[] {
            failed.address, status, backoffMillis
        });
        connectionLost();
    }

    private void connectionLost() {
        synchronized (sendLock) {
            connection.welcomed = false;
        }
        if (heartbeat != null) {
            heartbeat.cancel(false);
            heartbeat = null;
        }
        reconnect = link.schedule(this::connect, backoffMillis, TimeUnit.MILLISECONDS);
        backoffMillis = Math.min(MAX_BACKOFF_MILLIS, backoffMillis * 2);
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
        backoffMillis = MIN_BACKOFF_MILLIS;
        long heartbeatMillis = welcome.getHeartbeatIntervalMillis() == 0
                ? DEFAULT_HEARTBEAT_MILLIS
                : welcome.getHeartbeatIntervalMillis();
        if (heartbeat != null) {
            heartbeat.cancel(false);
        }
        this.heartbeatMillis = heartbeatMillis;
        heartbeat = heartbeats.scheduleAtFixedRate(
                this::sendHeartbeat, heartbeatMillis, heartbeatMillis, TimeUnit.MILLISECONDS);
        long dropped = droppedReports;
        synchronized (sendLock) {
            welcomedBy.welcomed = true;
            // What the previous coordinator may have received but not kept, then what was recorded
            // during the outage, oldest first, before anything newer.
            forgetOldSent();
            for (SentMessage sent : recentlySent) {
                welcomedBy.outbound.onNext(sent.message());
            }
            for (WorkerMessage message : buffered) {
                welcomedBy.outbound.onNext(message);
                rememberSent(message);
            }
            buffered.clear();
            bufferedReports = 0;
        }
        if (dropped > 0 && session != null) {
            send(WorkerMessage.newBuilder()
                    .setEvent(WorkerEvent.newBuilder()
                            .setRunId(session.runId)
                            .setWarning(dropped + " interval reports were dropped during a coordinator outage"))
                    .build());
        }
        LOG.log(Level.INFO, "joined coordinator {0} ({1}) as {2}", new Object[] {
            welcomedBy.address, welcome.getCoordinatorId(), options.workerId()
        });
    }

    private void sendHeartbeat() {
        Connection link = connection;
        if (link == null) {
            return;
        }
        // Any message proves the worker alive; during a run the interval reports do, and a thousand
        // workers' heartbeats would double the coordinator's message load for nothing.
        if (System.nanoTime() - lastSentNanos < TimeUnit.MILLISECONDS.toNanos(heartbeatMillis)) {
            return;
        }
        RunSession current = session;
        long inFlight = current == null || current.finished ? 0 : current.engine.outstanding();
        sendIfWelcomed(
                link,
                WorkerMessage.newBuilder()
                        .setHeartbeat(Heartbeat.newBuilder()
                                .setSentAtUnixNanos(unixNanos())
                                .setInFlight(inFlight))
                        .build());
    }

    /** Answered on the gRPC thread: t1 when the probe is seen, t2 just before the reply is written. */
    private void answerProbe(Connection from, ClockProbe probe) {
        long receivedAt = unixNanos();
        synchronized (sendLock) {
            from.outbound.onNext(WorkerMessage.newBuilder()
                    .setClockProbeReply(ClockProbeReply.newBuilder()
                            .setProbeId(probe.getProbeId())
                            .setCoordinatorSentUnixNanos(probe.getCoordinatorSentUnixNanos())
                            .setWorkerReceivedUnixNanos(receivedAt)
                            .setWorkerSentUnixNanos(unixNanos()))
                    .build());
        }
    }

    // ---------------------------------------------------------------------------------------
    // Sending
    // ---------------------------------------------------------------------------------------

    private void sendNow(Connection target, WorkerMessage message) {
        synchronized (sendLock) {
            target.outbound.onNext(message);
        }
    }

    private void sendIfWelcomed(Connection target, WorkerMessage message) {
        synchronized (sendLock) {
            if (target.welcomed && target == connection) {
                target.outbound.onNext(message);
            }
        }
    }

    /** Sends reports and events now, or buffers them until a coordinator welcomes the worker. */
    private void send(WorkerMessage message) {
        synchronized (sendLock) {
            Connection current = connection;
            if (current != null && current.welcomed) {
                current.outbound.onNext(message);
                lastSentNanos = System.nanoTime();
                rememberSent(message);
                return;
            }
            if (message.hasIntervalReport()) {
                if (bufferedReports == MAX_BUFFERED_REPORTS) {
                    evictOldestReport();
                }
                bufferedReports++;
            }
            buffered.addLast(message);
        }
    }

    /** Called under sendLock. */
    private void rememberSent(WorkerMessage message) {
        boolean worthResending = message.hasIntervalReport()
                || (message.hasEvent()
                        && (message.getEvent().hasFinished()
                                || message.getEvent().hasFailed()));
        if (worthResending) {
            recentlySent.addLast(new SentMessage(System.nanoTime(), message));
            forgetOldSent();
        }
    }

    /** Called under sendLock. */
    private void forgetOldSent() {
        long now = System.nanoTime();
        while (!recentlySent.isEmpty()
                && (recentlySent.size() > MAX_RESENT_MESSAGES
                        || now - recentlySent.peekFirst().sentNanos() > RESEND_WINDOW_NANOS)) {
            recentlySent.removeFirst();
        }
    }

    private void evictOldestReport() {
        for (Iterator<WorkerMessage> it = buffered.iterator(); it.hasNext(); ) {
            if (it.next().hasIntervalReport()) {
                it.remove();
                bufferedReports--;
                droppedReports++;
                return;
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // Runs
    // ---------------------------------------------------------------------------------------

    private void onAssignment(Assignment assignment) {
        if (session != null && !session.finished && session.runId.equals(assignment.getRunId())) {
            if (assignment.getEpoch() > session.epoch) {
                session.epoch = assignment.getEpoch();
                session.engine.reslice(SliceSegment.of(assignment.getSlice()), RunSession.seedOf(assignment));
                LOG.log(Level.INFO, "run {0}: slice replaced by epoch {1}", new Object[] {
                    session.runId, assignment.getEpoch()
                });
            }
            return; // an older or repeated epoch
        }
        if (assignment.getRunId().equals(lastFinishedRunId)) {
            return; // re-sent after a reconnect; this worker has finished it
        }
        if (session != null && !session.finished) {
            LOG.log(Level.WARNING, "run {0} replaced by run {1} before it finished", new Object[] {
                session.runId, assignment.getRunId()
            });
            stopRun(0);
        }
        try {
            long localStartUnixNanos =
                    assignment.getStartCoordinatorUnixNanos() + assignment.getWorkerClockOffsetNanos();
            if (localStartUnixNanos - unixNanos() > 300_000_000L) {
                // Collect now, while the start is still far: a young-generation pause inside the run's
                // first second would show up as scheduler lag exactly where cold starts are measured.
                System.gc();
            }
            // Convert to the monotonic clock once; all scheduling from here on is on nanoTime.
            long startNanos = System.nanoTime() + (localStartUnixNanos - unixNanos());
            RunSession started = RunSession.start(vertx(), assignment, startNanos, options.eventLoopLanes());
            session = started;
            scheduleReport(started);
            // only hands the work to the link thread, which cannot fail here
            CompletableFuture<Void> unused =
                    started.engine.finished().thenRun(() -> onLinkThread(() -> finishRun(started)));
            // If requests outlive the profile beyond their timeout (a stuck connection), stop anyway.
            long watchdogNanos = started.profileEndNanos
                    + started.settings.requestTimeoutNanos()
                    + 2_000_000_000L
                    - System.nanoTime();
            ScheduledFuture<?> unusedWatchdog = link.schedule(
                    () -> {
                        if (session == started && !started.finished && !started.stopping) {
                            stopRun(0);
                        }
                    },
                    watchdogNanos,
                    TimeUnit.NANOSECONDS);
            LOG.log(Level.INFO, "run {0} epoch {1}: starting in {2} ms", new Object[] {
                assignment.getRunId(), assignment.getEpoch(), (startNanos - System.nanoTime()) / 1_000_000
            });
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "cannot run assignment " + assignment.getRunId(), e);
            send(WorkerMessage.newBuilder()
                    .setEvent(WorkerEvent.newBuilder()
                            .setRunId(assignment.getRunId())
                            .setFailed(
                                    "worker " + options.workerId() + " cannot run the assignment: " + e.getMessage()))
                    .build());
        }
    }

    private void scheduleReport(RunSession run) {
        long index = run.nextReportIndex;
        long delay = run.recorder.intervalEndNanos(index) + REPORT_GRACE_NANOS - System.nanoTime();
        ScheduledFuture<?> unused = link.schedule(
                () -> {
                    if (session != run || run.finished || run.nextReportIndex != index) {
                        return;
                    }
                    send(WorkerMessage.newBuilder()
                            .setIntervalReport(run.harvest(index, options.workerId()))
                            .build());
                    scheduleReport(run);
                },
                delay,
                TimeUnit.NANOSECONDS);
    }

    private void onStop(StopRun stop) {
        if (session != null && !session.finished && session.runId.equals(stop.getRunId())) {
            LOG.log(Level.INFO, "run {0} stopped by the coordinator: {1}", new Object[] {
                stop.getRunId(), stop.getReason()
            });
            stopRun(Math.min(session.settings.requestTimeoutNanos(), MAX_STOP_GRACE_NANOS));
        }
    }

    private void stopRun(long graceNanos) {
        RunSession run = session;
        run.stopping = true;
        run.engine.stop(graceNanos);
        if (run.engine.finished().isDone()) {
            finishRun(run);
        }
    }

    /** Everything is accounted for: report up to the current (partial) interval, then finished. */
    private void finishRun(RunSession run) {
        if (run.finished) {
            return;
        }
        long last = Math.max(run.nextReportIndex, run.recorder.intervalIndexAt(System.nanoTime()));
        for (long index = run.nextReportIndex; index <= last; index++) {
            send(WorkerMessage.newBuilder()
                    .setIntervalReport(run.harvest(index, options.workerId()))
                    .build());
        }
        run.finished = true;
        lastFinishedRunId = run.runId;
        send(WorkerMessage.newBuilder()
                .setEvent(WorkerEvent.newBuilder()
                        .setRunId(run.runId)
                        .setFinished(WorkerFinished.newBuilder()
                                .setLastIntervalIndex(last)
                                .setTotalSent(run.totalSent)
                                .setTotalCompleted(run.totalCompleted)))
                .build());
        run.engine.close();
        LOG.log(Level.INFO, "run {0} finished: {1} sent, {2} completed", new Object[] {
            run.runId, run.totalSent, run.totalCompleted
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
        if (session != null && !session.finished) {
            session.engine.stop(0);
            session.engine.close();
        }
        if (reconnect != null) {
            reconnect.cancel(false);
        }
        if (heartbeat != null) {
            heartbeat.cancel(false);
        }
        synchronized (sendLock) {
            if (connection != null) {
                try {
                    connection.outbound.onCompleted();
                } catch (RuntimeException ignored) {
                    // the stream may already be failed
                }
            }
        }
        if (channel != null) {
            channel.shutdownNow();
        }
        if (vertx != null) {
            vertx.close();
        }
        link.shutdown();
        heartbeats.shutdownNow();
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
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed: nothing is to be done any more
        }
    }

    private static long unixNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /** One stream attempt; callbacks from a superseded attempt are ignored. */
    private final class Connection implements StreamObserver<CoordinatorMessage> {
        final InetSocketAddress address;
        StreamObserver<io.salvo.proto.v1.WorkerMessage> outbound;
        /** Guarded by sendLock. */
        boolean welcomed;

        Connection(InetSocketAddress address) {
            this.address = address;
        }

        @Override
        public void onNext(CoordinatorMessage message) {
            switch (message.getBodyCase()) {
                case CLOCK_PROBE -> answerProbe(this, message.getClockProbe());
                case WELCOME -> execute(() -> onWelcome(this, message.getWelcome()));
                case ASSIGNMENT ->
                    execute(() -> {
                        if (this == connection) {
                            onAssignment(message.getAssignment());
                        }
                    });
                case STOP -> execute(() -> onStop(message.getStop()));
                default -> LOG.log(Level.FINE, "ignoring coordinator message {0}", message.getBodyCase());
            }
        }

        @Override
        public void onError(Throwable error) {
            execute(() -> onStreamFailed(this, error));
        }

        @Override
        public void onCompleted() {
            execute(() -> onStreamFailed(
                    this,
                    Status.UNAVAILABLE
                            .withDescription("coordinator closed the stream")
                            .asRuntimeException()));
        }

        private void execute(Runnable task) {
            onLinkThread(task);
        }
    }
}
