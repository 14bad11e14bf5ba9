package io.salvo.coordinator.server;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.salvo.coordinator.clock.WallClock;
import io.salvo.proto.v1.CoordinatorMessage;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.ProtocolVersion;
import io.salvo.proto.v1.ReportRejected;
import io.salvo.proto.v1.TermRefused;
import io.salvo.proto.v1.Welcome;
import io.salvo.proto.v1.WorkerHello;
import io.salvo.proto.v1.WorkerLinkGrpc;
import io.salvo.proto.v1.WorkerMessage;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.logging.Logger;

/** The workers' side of the coordinator: one {@link WorkerSession} per Connect stream. */
public final class WorkerLinkService extends WorkerLinkGrpc.WorkerLinkImplBase {

    private static final Logger LOG = Logger.getLogger(WorkerLinkService.class.getName());
    static final int HEARTBEAT_INTERVAL_MILLIS = 1000;
    private static final int INITIAL_CLOCK_PROBES = 5;
    /** Probe replies beyond this many no longer refresh the clock estimate the cluster sees. */
    private static final int MAX_REPUBLISHED_CLOCK_SAMPLES = 10;

    private final String coordinatorId;
    private final String memberId;
    private final WorkerRegistry registry;
    private final ReportIntake intake;
    private final WallClock clock;
    private final ScheduledExecutorService scheduler;
    /** Where stream work that may wait on the cluster runs (see {@link StreamWork}). */
    private final Executor blocking;
    /** A worker refused a message of a lower term than it has seen (the run manager learns of the higher term). */
    private final BiConsumer<String, TermRefused> termRefused;

    private final AtomicLong protocolViolations = new AtomicLong();
    private final AtomicLong unknownRunReports = new AtomicLong();

    WorkerLinkService(
            String coordinatorId,
            String memberId,
            WorkerRegistry registry,
            ReportIntake intake,
            WallClock clock,
            ScheduledExecutorService scheduler,
            Executor blocking,
            BiConsumer<String, TermRefused> termRefused) {
        this.blocking = blocking;
        this.termRefused = termRefused;
        this.coordinatorId = coordinatorId;
        this.memberId = memberId;
        this.registry = registry;
        this.intake = intake;
        this.clock = clock;
        this.scheduler = scheduler;
    }

    /** Reports naming a run this coordinator does not know. */
    public long unknownRunReports() {
        return unknownRunReports.get();
    }

    /** Streams refused for a protocol violation (no hello first, bad version, duplicate id). */
    public long protocolViolations() {
        return protocolViolations.get();
    }

