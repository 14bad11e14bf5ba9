package io.salvo.bench.shared;

import java.util.Arrays;

/** The statistics every figure under bench/ is reported with: nearest-rank percentiles and the sample median. */
public final class Percentiles {

    private Percentiles() {}

    /**
     * The nearest-rank percentile: the smallest value with at least {@code percent} % of the values at or below it.
     * 0 for no values, so that a run too short to have any still prints a line the scripts can parse.
     */
    public static double nearestRank(double[] values, double percent) {
        if (values.length == 0) {
            return 0;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(percent / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
    }

    /** The middle value; of an even count, the upper of the two middle ones. */
    public static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
