package io.salvo.coordinator.metrics;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Arrays;

/**
 * The classic histogram buckets of {@code salvo_request_latency_seconds}: 40 per decade, log-spaced, from 10 µs
 * to 1,000 s, each bound rounded to 3 significant digits so that the {@code le} labels read well.
 *
 * <p>Why this fine: every latency is counted in the bucket of its HdrHistogram value, so the exact p99 (read from
 * the merged HdrHistogram) and the bucket Prometheus's {@code histogram_quantile(0.99, ...)} interpolates in are the
 * same bucket. Its estimate is then off by less than the ratio of that bucket's bounds minus one:
 * {@link #MAX_RELATIVE_ERROR}, 6.4 % (the widest ratio after rounding: 1.88 to 2.00), for any p99 in (10 µs, 1,000 s]. A p99 above 1,000 s is reported as
 * 1,000 s (the last finite bound), one at or below 10 µs anywhere in [0, 10 µs]. Coarser buckets would cost fewer
 * series (this is 322 per run) but a looser bound; docs/metrics.md states it and PrometheusMetricsTest proves it.
 */
public final class LatencyBuckets {

    public static final int PER_DECADE = 40;
    /** The lowest and highest finite bound are 10^these microseconds: 10 µs and 1,000 s. */
    private static final int LOWEST_DECADE = 1;

    private static final int HIGHEST_DECADE = 9;

    private static final double[] UPPER_BOUNDS_MICROS;
    private static final double[] UPPER_BOUNDS_SECONDS;

    /** Greatest ratio of a bound to the one below it, minus one: the bound on histogram_quantile's relative error. */
    public static final double MAX_RELATIVE_ERROR;

    static {
        int n = (HIGHEST_DECADE - LOWEST_DECADE) * PER_DECADE + 1;
        UPPER_BOUNDS_MICROS = new double[n];
        UPPER_BOUNDS_SECONDS = new double[n];
        MathContext threeDigits = new MathContext(3);
        double maxRatio = 1;
        for (int i = 0; i < n; i++) {
            double exponent = LOWEST_DECADE + (double) i / PER_DECADE;
            BigDecimal micros = new BigDecimal(Math.pow(10, exponent)).round(threeDigits);
            UPPER_BOUNDS_MICROS[i] = micros.doubleValue();
            // Through the decimal, so that 10.6 µs is written 1.06E-5 s rather than its nearest binary neighbour's
            // digits.
            UPPER_BOUNDS_SECONDS[i] = micros.movePointLeft(6).doubleValue();
            if (i > 0) {
                maxRatio = Math.max(maxRatio, UPPER_BOUNDS_MICROS[i] / UPPER_BOUNDS_MICROS[i - 1]);
            }
        }
        MAX_RELATIVE_ERROR = maxRatio - 1;
    }

    private LatencyBuckets() {}

    /** The finite upper bounds in seconds, ascending (a copy); the +Inf bucket follows them. */
    public static double[] upperBoundsSeconds() {
        return UPPER_BOUNDS_SECONDS.clone();
    }

    /** How many buckets, the +Inf one included. */
    public static int count() {
        return UPPER_BOUNDS_MICROS.length + 1;
    }

    /** The bucket of a latency of {@code micros}: the first whose bound is at least it, or the +Inf one. */
    static int bucketOf(long micros) {
        int i = Arrays.binarySearch(UPPER_BOUNDS_MICROS, (double) micros); // exact below 2^53 µs, far above 1 h
        return i >= 0 ? i : -i - 1;
    }
}
