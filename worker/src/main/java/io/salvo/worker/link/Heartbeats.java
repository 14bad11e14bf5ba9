package io.salvo.worker.link;

import io.grpc.stub.StreamObserver;
import io.salvo.proto.v1.Heartbeat;
import io.salvo.proto.v1.WorkerMessage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Proves the worker alive while nothing else does: a {@link Heartbeat} with the requests in flight, every period the
 * coordinator's Welcome asked for, skipped while reports or events flow (during a run the interval reports prove it,
 * and a thousand workers' heartbeats would double the coordinator's message load for nothing).
 *
 * <p>Assumptions and guarantees: {@link #start}, {@link #stop} and {@link #close} are called on the agent's link
 * thread; heartbeats are sent from their own "salvo-heartbeat" thread, because the link thread also starts engines
 * and harvests intervals, and a slow engine start on a loaded machine must not look like a dead worker.
 */
final class Heartbeats implements AutoCloseable {

    private static final int DEFAULT_PERIOD_MILLIS = 1_000;

    private final ScheduledExecutorService thread;
    private final LinkOutbound outbound;
    /** Requests in flight on this worker; called on the heartbeat thread. */
    private final LongSupplier inFlight;

    private volatile long periodMillis = DEFAULT_PERIOD_MILLIS;
    // Link-thread state.
    private ScheduledFuture<?> beating;

    Heartbeats(LinkOutbound outbound, LongSupplier inFlight) {
        this.outbound = outbound;
        this.inFlight = inFlight;
        this.thread = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread heartbeat = new Thread(runnable, "salvo-heartbeat");
            heartbeat.setDaemon(true);
            return heartbeat;
        });
    }

    /** Beats every {@code welcomeMillis} (0: the default second) from now on, replacing any earlier schedule. */
    void start(long welcomeMillis) {
        long millis = welcomeMillis == 0 ? DEFAULT_PERIOD_MILLIS : welcomeMillis;
        stop();
        this.periodMillis = millis;
        beating = thread.scheduleAtFixedRate(this::beat, millis, millis, TimeUnit.MILLISECONDS);
    }

    /** No more heartbeats until the next {@link #start}. */
    void stop() {
        if (beating != null) {
            beating.cancel(false);
            beating = null;
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }

    private void beat() {
        StreamObserver<WorkerMessage> stream = outbound.current();
        if (stream == null) {
            return;
        }
        if (!outbound.quietFor(TimeUnit.MILLISECONDS.toNanos(periodMillis))) {
            return;
        }
        outbound.sendIfWelcomed(
                stream,
                WorkerMessage.newBuilder()
                        .setHeartbeat(Heartbeat.newBuilder()
                                .setSentAtUnixNanos(LinkOutbound.unixNanos())
                                .setInFlight(inFlight.getAsLong()))
                        .build());
    }
}
