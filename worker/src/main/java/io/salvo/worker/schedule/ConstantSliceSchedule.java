package io.salvo.worker.schedule;

import io.salvo.core.rate.RateProfile;

/**
 * Evenly spaced arrivals: global request k (over all workers) is intended at Λ⁻¹(k), and this
 * worker sends the global requests its {@link SliceSegment} owns. The union over workers of a
 * partitioning segmentation is exactly the global sequence.
 *
 * <p>Not thread-safe (one scheduler thread).
 */
public final class ConstantSliceSchedule implements ArrivalSchedule {

    private final RateProfile profile;
    private final SliceSegment segment;
    private long nextGlobalIndex;

    private ConstantSliceSchedule(RateProfile profile, SliceSegment segment, long firstGlobalIndex) {
        this.profile = profile;
        this.segment = segment;
        this.nextGlobalIndex = firstGlobalIndex;
    }

    /** The schedule from the start of the profile. */
    public static ConstantSliceSchedule fromStart(RateProfile profile, SliceSegment segment) {
        return new ConstantSliceSchedule(profile, segment, 0);
    }

    /**
     * The schedule continuing at instant {@code fromNanos}: global indices from
     * {@link #firstGlobalIndexAt(RateProfile, long)} on.
     */
    public static ConstantSliceSchedule from(RateProfile profile, SliceSegment segment, long fromNanos) {
        return new ConstantSliceSchedule(profile, segment, firstGlobalIndexAt(profile, fromNanos));
    }

    /** ceil(Λ(t)): the first global request intended at or after instant {@code tNanos}. */
    public static long firstGlobalIndexAt(RateProfile profile, long tNanos) {
        return (long) Math.ceil(profile.cumulative(tNanos));
    }

    /** The global index that the next call to {@link #nextIntendedNanos()} starts searching from. */
    public long nextGlobalIndex() {
        return nextGlobalIndex;
    }

    @Override
    public long nextIntendedNanos() {
        long end = profile.durationNanos();
        while (true) {
            long k = nextGlobalIndex;
            long t = profile.timeOfCount((double) k); // exact: k stays far below 2^53
            if (t >= end) {
                return END;
            }
            nextGlobalIndex = k + 1;
            if (segment.owns(k)) {
                return t;
            }
        }
    }

    @Override
    public ArrivalSchedule reslice(SliceSegment newSegment, long seed, long fromNanos) {
        return from(profile, newSegment, fromNanos);
    }
}