    /**
     * Runs on the transport thread that received the message (the WorkerLink call executor is
     * direct): what cannot wait on the cluster is handled right here, the rest goes through the
     * stream's {@link StreamWork}, in order.
     */
    @Override
    public StreamObserver<WorkerMessage> connect(StreamObserver<CoordinatorMessage> outbound) {
        return new StreamObserver<>() {
            private final StreamWork work = new StreamWork(blocking);
            private volatile WorkerSession session;
            private boolean closed;

            @Override
            public void onNext(WorkerMessage message) {
                long now = clock.unixNanos();
                WorkerSession s = session;
                if (s != null) {
                    s.heard(now);
                }
                if (!work.idle()) {
                    work.submit(() -> safely(message, () -> handle(message, now)));
                } else if (s == null) {
                    safely(message, () -> onFirstMessage(message, now));
                } else if (message.getBodyCase() == WorkerMessage.BodyCase.HEARTBEAT) {
                    // Heard above; nothing else to do.
                } else if (message.getBodyCase() == WorkerMessage.BodyCase.CLOCK_PROBE_REPLY) {
                    // The estimate at once (a run start waits for it); telling the cluster may wait.
                    s.onClockProbeReply(message.getClockProbeReply(), now);
                    if (s.clockSamples() <= MAX_REPUBLISHED_CLOCK_SAMPLES) {
                        work.submit(() -> safely(message, () -> registry.republishClock(s)));
                    }
                } else if (message.getBodyCase() == WorkerMessage.BodyCase.INTERVAL_REPORT) {
                    IntervalReport report = message.getIntervalReport();
                    safely(message, () -> {
                        Runnable rest = intake.reportWithoutWaiting(s, report, () -> rejectUnknownRun(report));
                        if (rest != null) {
                            work.submit(() -> safely(message, rest));
                        }
                    });
                } else {
                    work.submit(() -> safely(message, () -> handle(message, now)));
                }
            }

            private void safely(WorkerMessage message, Runnable handling) {
                try {
                    handling.run();
                } catch (RuntimeException e) {
                    // A bug or a message no check anticipated must cost this stream, not the
                    // coordinator, and must not leave a half-dead session that blocks the worker's
                    // reconnect with ALREADY_EXISTS.
                    WorkerSession s = session;
                    LOG.log(
                            java.util.logging.Level.SEVERE,
                            "worker stream failed while handling " + message.getBodyCase()
                                    + (s == null ? "" : " from " + s.workerId()),
                            e);
                    if (s != null) {
                        s.close(Status.INTERNAL
                                .withDescription("coordinator failed to handle a " + message.getBodyCase() + " message")
                                .asRuntimeException());
                    } else {
                        refuse(Status.INTERNAL.withDescription("coordinator failed to handle the first message"));
                    }
                    work.submit(this::closed);
                }
            }

            /** Any message after the hello; may wait on the cluster, so it runs in {@link StreamWork}. */
            private void handle(WorkerMessage message, long now) {
                if (session == null) {
                    onFirstMessage(message, now);
                    return;
                }
                switch (message.getBodyCase()) {
                    case CLOCK_PROBE_REPLY -> {
                        session.onClockProbeReply(message.getClockProbeReply(), now);
                        if (session.clockSamples() <= MAX_REPUBLISHED_CLOCK_SAMPLES) {
                            registry.republishClock(session);
                        }
                    }
                    case INTERVAL_REPORT -> {
                        if (intake.report(session, message.getIntervalReport()) == ReportIntake.Outcome.UNKNOWN_RUN) {
                            rejectUnknownRun(message.getIntervalReport());
                        }
                    }
                    case EVENT -> onEvent(message);
                    case TERM_REFUSED -> termRefused.accept(session.workerId(), message.getTermRefused());
                    case HEARTBEAT -> {}
                    case HELLO -> LOG.warning(() -> "worker " + session.workerId() + " sent a second hello; ignored");
                    case BODY_NOT_SET -> LOG.warning(() -> "worker " + session.workerId() + " sent an empty message");
                }
            }

            private void onFirstMessage(WorkerMessage message, long now) {
                if (!message.hasHello()) {
                    refuse(Status.INVALID_ARGUMENT.withDescription(
                            "the first message on a WorkerLink stream must be a hello"));
                    return;
                }
                WorkerHello hello = message.getHello();
                if (hello.getProtocolVersion() != ProtocolVersion.PROTOCOL_VERSION_1) {
                    refuse(Status.FAILED_PRECONDITION.withDescription("incompatible protocol version: worker speaks "
                            + hello.getProtocolVersionValue() + ", this coordinator speaks "
                            + ProtocolVersion.PROTOCOL_VERSION_1.getNumber()));
                    return;
                }
                if (hello.getWorkerId().isBlank() || hello.getWorkerId().length() > 200) {
                    refuse(Status.INVALID_ARGUMENT.withDescription("worker id must be 1 to 200 characters"));
                    return;
                }
                WorkerSession candidate = new WorkerSession(hello, outbound, now, memberId);
                // Silent for two heartbeat intervals: the old stream is a half-open leftover.
                if (!registry.register(candidate, now, 2L * HEARTBEAT_INTERVAL_MILLIS * 1_000_000L)) {
                    refuse(Status.ALREADY_EXISTS.withDescription(
                            "a worker with id '" + hello.getWorkerId() + "' is already connected"));
                    return;
                }
                session = candidate;
                session.send(CoordinatorMessage.newBuilder()
                        .setWelcome(Welcome.newBuilder()
                                .setCoordinatorId(coordinatorId)
                                .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1)
                                .setHeartbeatIntervalMillis(HEARTBEAT_INTERVAL_MILLIS))
                        .build());
                for (int i = 0; i < INITIAL_CLOCK_PROBES; i++) {
                    WorkerSession s = session;
                    // a probe that cannot be sent means the stream is gone, which its end handles
                    ScheduledFuture<?> unused = scheduler.schedule(
                            () -> s.sendClockProbeNow(clock.unixNanos()), 20L * i, TimeUnit.MILLISECONDS);
                }
                // After the clock probes the worker is made known to the cluster, and the leader's run
                // takes it back (after a reconnect) or in (replacing a lost one). Streams that close
                // before then (most hostile ones) never touch the replicated state.
                WorkerSession joined = session;
                ScheduledFuture<?> unused = scheduler.schedule(
                        () -> publish(joined), 20L * INITIAL_CLOCK_PROBES + 200, TimeUnit.MILLISECONDS);
                LOG.info(() -> "worker " + hello.getWorkerId() + " joined (region '" + hello.getRegion() + "', "
                        + hello.getCores() + " cores, weight " + Math.max(1, hello.getWeight()) + ")");
            }

            /** Makes the worker known to the cluster; a worker that cannot be made known is told so and let go. */
            private void publish(WorkerSession joined) {
                try {
                    registry.publish(joined);
                } catch (RuntimeException e) {
                    LOG.log(
                            java.util.logging.Level.SEVERE,
                            "worker " + joined.workerId() + " could not be made known to the coordinator cluster",
                            e);
                    joined.close(Status.UNAVAILABLE
                            .withDescription("the coordinator could not register this worker " + "with its cluster: "
                                    + e.getMessage())
                            .asRuntimeException());
                }
            }

            private void rejectUnknownRun(IntervalReport report) {
                unknownRunReports.incrementAndGet();
                String runId = report.getRunId().length() > 100
                        ? report.getRunId().substring(0, 100) + "..."
                        : report.getRunId();
                LOG.fine(() -> "worker " + session.workerId() + " reported for unknown run '" + runId + "'");
                session.send(CoordinatorMessage.newBuilder()
                        .setReportRejected(ReportRejected.newBuilder()
                                .setRunId(runId)
                                .setIntervalIndex(report.getIntervalIndex())
                                .setReason("no run with id '" + runId + "'"))
                        .build());
            }

            private void refuse(Status status) {
                protocolViolations.incrementAndGet();
                LOG.warning(() -> "refused a worker stream: " + status.getCode() + ": " + status.getDescription());
                try {
                    outbound.onError(status.asRuntimeException());
                } catch (RuntimeException ignored) {
                    // Already cancelled by the peer.
                }
            }

            private void onEvent(WorkerMessage message) {
                var event = message.getEvent();
                switch (event.getKindCase()) {
                    case FINISHED, FAILED -> intake.event(session, event);
                    case WARNING -> LOG.warning(() -> "worker " + session.workerId() + ": " + event.getWarning());
                    case KIND_NOT_SET -> {}
                }
            }

            @Override
            public void onError(Throwable t) {
                work.submit(this::closed);
            }

            @Override
            public void onCompleted() {
                WorkerSession s = session;
                if (s != null) {
                    s.close(null);
                }
                work.submit(this::closed);
            }

            /** Runs in {@link StreamWork}, after everything the stream delivered before it ended. */
            private void closed() {
                WorkerSession s = session;
                if (s == null || closed) {
                    return;
                }
                closed = true;
                s.markClosed();
                registry.unregister(s);
                LOG.info(() -> "worker " + s.workerId() + " disconnected");
            }
        };
    }
}
