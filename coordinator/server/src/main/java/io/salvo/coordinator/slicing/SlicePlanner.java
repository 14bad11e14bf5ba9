package io.salvo.coordinator.slicing;

import io.salvo.proto.v1.Slice;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Splits the total arrival process among workers in proportion to their integer weights.
 *
 * <p>Worker i receives the weight segment [Σ_{j<i} w_j, Σ_{j≤i} w_j) of a total W = Σ w. Segments are
 * integers so every worker can compute its exact share of the global sequence by itself (k6's
 * execution segments solve the same problem). With a constant arrival process, worker i sends global
 * request k iff s_i ≤ (k·g mod W) < e_i, where the stride g is coprime to W: multiplication by g
 * permutes each period of W requests, so the parts add up exactly to the whole, and a g near W/φ
 * (golden ratio) spreads each worker's requests evenly over the period (a low-discrepancy sequence).
 */
public final class SlicePlanner {

    private SlicePlanner() {}

    /** One worker to slice for: its id, relative capacity (≥ 1) and region label (used by {@link RegionSlicer}). */
    public record Participant(String workerId, int weight, String region) {
        public Participant {
            if (weight < 1) {
                throw new IllegalArgumentException("weight must be >= 1, got " + weight + " for " + workerId);
            }
        }

        public Participant(String workerId, int weight) {
            this(workerId, weight, "");
        }
    }

    /**
     * Slices in the order given (callers sort participants so the plan is reproducible).
     *
     * @param runSeed seed of the run; each worker's arrival stream seed is derived from it and its position
     */
    public static Map<String, Slice> plan(List<Participant> participants, long runSeed) {
        if (participants.isEmpty()) {
            throw new IllegalArgumentException("no workers to slice for");
        }
        long total = 0;
        for (Participant p : participants) {
            total += p.weight();
        }
        Map<String, Slice> slices = new LinkedHashMap<>();
        long stride = stride(total);
        long start = 0;
        int position = 0;
        for (Participant p : participants) {
            long end = start + p.weight();
            slices.put(
                    p.workerId(),
                    Slice.newBuilder()
                            .setSegmentStart(start)
                            .setSegmentEnd(end)
                            .setTotalWeight(total)
                            .setSeed(mix(runSeed + 0x9E3779B97F4A7C15L * (position + 1)))
                            .setStride(stride)
                            .build());
            start = end;
            position++;
        }
        return slices;
    }

    /** The integer nearest W/φ that is coprime to W (1 for W ≤ 2). */
    static long stride(long totalWeight) {
        if (totalWeight <= 2) {
            return 1;
        }
        long guess = Math.max(1, Math.round(totalWeight / 1.618033988749895));
        for (long delta = 0; ; delta++) {
            for (long candidate : new long[] {guess - delta, guess + delta}) {
                if (candidate >= 1 && candidate < totalWeight && gcd(candidate, totalWeight) == 1) {
                    return candidate;
                }
            }
        }
    }

    /** Whether global request {@code k} of a constant arrival process belongs to this slice. */
    public static boolean owns(Slice slice, long k) {
        long w = slice.getTotalWeight();
        long position = Math.floorMod(k, w) * slice.getStride() % w;
        return position >= slice.getSegmentStart() && position < slice.getSegmentEnd();
    }

    private static long gcd(long a, long b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    /** The fraction of the total rate a slice carries. */
    public static double share(Slice slice) {
        return (double) (slice.getSegmentEnd() - slice.getSegmentStart()) / slice.getTotalWeight();
    }

    /** SplitMix64 finalizer: decorrelates neighbouring seeds. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
