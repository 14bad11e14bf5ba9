package io.salvo.coordinator.slicing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.salvo.coordinator.slicing.Reslicer.Change;
import io.salvo.coordinator.slicing.SlicePlanner.Participant;
import io.salvo.core.rate.RateProfile;
import io.salvo.proto.v1.RegionShare;
import io.salvo.proto.v1.Reslice;
import io.salvo.proto.v1.Slice;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Slicing within regions (ADR 0018): each region's block is fixed, and only its own workers divide it. */
class RegionSlicerTest {

    private static final long SECOND = 1_000_000_000L;
    private static final RateProfile PROFILE = RateProfile.constant(300, 10_000);

    private static RegionSlicer.Layout layout(Object... regionAndWeight) {
        List<RegionShare> shares = new ArrayList<>();
        for (int i = 0; i < regionAndWeight.length; i += 2) {
            shares.add(RegionShare.newBuilder()
                    .setRegion((String) regionAndWeight[i])
                    .setWeight(((Number) regionAndWeight[i + 1]).doubleValue())
                    .build());
        }
        return RegionSlicer.Layout.of(shares);
    }

    private static final List<Participant> SIX = List.of(
            new Participant("us-1", 1, "us-east1"),
            new Participant("us-2", 1, "us-east1"),
            new Participant("us-3", 1, "us-east1"),
            new Participant("us-4", 1, "us-east1"),
            new Participant("eu-1", 1, "europe-west1"),
            new Participant("eu-2", 1, "europe-west1"));

    @Test
    void eachRegionGetsItsWeightAndItsWorkersSplitItExactly() {
        RegionSlicer.Layout layout = layout("us-east1", 2, "europe-west1", 1);
        Map<String, Slice> slices = RegionSlicer.plan(layout, SIX, Map.of(), layout.regions(), 7);

        assertThat(layout.totalWeight()).isEqualTo(3 * RegionSlicer.UNITS);
        assertThat(regionShare(slices, "us-")).isEqualTo(2.0 / 3);
        assertThat(regionShare(slices, "eu-")).isEqualTo(1.0 / 3);
        for (String id : List.of("us-1", "us-2", "us-3", "us-4")) {
            assertThat(SlicePlanner.share(slices.get(id))).isEqualTo(2.0 / 3 / 4);
        }
        assertThat(SlicePlanner.share(slices.get("eu-1"))).isEqualTo(1.0 / 6);
        assertExactPartition(slices.values(), layout.totalWeight());
    }

    @Test
    void weightsWithDecimalsAndRatesAreExactShares() {
        assertThat(RegionSlicer.integerWeights(new double[] {200, 100})).containsExactly(2, 1);
        assertThat(RegionSlicer.integerWeights(new double[] {0.75, 0.25})).containsExactly(3, 1);
        assertThat(RegionSlicer.integerWeights(new double[] {123.5, 7})).containsExactly(247, 14);
        // Too fine to be exact within 2,000 parts: rounded, each region still gets some.
        long[] rounded = RegionSlicer.integerWeights(new double[] {1_000_000, 1});
        assertThat(rounded).containsExactly(2000, 1);
    }

    @Test
    void unevenWorkerWeightsSplitTheBlockByLargestRemainder() {
        long[] units =
                RegionSlicer.split(RegionSlicer.UNITS, new long[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 17});
        assertThat(java.util.Arrays.stream(units).sum()).isEqualTo(RegionSlicer.UNITS);
        for (int i = 0; i < 16; i++) {
            assertThat((double) units[i]).isCloseTo(RegionSlicer.UNITS / 33.0, within(1.0));
        }
    }

    @Test
    void reslicingARegionLeavesTheOtherRegionsSlicesUntouched() {
        RegionSlicer.Layout layout = layout("us-east1", 2, "europe-west1", 1);
        Map<String, Slice> before = RegionSlicer.plan(layout, SIX, Map.of(), layout.regions(), 7);
        List<Participant> survivors =
                SIX.stream().filter(p -> !p.workerId().equals("us-2")).toList();

        Reslicer.Outcome outcome = Reslicer.reslice(
                1,
                survivors,
                List.of(Change.lost("us-2", "us-east1", SlicePlanner.share(before.get("us-2")), 2 * SECOND)),
                77,
                3 * SECOND,
                true,
                PROFILE,
                7,
                layout,
                before);

        assertThat(outcome.epoch()).isEqualTo(2);
        // Europe keeps exactly what it had: same segment, stride and seed, so its workers need no new assignment.
        assertThat(outcome.slices().get("eu-1")).isEqualTo(before.get("eu-1"));
        assertThat(outcome.slices().get("eu-2")).isEqualTo(before.get("eu-2"));
        // The lost worker's share went to its own region's survivors: us-east1 still sends 2/3 of the rate.
        assertThat(regionShare(outcome.slices(), "us-")).isEqualTo(2.0 / 3);
        for (String id : List.of("us-1", "us-3", "us-4")) {
            assertThat(SlicePlanner.share(outcome.slices().get(id))).isEqualTo(2.0 / 9);
            assertThat(outcome.slices().get(id)).isNotEqualTo(before.get(id));
        }
        assertExactPartition(outcome.slices().values(), layout.totalWeight());
        Reslice record = outcome.reslices().get(0);
        assertThat(record.getRegion()).isEqualTo("us-east1");
        assertThat(record.getRegionUnserved()).isFalse();
        // A sixth of 300/s for the second between its last report and the re-slice.
        assertThat(record.getUncoveredIntendedRequests()).isCloseTo(50, within(1e-6));
    }

