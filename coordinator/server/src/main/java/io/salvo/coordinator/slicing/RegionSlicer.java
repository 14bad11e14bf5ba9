package io.salvo.coordinator.slicing;

import io.salvo.coordinator.slicing.SlicePlanner.Participant;
import io.salvo.proto.v1.RegionShare;
import io.salvo.proto.v1.Slice;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Slices a run whose plan has regions: each region owns a fixed block of the weight space, in proportion to its
 * weight, and only its own workers divide that block. See ADR 0018.
 *
 * <p>The weight space has {@code W = Σ q_r · UNITS} units, q_r the regions' weights as small coprime integers.
 * Region r owns the block [B_r, B_r + q_r·UNITS), in plan order; its workers, sorted by id, split the block in
 * proportion to their weights (largest remainder). Every worker's {@link Slice} is an ordinary segment of W with
 * the stride for W, so workers need nothing new and the ownership rule of ADR 0001 still partitions the global
 * request sequence.
 *
 * <p>Assumptions and guarantees:
 * <ul>
 *   <li>Blocks never move: W, the stride and each region's block are fixed for the whole run. Re-slicing a
 *       region changes the slices of that region's workers only; the other regions' workers keep theirs, and
 *       their share of the rate, exactly.</li>
 *   <li>A region without live workers keeps its block, owned by nobody: its share is not sent (and not moved to
 *       other regions, whose per-region figures would then measure another load).</li>
 *   <li>Shares between regions are exact for weights with up to six decimals whose integer form adds up to at
 *       most {@value #MAX_REGION_WEIGHT} (else they are rounded to parts of {@value #MAX_REGION_WEIGHT}).
 *       Within a region they are exact when the workers' weights add up to a divisor of q_r·UNITS (every sum
 *       from 1 to 16, for example), and otherwise off by less than one unit, below 1.4·10⁻⁶ of the region's
 *       share.</li>
 *   <li>{@code W ≤ 2 000 · 720 720 < 1.5·10⁹}, inside ADR 0001's bound for the ownership test.</li>
 * </ul>
 */
public final class RegionSlicer {

    /** Units per integer region weight: lcm(1..16), so a region splits exactly over 1 to 16 equal workers. */
    static final long UNITS = 720_720;
    /** The largest sum of the regions' integer weights; above it, weights are rounded to parts of it. */
    static final long MAX_REGION_WEIGHT = 2_000;

    private RegionSlicer() {}

    /**
     * The fixed division of a run's weight space among its regions.
     *
     * @param regions      region labels, in plan order
     * @param weights      each region's integer weight q_r, same order
     * @param blockStarts  each region's first unit B_r
     * @param totalWeight  W
     * @param stride       the ownership stride for W
     */
    public record Layout(
            List<String> regions, List<Long> weights, List<Long> blockStarts, long totalWeight, long stride) {

        /** The plan's regions as a layout; null when the plan has none. */
        public static Layout of(List<RegionShare> shares) {
            if (shares.isEmpty()) {
                return null;
            }
            List<String> names = shares.stream().map(RegionShare::getRegion).toList();
            long[] q = integerWeights(
                    shares.stream().mapToDouble(RegionShare::getWeight).toArray());
            List<Long> weights = new ArrayList<>(q.length);
            List<Long> starts = new ArrayList<>(q.length);
            long total = 0;
            for (long w : q) {
                weights.add(w);
                starts.add(total);
                total += w * UNITS;
            }
            return new Layout(
                    List.copyOf(names), List.copyOf(weights), List.copyOf(starts), total, SlicePlanner.stride(total));
        }

        public int indexOf(String region) {
            return regions.indexOf(region);
        }

        /** The region's fraction of the total rate. */
        public double share(String region) {
            int i = indexOf(region);
            return i < 0 ? 0 : (double) weights.get(i) * UNITS / totalWeight;
        }
    }

