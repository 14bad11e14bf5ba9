package io.salvo.worker.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.core.rate.RateProfile;
import io.salvo.worker.schedule.ArrivalSchedule;
import io.salvo.worker.schedule.ConstantSliceSchedule;
import io.salvo.worker.schedule.PoissonSliceSchedule;
import io.salvo.worker.schedule.SliceSegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScheduleDealerTest {

    private static final long MS = 1_000_000L;

    /** 1000 req/s for 1 s: the worker's instants are k ms, k = 0..999. */
    private static ConstantSliceSchedule oneMillisecondApart() {
        return ConstantSliceSchedule.fromStart(RateProfile.constant(1000, 1000), SliceSegment.whole());
    }

    private static List<Long> drain(LongQueue queue) {
        List<Long> values = new ArrayList<>();
        while (!queue.isEmpty()) {
            values.add(queue.poll());
        }
        return values;
    }

    @Test
    void eachLaneGetsEveryLthInstantOfTheConstantSchedule() {
        ScheduleDealer dealer = new ScheduleDealer(oneMillisecondApart(), 3);
        LongQueue due = new LongQueue();
        for (int lane = 0; lane < 3; lane++) {
            assertThat(dealer.takeDue(lane, Long.MAX_VALUE - 1, due)).isEqualTo(ScheduleDealer.EXHAUSTED);
            List<Long> mine = drain(due);
            assertThat(mine).hasSize(lane == 0 ? 334 : 333);
            for (int i = 0; i < mine.size(); i++) {
                assertThat(mine.get(i)).isEqualTo((3L * i + lane) * MS);
            }
        }
    }

    @Test
    void takesOnlyWhatIsDueAndTellsTheNextInstant() {
        ScheduleDealer dealer = new ScheduleDealer(oneMillisecondApart(), 2);
        LongQueue due = new LongQueue();
        assertThat(dealer.takeDue(1, 0, due)).isEqualTo(1 * MS);
        assertThat(due.isEmpty()).isTrue();
        assertThat(dealer.takeDue(0, 4 * MS, due)).isEqualTo(6 * MS);
        assertThat(drain(due)).containsExactly(0L, 2 * MS, 4 * MS);
        assertThat(dealer.takeDue(1, 5 * MS, due)).isEqualTo(7 * MS);
        assertThat(drain(due)).containsExactly(1 * MS, 3 * MS, 5 * MS);
    }

    @Test
    void aResliceDropsDealtInstantsFromItsInstantAndContinuesWithTheNewSlice() {
        ScheduleDealer dealer = new ScheduleDealer(oneMillisecondApart(), 2);
        LongQueue due = new LongQueue();
        dealer.takeDue(0, 10 * MS, due); // deals 0..11 ms, lane 1 holds 1, 3, ..., 11 ms untaken
        drain(due);
        // from 5.5 ms on, this worker owns half of the requests (total weight 2, stride 1: even k)
        dealer.reslice(new SliceSegment(0, 1, 2, 1), 7, 5_500_000L);
        dealer.takeDue(1, 20 * MS, due);
        List<Long> lane1 = drain(due);
        assertThat(lane1).startsWith(1 * MS, 3 * MS, 5 * MS).doesNotContain(7 * MS, 9 * MS, 11 * MS);
        dealer.takeDue(0, 20 * MS, due);
        List<Long> all = new ArrayList<>(lane1);
        all.addAll(drain(due));
        all.sort(null);
        assertThat(all.stream().filter(t -> t > 10 * MS && t <= 20 * MS).toList())
                .containsExactly(12 * MS, 14 * MS, 16 * MS, 18 * MS, 20 * MS);
    }

    @Test
    void afterAStopNoLaneGetsAnything() {
        ScheduleDealer dealer = new ScheduleDealer(oneMillisecondApart(), 2);
        LongQueue due = new LongQueue();
        dealer.takeDue(0, 0, due);
        assertThat(drain(due)).containsExactly(0L);
        dealer.stop();
        assertThat(dealer.takeDue(1, Long.MAX_VALUE - 1, due)).isEqualTo(ScheduleDealer.EXHAUSTED);
        assertThat(due.isEmpty()).isTrue();
        dealer.reslice(SliceSegment.whole(), 1, 0);
        assertThat(dealer.takeDue(0, Long.MAX_VALUE - 1, due)).isEqualTo(ScheduleDealer.EXHAUSTED);
    }

    @Test
    void poissonLanesTogetherAreExactlyTheWorkersProcess() {
        RateProfile profile = RateProfile.constant(5000, 2000);
        PoissonSliceSchedule reference = PoissonSliceSchedule.fromStart(profile, SliceSegment.whole(), 42);
        List<Long> expected = new ArrayList<>();
        for (long t; (t = reference.nextIntendedNanos()) != ArrivalSchedule.END; ) {
            expected.add(t);
        }
        ScheduleDealer dealer =
                new ScheduleDealer(PoissonSliceSchedule.fromStart(profile, SliceSegment.whole(), 42), 4);
        LongQueue due = new LongQueue();
        List<Long> dealt = new ArrayList<>();
        for (long now = 0; now <= 2_007 * MS; now += 7 * MS) { // lanes take their instants in passes
            for (int lane = 0; lane < 4; lane++) {
                dealer.takeDue(lane, now, due);
                dealt.addAll(drain(due));
            }
        }
        dealt.sort(null);
        assertThat(dealt).isEqualTo(expected);
    }
}
