package io.salvo.worker.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.core.rate.RateProfile;
import io.salvo.proto.v1.Phase;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class ConstantSliceScheduleTest {

    private static final RateProfile RAMP_AND_STEPS = RateProfile.of(List.of(
            Phase.newBuilder()
                    .setDurationMillis(5_000)
                    .setStartRatePerSecond(0)
                    .setEndRatePerSecond(400)
                    .build(),
            Phase.newBuilder()
                    .setDurationMillis(6_000)
                    .setStartRatePerSecond(300)
                    .setEndRatePerSecond(100)
                    .setSteps(3)
                    .build()));

    private static List<Long> drain(ArrivalSchedule schedule) {
        List<Long> times = new ArrayList<>();
        for (long t = schedule.nextIntendedNanos(); t != ArrivalSchedule.END; t = schedule.nextIntendedNanos()) {
            times.add(t);
        }
        return times;
    }

    private static List<Long> globalGrid(RateProfile profile) {
        return drain(ConstantSliceSchedule.fromStart(profile, SliceSegment.whole()));
    }

    @Test
    void singleWorkerSendsTheEvenlySpacedGrid() {
        List<Long> times = globalGrid(RateProfile.constant(200, 3000));
        assertThat(times).hasSize(600);
        for (int k = 0; k < times.size(); k++) {
            assertThat(times.get(k)).isEqualTo(k * 5_000_000L);
        }
    }

    @Test
    void threeEqualSlicesUniteToTheGlobalGrid() {
        assertUnionIsGrid(RAMP_AND_STEPS, new long[] {0, 1, 2, 3});
        assertUnionIsGrid(RateProfile.constant(1000, 2000), new long[] {0, 1, 2, 3});
    }

    @Test
    void unequalSlicesOneTwoFiveUniteToTheGlobalGrid() {
        assertUnionIsGrid(RAMP_AND_STEPS, new long[] {0, 1, 3, 8});
        assertUnionIsGrid(RateProfile.constant(777, 3000), new long[] {0, 1, 3, 8});
    }

    @Test
    void anySegmentationPartitionsTheGlobalSequence() {
        // weights 2,1,2 and 3,5,7: segmentations the earlier floor-difference rule did not partition
        assertUnionIsGrid(RateProfile.constant(500, 2000), new long[] {0, 2, 3, 5}, 1.0);
        assertUnionIsGrid(RAMP_AND_STEPS, new long[] {0, 3, 8, 15}, 3.0);
    }

    @Test
    void strideMustBeCoprimeToTheTotalWeight() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new SliceSegment(0, 1, 6, 3))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(SliceSegment.goldenStride(8)).isEqualTo(5);
        assertThat(SliceSegment.goldenStride(3)).isEqualTo(2);
        assertThat(SliceSegment.of(io.salvo.proto.v1.Slice.newBuilder()
                                .setSegmentStart(1)
                                .setSegmentEnd(2)
                                .setTotalWeight(3)
                                .build())
                        .stride())
                .isEqualTo(2);
    }

    @Test
    void eachSliceStaysWithinOneOfItsShareAtEveryPrefix() {
        long[] boundaries = {0, 1, 3, 8};
        long total = 8;
        List<Long> grid = globalGrid(RAMP_AND_STEPS);
        for (int i = 0; i + 1 < boundaries.length; i++) {
            SliceSegment segment = new SliceSegment(boundaries[i], boundaries[i + 1], total);
            long owned = 0;
            for (long k = 0; k < grid.size(); k++) {
                if (segment.owns(k)) {
                    owned++;
                }
                double ideal = (k + 1) * segment.share();
                assertThat(Math.abs(owned - ideal))
                        .as("segment %s after %d requests", segment, k + 1)
                        .isLessThanOrEqualTo(1.0);
            }
        }
    }

    @Test
    void resliceContinuesAtTheGlobalIndexOfTheInstant() {
        RateProfile profile = RateProfile.constant(1000, 2000);
        List<Long> grid = globalGrid(profile);
        long switchAt = 700_000_000L;
        // three workers before the switch, two after; each switches at the same instant
        TreeSet<Long> union = new TreeSet<>();
        List<Long> all = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ArrivalSchedule schedule = ConstantSliceSchedule.fromStart(profile, new SliceSegment(i, i + 1, 3));
            for (long t = schedule.nextIntendedNanos(); t < switchAt; t = schedule.nextIntendedNanos()) {
                all.add(t);
            }
        }
        for (int i = 0; i < 2; i++) {
            all.addAll(drain(ConstantSliceSchedule.from(profile, new SliceSegment(i, i + 1, 2), switchAt)));
        }
        union.addAll(all);
        assertThat(all).hasSameSizeAs(union);
        assertThat(new ArrayList<>(union)).isEqualTo(grid);
    }

    private static void assertUnionIsGrid(RateProfile profile, long[] boundaries) {
        assertUnionIsGrid(profile, boundaries, 1.0);
    }

    /** {@code countTolerance}: exact per period of W; within a period the stride's discrepancy shows. */
    private static void assertUnionIsGrid(RateProfile profile, long[] boundaries, double countTolerance) {
        List<Long> grid = globalGrid(profile);
        long total = boundaries[boundaries.length - 1];
        List<Long> all = new ArrayList<>();
        for (int i = 0; i + 1 < boundaries.length; i++) {
            SliceSegment segment = new SliceSegment(boundaries[i], boundaries[i + 1], total);
            List<Long> mine = drain(ConstantSliceSchedule.fromStart(profile, segment));
            assertThat(mine).isSorted();
            assertThat((double) mine.size())
                    .as("count of %s", segment)
                    .isBetween(
                            grid.size() * segment.share() - countTolerance,
                            grid.size() * segment.share() + countTolerance);
            all.addAll(mine);
        }
        assertThat(new TreeSet<>(all)).hasSameSizeAs(all); // no duplicates
        all.sort(null);
        assertThat(all).isEqualTo(grid); // no gaps
    }
}
