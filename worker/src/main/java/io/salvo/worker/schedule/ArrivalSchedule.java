package io.salvo.worker.schedule;

/**
 * One worker's intended send times, in increasing order, as nanoseconds from the run start
 * instant. Clock-free: the caller decides when "now" is and asks for the next intended time.
 *
 * <p>Not thread-safe: one scheduler thread owns an instance.
 */
public interface ArrivalSchedule {

    /** Returned by {@link #nextIntendedNanos()} once the profile has ended. */
    long END = Long.MAX_VALUE;

    /** The next intended send time (nanoseconds from run start), or {@link #END}. */
    long nextIntendedNanos();

    /**
     * A schedule for another slice of the same profile that continues from instant
     * {@code fromNanos}: it yields no time before {@code fromNanos}. This schedule is not used
     * afterwards.
     */
    ArrivalSchedule reslice(SliceSegment segment, long seed, long fromNanos);
}
