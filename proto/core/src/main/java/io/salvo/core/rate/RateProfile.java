package io.salvo.core.rate;

import io.salvo.proto.v1.Phase;
import java.util.ArrayList;
import java.util.List;

/**
 * The total target rate of a run over time, built from the plan's phases, with its integral and
 * the exact inverse of that integral. Pure and immutable: no clock is read here; times are
 * nanoseconds from the run start instant and rates are requests per second.
 *
 * <p>Internally every phase is expanded into linear pieces: a constant or ramp phase is one piece
 * whose rate goes linearly from its start to its end rate; a phase with {@code steps = n > 0} is
 * {@code n} constant pieces of (almost) equal length whose rates are evenly spaced from the
 * phase's start rate to its end rate, both included (a single step uses the start rate).
 *
 * <p>{@code cumulative(t)} is Λ(t) = ∫₀ᵗ rate, the expected number of requests intended before
 * {@code t}; {@code timeOfCount(u)} is its inverse Λ⁻¹(u): the earliest instant at which Λ reaches
 * {@code u}. Within a ramp the inverse solves the quadratic in its numerically stable form, so it
 * stays exact when a ramp starts at rate 0 or has no slope.
 */
public final class RateProfile {

    private static final double NANOS_PER_SECOND = 1e9;

    /** Start instants of the pieces, nanoseconds from run start; one more entry for the end. */
    private final long[] pieceStartNanos;

    private final double[] pieceStartRate;
    private final double[] pieceEndRate;
    /** Λ at each piece start; one more entry holding the total. */
    private final double[] countAtPieceStart;

    private RateProfile(List<double[]> pieces, long totalNanos) {
        int n = pieces.size();
        pieceStartNanos = new long[n + 1];
        pieceStartRate = new double[n];
        pieceEndRate = new double[n];
        countAtPieceStart = new double[n + 1];
        double count = 0;
        for (int i = 0; i < n; i++) {
            double[] piece = pieces.get(i);
            pieceStartNanos[i] = (long) piece[0];
            pieceStartRate[i] = piece[2];
            pieceEndRate[i] = piece[3];
            countAtPieceStart[i] = count;
            long durationNanos = (long) piece[1];
            count += (piece[2] + piece[3]) / 2 * (durationNanos / NANOS_PER_SECOND);
        }
        pieceStartNanos[n] = totalNanos;
        countAtPieceStart[n] = count;
    }

    /** Builds the profile of a plan's phases, which run back to back from instant 0. */
    public static RateProfile of(List<Phase> phases) {
        List<double[]> pieces = new ArrayList<>();
        long at = 0;
        for (Phase phase : phases) {
            long durationNanos = Math.multiplyExact(phase.getDurationMillis(), 1_000_000L);
            double start = requireRate(phase.getStartRatePerSecond());
            double end = requireRate(phase.getEndRatePerSecond());
            int steps = phase.getSteps();
            if (durationNanos == 0) {
                continue;
            }
            if (steps == 0) {
                pieces.add(new double[] {at, durationNanos, start, end});
            } else {
                // Step j covers [floor(D*j/n), floor(D*(j+1)/n)) so the steps tile the phase exactly.
                for (int j = 0; j < steps; j++) {
                    long from = Math.multiplyExact(durationNanos, (long) j) / steps;
                    long to = Math.multiplyExact(durationNanos, (long) j + 1) / steps;
                    double level = steps == 1 ? start : start + (end - start) * j / (steps - 1);
                    if (to > from) {
                        pieces.add(new double[] {at + from, to - from, level, level});
                    }
                }
            }
            at += durationNanos;
        }
        return new RateProfile(pieces, at);
    }

    /** A single constant phase, for tests and simple callers. */
    public static RateProfile constant(double ratePerSecond, long durationMillis) {
        return of(List.of(Phase.newBuilder()
                .setDurationMillis(durationMillis)
                .setStartRatePerSecond(ratePerSecond)
                .setEndRatePerSecond(ratePerSecond)
                .build()));
    }

