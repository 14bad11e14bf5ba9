package io.salvo.worker.engine;

import io.salvo.proto.v1.RequestHeaderSets;
import io.salvo.proto.v1.RequestTemplate;
import io.salvo.worker.recording.IntervalRecorder;
import io.salvo.worker.schedule.ArrivalSchedule;
import io.salvo.worker.schedule.SliceSegment;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The open-model HTTP engine of one run on one worker. The worker's {@link ArrivalSchedule} is
 * dealt round-robin to event-loop {@link Lane}s ({@link ScheduleDealer}); each lane fires its own
 * instants from a nanosecond timer on its event loop, sends, enforces its share of the in-flight
 * cap and the request timeout, and records everything into the run's {@link IntervalRecorder}.
 * There is no scheduler thread and no cross-thread hand-off per request.
 *
 * <p>Latency is measured from the intended instant (coordinated-omission-free, like wrk2),
 * service time from the actual send. A request that cannot be sent at its instant because the
 * in-flight cap is reached waits in its lane's backlog; nothing is skipped.
 *
 * <p>Thread-safety: {@link #reslice}, {@link #replaceHeaders}, {@link #stop} and the accessors may be called from any thread.
 */
public final class LoadEngine {

    private static final Logger LOG = Logger.getLogger(LoadEngine.class.getName());

    private final List<Lane> lanes;
    private final ScheduleDealer dealer;
    private final RequestShape shape;
    private final long startNanos;
    private final long requestTimeoutNanos;
    private final long sendAheadNanos;
    private final AtomicInteger lanesDone = new AtomicInteger();
    private final CompletableFuture<Void> finished = new CompletableFuture<>();

    private LoadEngine(
            List<Lane> lanes,
            ScheduleDealer dealer,
            RequestShape shape,
            long startNanos,
            long requestTimeoutNanos,
            long sendAheadNanos) {
        this.lanes = lanes;
        this.requestTimeoutNanos = requestTimeoutNanos;
        this.sendAheadNanos = sendAheadNanos;
        this.shape = shape;
        this.dealer = dealer;
        this.startNanos = startNanos;
    }

    /**
     * Prepares the lanes and starts them. Blocks until the lanes are ready (milliseconds).
     *
     * @param vertx the Vert.x instance whose event loops carry the lanes (see {@link EngineVertx})
     * @param template what to send
     * @param settings limits and timeouts
     * @param schedule this worker's intended times, relative to {@code startNanos}
     * @param startNanos the run's instant 0 on the {@link System#nanoTime()} clock
     * @param recorder where lanes record; its interval 0 must start at {@code startNanos}
     * @param laneCount number of event-loop lanes (at most the cap, so every lane has a slot)
     */
    public static LoadEngine start(
            Vertx vertx,
            RequestTemplate template,
            EngineSettings settings,
            ArrivalSchedule schedule,
            long startNanos,
            IntervalRecorder recorder,
            int laneCount) {
        RequestShape shape = new RequestShape(vertx, template, settings.capturedHeaders());
        int lanesUsed = Math.max(1, Math.min(laneCount, Math.min(settings.maxInFlight(), settings.maxConnections())));
        List<Lane> lanes = new ArrayList<>(lanesUsed);
        ScheduleDealer dealer = new ScheduleDealer(schedule, lanesUsed);
        LoadEngine engine = new LoadEngine(
                lanes, dealer, shape, startNanos, settings.requestTimeoutNanos(), settings.sendAheadNanos());
        for (int i = 0; i < lanesUsed; i++) {
            // A fresh event-loop context per lane: contexts created from one non-Vert.x thread through
            // the public API all stick to the same event loop, which would serialise the lanes.
            ContextInternal context = ((VertxInternal) vertx).createEventLoopContext();
            lanes.add(new Lane(
                    engine,
                    i,
                    lanesUsed,
                    dealer,
                    startNanos,
                    context,
                    recorder.newLane(),
                    shape,
                    share(settings.maxInFlight(), lanesUsed, i),
                    share(settings.maxConnections(), lanesUsed, i),
                    share(settings.preconnect(), lanesUsed, i),
                    settings));
        }
        List<Future<Void>> started = new ArrayList<>();
        for (Lane lane : lanes) {
            started.add(lane.start());
        }
        try {
            Future.all(started).await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            engine.close();
            throw new IllegalStateException("engine lanes did not start", e);
        }
        LOG.log(Level.FINE, "engine started: {0} lanes, {1} transport", new Object[] {
            lanesUsed, EngineVertx.transportOf(vertx)
        });
        return engine;
    }

    private static int share(int total, int parts, int i) {
        return total / parts + (i < total % parts ? 1 : 0);
    }

    /**
     * Replaces this worker's slice from now on (a newer assignment epoch): from the end of the send-ahead window, since
     * lanes may already have sent the old slice's instants up to it, so no instant is sent under both slices.
     */
    public void reslice(SliceSegment segment, long seed) {
        long fromNanos = Math.max(0, System.nanoTime() - startNanos + sendAheadNanos + 1);
        dealer.reslice(segment, seed, fromNanos);
        for (Lane lane : lanes) {
            lane.onContext(lane::rearm);
        }
    }

    /**
     * Replaces the header sets of the requests from now on when {@code headerSets} is a higher generation than the
     * engine's; the requests are encoded on the calling thread, never on a lane's. The replaced ones are freed once no
     * request that could carry them is outstanding (twice the request timeout and 5 s later).
     *
     * @return whether they were applied
     * @throws IllegalArgumentException when a header is malformed (the current requests stay)
     */
    public boolean replaceHeaders(RequestHeaderSets headerSets) {
        return shape.replaceHeaders(headerSets, 2 * requestTimeoutNanos + 5_000_000_000L);
    }

    /** The generation of the header sets the requests carry now (0: none). */
    public long headerGeneration() {
        return shape.headerGeneration();
    }

    /**
     * Stops scheduling at once and abandons requests waiting for a slot; requests in flight get
     * {@code graceNanos} to complete and are then recorded as timeouts. {@link #finished()}
     * completes when all is accounted for.
     */
    public void stop(long graceNanos) {
        dealer.stop();
        for (Lane lane : lanes) {
            lane.onContext(lane::stopScheduling);
        }
        CompletableFuture.delayedExecutor(graceNanos, TimeUnit.NANOSECONDS).execute(() -> {
            if (!finished.isDone()) {
                lanes.forEach(lane -> lane.onContext(lane::expireAll));
            }
        });
    }

    /** A lane has no more instants and nothing outstanding. Called once per lane, on its event loop. */
    void laneDone() {
        if (lanesDone.incrementAndGet() == lanes.size()) {
            finished.complete(null);
        }
    }

    /**
     * Completes once scheduling has ended (profile over or stopped) and every intended request
     * has completed, timed out or been abandoned. Completes on a lane's event loop.
     */
    public CompletableFuture<Void> finished() {
        return finished;
    }

    /** Requests intended and not yet accounted for (in flight or waiting for a slot). */
    public long outstanding() {
        long sum = 0;
        for (Lane lane : lanes) {
            sum += lane.outstanding();
        }
        return sum;
    }

    /** Requests the lanes have taken from the schedule so far (= intended so far). */
    public long dispatched() {
        long sum = 0;
        for (Lane lane : lanes) {
            sum += lane.intended();
        }
        return sum;
    }

    /** Stops the lanes' timers and closes their connections. Call after {@link #finished()}. */
    public void close() {
        dealer.stop();
        List<Future<Long>> closing = new ArrayList<>();
        for (Lane lane : lanes) {
            closing.add(lane.close());
        }
        try {
            Future.all(closing).await(5, TimeUnit.SECONDS);
            long opened = closing.stream().mapToLong(Future::result).sum();
            LOG.log(Level.INFO, "engine closed: {0} lanes opened {1} connections to the target", new Object[] {
                lanes.size(), opened
            });
        } catch (Exception e) {
            // A lane that did not close in time may still write the requests: leave their memory alone.
            LOG.log(Level.WARNING, "engine lanes did not close within 5 s; keeping the encoded requests");
            return;
        }
        shape.close();
    }
}
