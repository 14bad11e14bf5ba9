package io.salvo.worker.engine;

import io.salvo.worker.schedule.ArrivalSchedule;
import io.salvo.worker.schedule.SliceSegment;

/**
 * Deals the worker's {@link ArrivalSchedule} to its lanes round-robin: the worker's n-th intended
 * instant goes to lane n mod L. For constant arrivals every lane gets every L-th request, evenly
 * spaced; for Poisson arrivals the lanes' instants together are exactly the worker's Poisson
 * process, so the aggregate that the coordinator plans for is unchanged by the number of lanes.
 *
 * <p>Why a shared dealer rather than one schedule per lane: the engine receives one schedule (its
 * slice and seed are the caller's business), and re-slicing must switch all lanes at one instant.
 * Each lane takes everything due in one call per firing pass, so the lock is taken once per pass,
 * mostly by a single lane at a time.
 *
 * <p>Instants are nanoseconds from the run start. Thread-safe.
 */
final class ScheduleDealer {

    /** Returned by {@link #takeDue} when the lane will get no more instants. */
    static final long EXHAUSTED = Long.MAX_VALUE;

    private final LongQueue[] pending;
    private ArrivalSchedule schedule;
    private int nextLane;
    private boolean scheduleEnded;
    private boolean stopped;

    ScheduleDealer(ArrivalSchedule schedule, int lanes) {
        this.schedule = schedule;
        this.pending = new LongQueue[lanes];
        for (int i = 0; i < lanes; i++) {
            pending[i] = new LongQueue();
        }
    }

    /**
     * Moves every instant of {@code lane} at or before {@code nowNanos} into {@code due}, in order,
     * and returns the lane's next instant after that (not taken), or {@link #EXHAUSTED}.
     */
    synchronized long takeDue(int lane, long nowNanos, LongQueue due) {
        LongQueue mine = pending[lane];
        while (true) {
            if (mine.isEmpty() && !dealUntilLaneHasOne(lane)) {
                return EXHAUSTED;
            }
            long next = mine.peek();
            if (next > nowNanos) {
                return next;
            }
            due.add(mine.poll());
        }
    }

    /** Generates instants round-robin until {@code lane} has one; false once the schedule has ended. */
    private boolean dealUntilLaneHasOne(int lane) {
        while (!scheduleEnded) {
            long intended = schedule.nextIntendedNanos();
            if (intended == ArrivalSchedule.END) {
                scheduleEnded = true;
                return false;
            }
            int to = nextLane;
            nextLane = to + 1 == pending.length ? 0 : to + 1;
            pending[to].add(intended);
            if (to == lane) {
                return true;
            }
        }
        return false;
    }

    /**
     * From {@code fromNanos} on, deals a new slice: instants already dealt at or after it are
     * dropped (as the worker's old scheduler dropped the instant it was waiting for) and the new
     * schedule continues from {@code fromNanos}.
     */
    synchronized void reslice(SliceSegment segment, long seed, long fromNanos) {
        if (stopped) {
            return;
        }
        for (LongQueue queue : pending) {
            queue.removeFrom(fromNanos);
        }
        schedule = schedule.reslice(segment, seed, fromNanos);
        scheduleEnded = false;
    }

    /** No more instants for anyone (a stop); instants not yet taken are never intended. */
    synchronized void stop() {
        stopped = true;
        scheduleEnded = true;
        for (LongQueue queue : pending) {
            queue.clear();
        }
    }
}
