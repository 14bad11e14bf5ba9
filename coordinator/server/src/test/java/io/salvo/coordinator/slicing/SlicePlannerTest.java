package io.salvo.coordinator.slicing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salvo.coordinator.slicing.SlicePlanner.Participant;
import io.salvo.proto.v1.Slice;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SlicePlannerTest {

    @Test
    void segmentsTileTheTotalWeightInOrder() {
        Map<String, Slice> slices = SlicePlanner.plan(
                List.of(new Participant("a", 1), new Participant("b", 2), new Participant("c", 5)), 7);
        assertThat(slices.get("a").getSegmentStart()).isZero();
        assertThat(slices.get("a").getSegmentEnd()).isEqualTo(1);
        assertThat(slices.get("b").getSegmentStart()).isEqualTo(1);
        assertThat(slices.get("b").getSegmentEnd()).isEqualTo(3);
        assertThat(slices.get("c").getSegmentStart()).isEqualTo(3);
        assertThat(slices.get("c").getSegmentEnd()).isEqualTo(8);
        assertThat(slices.values())
                .allSatisfy(s -> assertThat(s.getTotalWeight()).isEqualTo(8));
        assertThat(slices.values().stream().mapToDouble(SlicePlanner::share).sum())
                .isEqualTo(1.0);
        assertThat(SlicePlanner.share(slices.get("c"))).isEqualTo(5.0 / 8);
    }

    /**
     * The ownership rule documented on the Slice message partitions the global sequence: every global
     * index belongs to exactly one worker; each worker's count is exactly its share after every full
     * period and within 2 of it in between.
     */
    @Test
    void scaledPartsAddUpToTheWhole() {
        Map<String, Slice> slices = SlicePlanner.plan(
                List.of(
                        new Participant("a", 3),
                        new Participant("b", 1),
                        new Participant("c", 7),
                        new Participant("d", 2)),
                1);
        long[] counts = new long[slices.size()];
        List<Slice> ordered = List.copyOf(slices.values());
        for (long k = 0; k < 100_000; k++) {
            int owners = 0;
            for (int i = 0; i < ordered.size(); i++) {
                if (owns(ordered.get(i), k)) {
                    owners++;
                    counts[i]++;
                }
            }
            assertThat(owners).as("owners of global index %d", k).isEqualTo(1);
            long total = ordered.get(0).getTotalWeight();
            for (int i = 0; i < ordered.size(); i++) {
                double ideal = (k + 1) * SlicePlanner.share(ordered.get(i));
                if ((k + 1) % total == 0) {
                    assertThat((double) counts[i])
                            .as("count of slice %d after %d requests", i, k + 1)
                            .isEqualTo(ideal);
                } else {
                    assertThat(Math.abs(counts[i] - ideal)).isLessThanOrEqualTo(2.0);
                }
            }
        }
    }

    private static boolean owns(Slice s, long k) {
        return SlicePlanner.owns(s, k);
    }

    @Test
    void equalWeightsInterleaveWithAConstantStride() {
        for (int n = 1; n <= 12; n++) {
            List<Participant> participants = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                participants.add(new Participant("w" + i, 1));
            }
            for (Slice s : SlicePlanner.plan(participants, 1).values()) {
                long previous = -1;
                for (long k = 0; k < 10L * n; k++) {
                    if (owns(s, k)) {
                        if (previous >= 0) {
                            assertThat(k - previous)
                                    .as("spacing with %d workers", n)
                                    .isEqualTo(n);
                        }
                        previous = k;
                    }
                }
            }
        }
    }

    @Test
    void unequalWeightsAreSpreadNotBunched() {
        Map<String, Slice> slices = SlicePlanner.plan(
                List.of(new Participant("a", 1), new Participant("b", 2), new Participant("c", 5)), 1);
        Slice c = slices.get("c");
        long maxGap = 0;
        long previous = -1;
        for (long k = 0; k < 800; k++) {
            if (owns(c, k)) {
                if (previous >= 0) {
                    maxGap = Math.max(maxGap, k - previous);
                }
                previous = k;
            }
        }
        // 5 of every 8: never more than 2 apart when spread (bunched would leave gaps of 4)
        assertThat(maxGap).isLessThanOrEqualTo(2);
    }

    @Test
    void strideIsCoprime() {
        for (long w = 1; w < 2000; w++) {
            long g = SlicePlanner.stride(w);
            assertThat(java.math.BigInteger.valueOf(g)
                            .gcd(java.math.BigInteger.valueOf(w))
                            .longValue())
                    .as("gcd(stride %d, %d)", g, w)
                    .isEqualTo(1);
        }
    }

    @Test
    void seedsDifferPerWorkerAndRepeatPerRunSeed() {
        List<Participant> participants =
                List.of(new Participant("a", 1), new Participant("b", 1), new Participant("c", 1));
        Set<Long> seeds = new HashSet<>();
        SlicePlanner.plan(participants, 99).values().forEach(s -> seeds.add(s.getSeed()));
        assertThat(seeds).hasSize(3);
        assertThat(SlicePlanner.plan(participants, 99)).isEqualTo(SlicePlanner.plan(participants, 99));
        assertThat(SlicePlanner.plan(participants, 98).get("a").getSeed())
                .isNotEqualTo(SlicePlanner.plan(participants, 99).get("a").getSeed());
    }

    @Test
    void refusesEmptyAndZeroWeight() {
        assertThatThrownBy(() -> SlicePlanner.plan(List.of(), 1)).hasMessageContaining("no workers");
        assertThatThrownBy(() -> new Participant("x", 0)).hasMessageContaining("weight must be >= 1");
    }
}