    private static double requireRate(double rate) {
        if (!(rate >= 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("rate must be a finite number >= 0, was " + rate);
        }
        return rate;
    }

    /** Length of the whole profile, in nanoseconds. */
    public long durationNanos() {
        return pieceStartNanos[pieceStartNanos.length - 1];
    }

    /** Λ at the end of the profile: the expected total number of requests over all workers. */
    public double totalCount() {
        return countAtPieceStart[countAtPieceStart.length - 1];
    }

    /** Target rate at instant {@code tNanos}, requests per second; 0 outside the profile. */
    public double rate(long tNanos) {
        int p = pieceAt(tNanos);
        if (p < 0) {
            return 0;
        }
        double fraction = (double) (tNanos - pieceStartNanos[p]) / (pieceStartNanos[p + 1] - pieceStartNanos[p]);
        return pieceStartRate[p] + (pieceEndRate[p] - pieceStartRate[p]) * fraction;
    }

    /** Λ(t): the expected number of requests intended in [0, t). Clamped to [0, totalCount()]. */
    public double cumulative(long tNanos) {
        if (tNanos <= 0) {
            return 0;
        }
        int p = pieceAt(tNanos);
        if (p < 0) {
            return totalCount();
        }
        double tau = (tNanos - pieceStartNanos[p]) / NANOS_PER_SECOND;
        double length = (pieceStartNanos[p + 1] - pieceStartNanos[p]) / NANOS_PER_SECOND;
        double slope = (pieceEndRate[p] - pieceStartRate[p]) / length;
        return countAtPieceStart[p] + pieceStartRate[p] * tau + slope * tau * tau / 2;
    }

    /** Expected number of requests intended in [t0, t1), over all workers. */
    public double expectedCount(long t0Nanos, long t1Nanos) {
        return cumulative(t1Nanos) - cumulative(t0Nanos);
    }

    /**
     * Λ⁻¹(u) as an exact real number of nanoseconds: the earliest instant at which Λ reaches {@code u}.
     * Returns {@code Double.POSITIVE_INFINITY} when {@code u} exceeds the profile's total.
     */
    public double exactTimeOfCount(double u) {
        if (u <= 0) {
            return 0;
        }
        int n = pieceStartRate.length;
        if (u > countAtPieceStart[n]) {
            return Double.POSITIVE_INFINITY;
        }
        // First piece whose end count reaches u; pieces with rate 0 throughout are skipped this way.
        int lo = 0;
        int hi = n - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (countAtPieceStart[mid + 1] >= u) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        int p = lo;
        double remaining = u - countAtPieceStart[p];
        double length = (pieceStartNanos[p + 1] - pieceStartNanos[p]) / NANOS_PER_SECOND;
        double r0 = pieceStartRate[p];
        double halfSlope = (pieceEndRate[p] - r0) / length / 2;
        // Solve halfSlope*tau^2 + r0*tau - remaining = 0 as tau = 2c / (b + sqrt(b^2 + 4ac)): no
        // cancellation, valid for rising and falling ramps and for r0 == 0 or halfSlope == 0.
        double discriminant = Math.max(0, r0 * r0 + 4 * halfSlope * remaining);
        double denominator = r0 + Math.sqrt(discriminant);
        double tau = denominator > 0 ? 2 * remaining / denominator : 0;
        tau = Math.min(tau, length);
        return pieceStartNanos[p] + tau * NANOS_PER_SECOND;
    }

    /**
     * Λ⁻¹(u) rounded to the nearest nanosecond, or {@link Long#MAX_VALUE} when {@code u} exceeds the
     * profile's total.
     */
    public long timeOfCount(double u) {
        double t = exactTimeOfCount(u);
        return Double.isInfinite(t) ? Long.MAX_VALUE : Math.round(t);
    }

    private int pieceAt(long tNanos) {
        if (tNanos < 0 || tNanos >= durationNanos()) {
            return -1;
        }
        int lo = 0;
        int hi = pieceStartRate.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (pieceStartNanos[mid] <= tNanos) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }
}
