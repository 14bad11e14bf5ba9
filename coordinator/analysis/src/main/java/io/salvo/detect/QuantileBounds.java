package io.salvo.detect;

import org.HdrHistogram.Histogram;

/**
 * A quantile of a latency histogram with its distribution-free 99 % confidence interval, from the
 * binomial distribution of order statistics (normal approximation): with n samples the interval runs
 * from the sample at rank ⌊nq − z·√(nq(1−q))⌋ to the one at rank ⌈nq + z·√(nq(1−q))⌉ + 1, z = 2.576,
 * clamped to the sample. It is wide when samples are few and shrinks to the point estimate as they
 * grow, so a rule on bounds judges small intervals by what their data can actually tell. 99 % rather
 * than 95 %: a steady window compares five intervals pairwise, and at 95 % one window in twenty of a
 * perfectly stable target would still disagree by chance.
 *
 * @param estimate the quantile itself, microseconds
 * @param low      lower bound, microseconds
 * @param high     upper bound, microseconds
 */
record QuantileBounds(long estimate, long low, long high) {

    private static final double Z_99 = 2.575829;

    static QuantileBounds of(Histogram histogram, double quantile) {
        long n = histogram.getTotalCount();
        if (n == 0) {
            throw new IllegalArgumentException("no samples");
        }
        double centre = n * quantile;
        double spread = Z_99 * Math.sqrt(centre * (1 - quantile));
        long lowRank = Math.max(1, (long) Math.floor(centre - spread));
        long highRank = Math.min(n, (long) Math.ceil(centre + spread) + 1);
        return new QuantileBounds(
                histogram.getValueAtPercentile(100 * quantile),
                valueAtRank(histogram, lowRank),
                valueAtRank(histogram, highRank));
    }

    /** The value of the sample at {@code rank} (1 = smallest) to the histogram's precision. */
    private static long valueAtRank(Histogram histogram, long rank) {
        // getValueAtPercentile takes the first value whose cumulative count reaches ceil(p/100 * n):
        // aiming half a rank low keeps floating-point rounding from landing on the next rank.
        return histogram.getValueAtPercentile(100.0 * (rank - 0.5) / histogram.getTotalCount());
    }
}