    /**
     * The slices of {@code live} for the regions in {@code regionsToSlice}; every other live worker keeps its
     * slice from {@code current}. Workers of regions not in the layout get none.
     *
     * @param seed the seed of this slicing (run seed plus epoch); each re-sliced worker's stream derives from it
     */
    public static Map<String, Slice> plan(
            Layout layout,
            List<Participant> live,
            Map<String, Slice> current,
            Collection<String> regionsToSlice,
            long seed) {
        List<Participant> sorted = new ArrayList<>(live);
        sorted.sort(Comparator.comparing(Participant::workerId));
        Map<String, Slice> slices = new LinkedHashMap<>();
        for (int r = 0; r < layout.regions().size(); r++) {
            String region = layout.regions().get(r);
            List<Participant> members =
                    sorted.stream().filter(p -> p.region().equals(region)).toList();
            if (!regionsToSlice.contains(region)) {
                for (Participant p : members) {
                    Slice kept = current.get(p.workerId());
                    if (kept != null && kept.getTotalWeight() == layout.totalWeight()) {
                        slices.put(p.workerId(), kept);
                        continue;
                    }
                    // A worker without a slice of this layout cannot keep one: its region is sliced after all.
                    return plan(layout, live, current, with(regionsToSlice, region), seed);
                }
                continue;
            }
            long block = layout.weights().get(r) * UNITS;
            long[] units =
                    split(block, members.stream().mapToLong(Participant::weight).toArray());
            long start = layout.blockStarts().get(r);
            for (int i = 0; i < members.size(); i++) {
                Participant p = members.get(i);
                slices.put(
                        p.workerId(),
                        Slice.newBuilder()
                                .setSegmentStart(start)
                                .setSegmentEnd(start + units[i])
                                .setTotalWeight(layout.totalWeight())
                                .setStride(layout.stride())
                                .setSeed(SlicePlanner.mix(seed + 0x9E3779B97F4A7C15L * (sorted.indexOf(p) + 1)))
                                .build());
                start += units[i];
            }
        }
        return slices;
    }

    private static List<String> with(Collection<String> regions, String region) {
        List<String> more = new ArrayList<>(regions);
        more.add(region);
        return more;
    }

    /** {@code total} units in proportion to {@code weights}, exactly {@code total} in all (largest remainder). */
    static long[] split(long total, long[] weights) {
        long[] units = new long[weights.length];
        if (weights.length == 0) {
            return units;
        }
        long sum = 0;
        for (long w : weights) {
            sum += w;
        }
        long given = 0;
        long[] remainders = new long[weights.length];
        for (int i = 0; i < weights.length; i++) {
            // total ≤ 1.5·10⁹ and a weight < 2³¹: the product fits in a long.
            units[i] = total * weights[i] / sum;
            remainders[i] = total * weights[i] % sum;
            given += units[i];
        }
        Integer[] order = new Integer[weights.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        // Largest remainder first; ties to the earlier worker, so the split is reproducible.
        java.util.Arrays.sort(order, (a, b) -> Long.compare(remainders[b], remainders[a]));
        for (int i = 0; given < total; i++, given++) {
            units[order[i]]++;
        }
        return units;
    }

    /**
     * The regions' weights as coprime integers: exact for weights with up to six decimals whose sum stays within
     * {@link #MAX_REGION_WEIGHT}, otherwise rounded to parts of it (each at least 1).
     */
    static long[] integerWeights(double[] weights) {
        long[] q = new long[weights.length];
        for (int digits = 0; digits <= 6; digits++) {
            double scale = Math.pow(10, digits);
            boolean whole = true;
            for (int i = 0; i < weights.length; i++) {
                double scaled = weights[i] * scale;
                q[i] = Math.round(scaled);
                whole &= Math.abs(scaled - q[i]) <= 1e-9 * Math.max(1, scaled) && q[i] >= 1;
            }
            if (whole) {
                break;
            }
        }
        long g = 0;
        for (long v : q) {
            g = gcd(g, Math.max(1, v));
        }
        long sum = 0;
        for (int i = 0; i < q.length; i++) {
            q[i] = Math.max(1, q[i]) / g;
            sum += q[i];
        }
        if (sum > MAX_REGION_WEIGHT) {
            double total = 0;
            for (double w : weights) {
                total += w;
            }
            for (int i = 0; i < q.length; i++) {
                q[i] = Math.max(1, Math.round(weights[i] / total * MAX_REGION_WEIGHT));
            }
        }
        return q;
    }

    private static long gcd(long a, long b) {
        return b == 0 ? a : gcd(b, a % b);
    }
}
