package io.salvo.worker.schedule;

import io.salvo.proto.v1.Slice;

/**
 * The integer weight segment [start, end) of a total weight that a worker owns (see the proto's
 * {@code Slice}). Integers keep every worker's share exact.
 *
 * <p>Constant arrivals: global request k belongs to this segment iff
 * {@code floor((k+1)e/W) − floor((k+1)s/W) > floor(k·e/W) − floor(k·s/W)}, evaluated in exact
 * long arithmetic. The rule is periodic in k with period W (shifting k by W adds e − s to both
 * sides), so it is evaluated on {@code k mod W}, which keeps the products below W².
 *
 * <p>Caveat, verified by {@link #partitions(long[], long)}: this rule partitions the global
 * sequence for segmentations whose prefix sets are nested (equal weights; 1,2,5; 1,2,3,4 ...) but
 * not for every segmentation (weights 2,1,2 over W = 5 assign some global requests twice).
 */
public record SliceSegment(long start, long end, long totalWeight) {

    public SliceSegment {
        if (totalWeight <= 0 || start < 0 || end <= start || end > totalWeight) {
            throw new IllegalArgumentException("invalid slice segment [" + start + ", " + end + ") of " + totalWeight);
        }
        if (totalWeight > 3_037_000_499L) {
            // keeps (k mod W + 1) * end below Long.MAX_VALUE
            throw new IllegalArgumentException("total weight too large: " + totalWeight);
        }
    }

    /** The whole sequence: a single worker. */
    public static SliceSegment whole() {
        return new SliceSegment(0, 1, 1);
    }

    public static SliceSegment of(Slice slice) {
        return new SliceSegment(slice.getSegmentStart(), slice.getSegmentEnd(), slice.getTotalWeight());
    }

    /** This segment's share of the total rate, (end − start) / total. */
    public double share() {
        return (double) (end - start) / totalWeight;
    }

    /** Whether global constant-arrival request {@code k} (k ≥ 0) belongs to this segment. */
    public boolean owns(long k) {
        long r = k % totalWeight;
        return ownedCount(r + 1) > ownedCount(r);
    }

    private long ownedCount(long k) {
        return Math.floorDiv(k * end, totalWeight) - Math.floorDiv(k * start, totalWeight);
    }

    /**
     * Whether the segments between consecutive {@code boundaries} (0 = b₀ < b₁ < … < bₙ = W) assign
     * every global request to exactly one segment under the rule above. Checks one period of W
     * requests, so it costs O(n·W); meant for planners and tests.
     */
    public static boolean partitions(long[] boundaries, long totalWeight) {
        for (long k = 0; k < totalWeight; k++) {
            int owners = 0;
            for (int i = 0; i + 1 < boundaries.length; i++) {
                if (new SliceSegment(boundaries[i], boundaries[i + 1], totalWeight).owns(k)) {
                    owners++;
                }
            }
            if (owners != 1) {
                return false;
            }
        }
        return true;
    }
}
