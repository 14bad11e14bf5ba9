package io.salvo.coordinator.slicing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.salvo.coordinator.slicing.Reslicer.Change;
import io.salvo.coordinator.slicing.SlicePlanner.Participant;
import io.salvo.core.rate.RateProfile;
import io.salvo.proto.v1.Reslice;
import io.salvo.proto.v1.ResliceCause;
import io.salvo.proto.v1.Slice;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReslicerTest {

    private static final long SECOND = 1_000_000_000L;
    /** 100 requests per second for 10 s. */
    private static final RateProfile PROFILE = RateProfile.constant(100, 10_000);

    @Test
    void lossesInOneTickCostOneEpochAndTheSurvivorsShareTheWholeRate() {
        List<Participant> survivors = List.of(new Participant("w-c", 1), new Participant("w-a", 2));
        Reslicer.Outcome outcome = Reslicer.reslice(
                4,
                survivors,
                List.of(Change.lost("w-b", 0.25, 2 * SECOND), Change.lost("w-d", 0.25, 3 * SECOND)),
                77,
                4 * SECOND,
                true,
                PROFILE,
                9);

        assertThat(outcome.reassigned()).isTrue();
        assertThat(outcome.epoch()).isEqualTo(5);
        assertThat(outcome.reslices()).hasSize(2).allSatisfy(r -> {
            assertThat(r.getEpoch()).isEqualTo(5);
            assertThat(r.getAtUnixNanos()).isEqualTo(77);
            assertThat(r.getCause()).isEqualTo(ResliceCause.RESLICE_CAUSE_WORKER_LOST);
            assertThat(r.getWorkerIdsList()).containsExactly("w-a", "w-c"); // sorted: reproducible plans
        });
        // A quarter of 100/s went unsent from where each one's reports end until the re-slice at 4 s.
        assertThat(outcome.reslices())
                .extracting(Reslice::getUncoveredIntendedRequests)
                .containsExactly(50.0, 25.0);
        Slice a = outcome.slices().get("w-a");
        Slice c = outcome.slices().get("w-c");
        assertThat(a.getTotalWeight()).isEqualTo(3);
        assertThat(a.getSegmentEnd() - a.getSegmentStart()).isEqualTo(2);
        assertThat(c.getSegmentEnd() - c.getSegmentStart()).isEqualTo(1);
        assertThat(outcome.slices())
                .isEqualTo(SlicePlanner.plan(List.of(new Participant("w-a", 2), new Participant("w-c", 1)), 9 + 5));
    }

    @Test
    void withoutLoadToComeLossesAreRecordedAndLateJoinersFinish() {
        Reslicer.Outcome outcome = Reslicer.reslice(
                2,
                List.of(new Participant("w-a", 1), new Participant("w-j", 1)),
                List.of(Change.lost("w-b", 0.5, 9 * SECOND), Change.joined("w-j")),
                5,
                12 * SECOND,
                false,
                PROFILE,
                1);

        assertThat(outcome.reassigned()).isFalse();
        assertThat(outcome.epoch()).isEqualTo(2);
        assertThat(outcome.joinedTooLate()).containsExactly("w-j");
        assertThat(outcome.noWorkerLeft()).isFalse();
        assertThat(outcome.reslices()).singleElement().satisfies(r -> {
            assertThat(r.getEpoch()).isEqualTo(2);
            assertThat(r.getWorkerIdsList()).isEmpty();
            // Half of the 100 requests of the profile's last second (it ends at 10 s, before "now").
            assertThat(r.getUncoveredIntendedRequests()).isCloseTo(50.0, within(1e-9));
        });
    }

    @Test
    void whenNobodyIsLeftTheLossIsRecordedAndSaidSo() {
        Reslicer.Outcome outcome =
                Reslicer.reslice(3, List.of(), List.of(Change.lost("w-a", 1, SECOND)), 5, 2 * SECOND, true, PROFILE, 1);
        assertThat(outcome.reassigned()).isFalse();
        assertThat(outcome.noWorkerLeft()).isTrue();
        assertThat(outcome.reslices())
                .singleElement()
                .satisfies(r -> assertThat(r.getEpoch()).isEqualTo(3));
    }

    @Test
    void aTakeoverReassignsEveryoneUnderANewEpochAndNamesNoWorker() {
        Reslicer.Outcome outcome = Reslicer.reslice(
                6,
                List.of(new Participant("w-a", 1), new Participant("w-b", 1)),
                List.of(Change.takeover()),
                5,
                2 * SECOND,
                true,
                PROFILE,
                1);
        assertThat(outcome.epoch()).isEqualTo(7);
        assertThat(outcome.slices()).containsOnlyKeys("w-a", "w-b");
        assertThat(outcome.reslices()).singleElement().satisfies(r -> {
            assertThat(r.getCause()).isEqualTo(ResliceCause.RESLICE_CAUSE_TAKEOVER);
            assertThat(r.getWorkerId()).isEmpty();
            assertThat(r.getUncoveredIntendedRequests()).isZero();
            assertThat(Reslicer.describe(r)).isEqualTo("takeover");
        });
    }

    @Test
    void nothingPendingChangesNothing() {
        Reslicer.Outcome outcome =
                Reslicer.reslice(1, List.of(new Participant("w-a", 1)), List.of(), 5, SECOND, true, PROFILE, 1);
        assertThat(outcome.reassigned()).isFalse();
        assertThat(outcome.reslices()).isEmpty();
        assertThat(outcome.noWorkerLeft()).isFalse();
    }
}