    @Test
    void aRegionThatLosesEveryWorkerKeepsItsShareUnsentAndSaysSo() {
        RegionSlicer.Layout layout = layout("us-east1", 2, "europe-west1", 1);
        Map<String, Slice> before = RegionSlicer.plan(layout, SIX, Map.of(), layout.regions(), 7);
        List<Participant> usOnly =
                SIX.stream().filter(p -> p.region().equals("us-east1")).toList();

        Reslicer.Outcome outcome = Reslicer.reslice(
                1,
                usOnly,
                List.of(
                        Change.lost("eu-1", "europe-west1", 1.0 / 6, 2 * SECOND),
                        Change.lost("eu-2", "europe-west1", 1.0 / 6, 2 * SECOND)),
                77,
                2 * SECOND,
                true,
                PROFILE,
                7,
                layout,
                before);

        assertThat(outcome.noWorkerLeft()).isFalse();
        assertThat(outcome.reslices())
                .hasSize(2)
                .allSatisfy(r -> assertThat(r.getRegionUnserved()).isTrue());
        assertThat(Reslicer.describe(outcome.reslices().get(0)))
                .isEqualTo("worker eu-1 (europe-west1) lost; region europe-west1 has no worker left: its share is "
                        + "not sent");
        // us-east1 is unchanged: not given Europe's third, which would change what its latencies measure.
        for (Participant p : usOnly) {
            assertThat(outcome.slices().get(p.workerId())).isEqualTo(before.get(p.workerId()));
        }
        assertThat(regionShare(outcome.slices(), "us-")).isEqualTo(2.0 / 3);

        // A replacement in Europe takes the whole European share back.
        List<Participant> withReplacement = new ArrayList<>(usOnly);
        withReplacement.add(new Participant("eu-9", 1, "europe-west1"));
        Reslicer.Outcome rejoined = Reslicer.reslice(
                outcome.epoch(),
                withReplacement,
                List.of(Change.joined("eu-9", "europe-west1")),
                99,
                5 * SECOND,
                true,
                PROFILE,
                7,
                layout,
                outcome.slices());
        assertThat(SlicePlanner.share(rejoined.slices().get("eu-9"))).isEqualTo(1.0 / 3);
        assertThat(rejoined.reslices().get(0).getRegionUnserved()).isFalse();
        assertExactPartition(rejoined.slices().values(), layout.totalWeight());
    }

    @Test
    void aTakeoverReslicesEveryRegion() {
        RegionSlicer.Layout layout = layout("us-east1", 2, "europe-west1", 1);
        Map<String, Slice> before = RegionSlicer.plan(layout, SIX, Map.of(), layout.regions(), 7);
        Reslicer.Outcome outcome =
                Reslicer.reslice(3, SIX, List.of(Change.takeover()), 5, SECOND, true, PROFILE, 7, layout, before);
        for (Participant p : SIX) {
            assertThat(outcome.slices().get(p.workerId())).isNotEqualTo(before.get(p.workerId()));
            assertThat(SlicePlanner.share(outcome.slices().get(p.workerId())))
                    .isEqualTo(SlicePlanner.share(before.get(p.workerId())));
        }
    }

    /** Sum of the shares of the workers whose id starts with {@code prefix}. */
    private static double regionShare(Map<String, Slice> slices, String prefix) {
        long units = 0;
        long total = 0;
        for (Map.Entry<String, Slice> e : slices.entrySet()) {
            total = e.getValue().getTotalWeight();
            if (e.getKey().startsWith(prefix)) {
                units += e.getValue().getSegmentEnd() - e.getValue().getSegmentStart();
            }
        }
        return (double) units / total;
    }

    /** Over two periods of W: at most one owner per request, and as many owned as the slices' units. */
    private static void assertExactPartition(java.util.Collection<Slice> slices, long totalWeight) {
        Map<Long, Integer> owners = new HashMap<>();
        long units = 0;
        for (Slice s : slices) {
            assertThat(s.getTotalWeight()).isEqualTo(totalWeight);
            units += s.getSegmentEnd() - s.getSegmentStart();
        }
        // Sampled: W is ~2·10⁶; every 997th request of a period is enough to catch an overlap.
        long owned = 0;
        long sampled = 0;
        for (long k = 0; k < totalWeight; k += 997) {
            sampled++;
            int n = 0;
            for (Slice s : slices) {
                if (SlicePlanner.owns(s, k)) {
                    n++;
                }
            }
            assertThat(n).as("owners of request %d", k).isLessThanOrEqualTo(1);
            owned += n;
            owners.merge((long) n, 1, Integer::sum);
        }
        assertThat((double) owned / sampled).isCloseTo((double) units / totalWeight, within(0.01));
    }
}
