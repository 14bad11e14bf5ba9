package io.salvo.worker.schedule;

import io.salvo.proto.v1.Slice;

/**
 * The integer weight segment [start, end) of a total weight W that a worker owns, with the stride
 * g of the ownership rule (see the proto's {@code Slice}). Integers keep every worker's share exact.
 *
 * <p>Constant arrivals: global request k belongs to this segment iff
 * {@code start ≤ ((k mod W)·g) mod W < end}. Because g is coprime to W, multiplication by g
 * permutes each period of W consecutive requests: every global request has exactly one owner for
 * any segmentation of [0, W), and each segment owns exactly (end − start) of every W requests.
 * A stride near W/φ spreads each segment's requests evenly over the period.
 */
public record SliceSegment(long start, long end, long totalWeight, long stride) {

    private static final double GOLDEN_RATIO = 1.618033988749895;

    public SliceSegment {
        if (totalWeight <= 0 || start < 0 || end <= start || end > totalWeight) {
            throw new IllegalArgumentException("invalid slice segment [" + start + ", " + end + ") of " + totalWeight);
        }
        if (totalWeight > 3_037_000_499L) {
            // keeps (k mod W) * stride below Long.MAX_VALUE
            throw new IllegalArgumentException("total weight too large: " + totalWeight);
        }
        if (stride < 1 || (totalWeight > 1 && (stride >= totalWeight || gcd(stride, totalWeight) != 1))) {
            throw new IllegalArgumentException("stride " + stride + " is not coprime to total weight " + totalWeight
                    + "; the ownership rule would not partition the requests");
        }
    }

    /** A segment with the golden-ratio stride of {@code totalWeight}, as the coordinator plans it. */
    public SliceSegment(long start, long end, long totalWeight) {
        this(start, end, totalWeight, goldenStride(totalWeight));
    }

    /** The whole sequence: a single worker. */
    public static SliceSegment whole() {
        return new SliceSegment(0, 1, 1, 1);
    }

    /** From the wire; a stride of 0 (unset) means the golden-ratio stride of the total weight. */
    public static SliceSegment of(Slice slice) {
        long stride = slice.getStride() == 0 ? goldenStride(slice.getTotalWeight()) : slice.getStride();
        return new SliceSegment(slice.getSegmentStart(), slice.getSegmentEnd(), slice.getTotalWeight(), stride);
    }

    /** The integer nearest W/φ that is coprime to W (1 for W ≤ 2); the coordinator's choice. */
    public static long goldenStride(long totalWeight) {
        if (totalWeight <= 2) {
            return 1;
        }
        long guess = Math.max(1, Math.round(totalWeight / GOLDEN_RATIO));
        for (long delta = 0; ; delta++) {
            for (long candidate : new long[] {guess - delta, guess + delta}) {
                if (candidate >= 1 && candidate < totalWeight && gcd(candidate, totalWeight) == 1) {
                    return candidate;
                }
            }
        }
    }

    /** This segment's share of the total rate, (end − start) / total. */
    public double share() {
        return (double) (end - start) / totalWeight;
    }

    /** Whether global constant-arrival request {@code k} (k ≥ 0) belongs to this segment. */
    public boolean owns(long k) {
        long position = (k % totalWeight) * stride % totalWeight;
        return position >= start && position < end;
    }

    private static long gcd(long a, long b) {
        return b == 0 ? a : gcd(b, a % b);
    }
}
