package io.salvo.worker.engine;

import io.salvo.proto.v1.RequestTemplate;
import io.salvo.worker.recording.IntervalRecorder;
import io.salvo.worker.schedule.ArrivalSchedule;
import io.salvo.worker.schedule.SliceSegment;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The open-model HTTP engine of one run on one worker. A dedicated scheduler thread walks the
 * {@link ArrivalSchedule}, parks until each intended instant and hands due requests round-robin to
 * event-loop {@link Lane}s, which send them, enforce the in-flight cap and the request timeout and
 * record everything into the run's {@link IntervalRecorder}.
 *
 * <p>Latency is measured from the intended instant (coordinated-omission-free, like wrk2),
 * service time from the actual send. A request that cannot be sent at its instant because the
 * in-flight cap is reached waits in its lane's backlog; nothing is skipped.
 *
 * <p>Thread-safety: {@link #reslice}, {@link #stop} and the accessors may be called from any thread.
 */
public final class LoadEngine {

    /** The scheduler parks until this close to an instant, then spins, to cut wake-up jitter. */
    private static final long SPIN_NANOS = 50_000;

    private final List<Lane> lanes;
    private final long startNanos;
    private final Thread scheduler;
    private final AtomicLong outstanding = new AtomicLong();
    private final AtomicLong dispatched = new AtomicLong();
    private final CompletableFuture<Void> finished = new CompletableFuture<>();
    private volatile boolean schedulingDone;
    private volatile boolean stopRequested;
    private volatile Reslice pendingReslice;
    private ArrivalSchedule schedule; // scheduler thread only

    private record Reslice(SliceSegment segment, long seed) {
    }

    private LoadEngine(List<Lane> lanes, ArrivalSchedule schedule, long startNanos) {
        this.lanes = lanes;
        this.schedule = schedule;
        this.startNanos = startNanos;
        this.scheduler = new Thread(this::runScheduler, "salvo-scheduler");
        this.scheduler.setDaemon(true);
    }

    /**
     * Prepares the lanes and starts scheduling. Blocks until the lanes are ready (milliseconds).
     *
     * @param vertx the Vert.x instance whose event loops carry the lanes
     * @param template what to send
     * @param settings limits and timeouts
     * @param schedule this worker's intended times, relative to {@code startNanos}
     * @param startNanos the run's instant 0 on the {@link System#nanoTime()} clock
     * @param recorder where lanes record; its interval 0 must start at {@code startNanos}
     * @param laneCount number of event-loop lanes (at most the cap, so every lane has a slot)
     */
    public static LoadEngine start(Vertx vertx, RequestTemplate template, EngineSettings settings, ArrivalSchedule schedule,
                                   long startNanos, IntervalRecorder recorder, int laneCount) {
        RequestShape shape = new RequestShape(template);
        int lanesUsed = Math.max(1, Math.min(laneCount, Math.min(settings.maxInFlight(), settings.maxConnections())));
        List<Lane> lanes = new ArrayList<>(lanesUsed);
        LoadEngine engine = new LoadEngine(lanes, schedule, startNanos);
        List<Future<Void>> started = new ArrayList<>();
        for (int i = 0; i < lanesUsed; i++) {
            // A fresh event-loop context per lane: contexts created from one non-Vert.x thread through
            // the public API all stick to the same event loop, which would serialise the lanes.
            Context context = ((VertxInternal) vertx).createEventLoopContext();
            Lane lane = new Lane(engine, vertx, context, recorder.newLane(), shape,
                    share(settings.maxInFlight(), lanesUsed, i), share(settings.maxConnections(), lanesUsed, i), settings);
            lanes.add(lane);
            started.add(lane.start());
        }
        try {
            Future.all(started).await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("engine lanes did not start", e);
        }
        engine.scheduler.start();
        return engine;
    }

    private static int share(int total, int parts, int i) {
        return total / parts + (i < total % parts ? 1 : 0);
    }

    private void runScheduler() {
        int next = 0;
        long sequence = 0;
        try {
            while (!stopRequested) {
                applyReslice();
                long intended = schedule.nextIntendedNanos();
                if (intended == ArrivalSchedule.END) {
                    break;
                }
                long due = startNanos + intended;
                if (!awaitInstant(due)) {
                    continue; // a reslice or stop arrived while waiting; this instant is dropped
                }
                outstanding.incrementAndGet();
                dispatched.incrementAndGet();
                lanes.get(next).offer(due, sequence++);
                next = next + 1 == lanes.size() ? 0 : next + 1;
            }
        } finally {
            schedulingDone = true;
            checkFinished();
        }
    }

    /** Waits until {@code due}; false if interrupted by a reslice or a stop. */
    private boolean awaitInstant(long due) {
        while (true) {
            if (stopRequested || pendingReslice != null) {
                return false;
            }
            long remaining = due - System.nanoTime();
            if (remaining <= 0) {
                return true;
            }
            if (remaining > SPIN_NANOS) {
                LockSupport.parkNanos(this, remaining - SPIN_NANOS);
            } else {
                Thread.onSpinWait();
            }
        }
    }

    private void applyReslice() {
        Reslice reslice = pendingReslice;
        if (reslice != null) {
            pendingReslice = null;
            long fromNanos = Math.max(0, System.nanoTime() - startNanos);
            schedule = schedule.reslice(reslice.segment(), reslice.seed(), fromNanos);
        }
    }

    /** Replaces this worker's slice from now on (a newer assignment epoch). */
    public void reslice(SliceSegment segment, long seed) {
        pendingReslice = new Reslice(segment, seed);
        LockSupport.unpark(scheduler);
    }

    /**
     * Stops scheduling at once and abandons requests waiting for a slot; requests in flight get
     * {@code graceNanos} to complete and are then recorded as timeouts. {@link #finished()}
     * completes when all is accounted for.
     */
    public void stop(long graceNanos) {
        stopRequested = true;
        LockSupport.unpark(scheduler);
        try {
            scheduler.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Lane lane : lanes) {
            lane.abandonBacklog();
        }
        CompletableFuture.delayedExecutor(graceNanos, TimeUnit.NANOSECONDS).execute(() -> {
            if (!finished.isDone()) {
                lanes.forEach(Lane::expireAll);
            }
        });
    }

    void requestDone() {
        if (outstanding.decrementAndGet() == 0) {
            checkFinished();
        }
    }

    private void checkFinished() {
        if (schedulingDone && outstanding.get() == 0) {
            finished.complete(null);
        }
    }

    /**
     * Completes once scheduling has ended (profile over or stopped) and every dispatched request
     * has completed, timed out or been abandoned. Completes on a lane or scheduler thread.
     */
    public CompletableFuture<Void> finished() {
        return finished;
    }

    /** Requests handed to lanes and not yet accounted for (in flight or waiting for a slot). */
    public long outstanding() {
        return outstanding.get();
    }

    /** Requests the scheduler has handed to lanes so far (= intended so far). */
    public long dispatched() {
        return dispatched.get();
    }

    /** Closes the lanes' HTTP clients. Call after {@link #finished()}. */
    public void close() {
        stopRequested = true;
        LockSupport.unpark(scheduler);
        List<Future<Void>> closing = new ArrayList<>();
        for (Lane lane : lanes) {
            closing.add(lane.close());
        }
        try {
            Future.all(closing).await(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // clients that do not close in time are dropped with the Vert.x instance
        }
    }
}
