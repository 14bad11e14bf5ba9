package io.salvo.coordinator.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.coordinator.slicing.RegionSlicer;
import io.salvo.coordinator.slicing.SlicePlanner;
import io.salvo.proto.v1.Assignment;
import io.salvo.proto.v1.RegionShare;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.Slice;
import io.salvo.testkit.FakeClock;
import io.salvo.testkit.TestPlans;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A run with regions on fake time: a worker lost in one region is replaced by its own region's survivors, and the
 * other region's workers are not sent anything; a region that loses its last worker is left unserved, said so.
 */
class RunRegionsTest {

    private final FakeClock clock = new FakeClock();
    private final InMemoryRunStore store = new InMemoryRunStore();
    private final FakeChannel us1 = new FakeChannel("us-1", "us-east1", clock);
    private final FakeChannel us2 = new FakeChannel("us-2", "us-east1", clock);
    private final FakeChannel eu1 = new FakeChannel("eu-1", "europe-west1", clock);

    private Run start() {
        RunPlan plan = TestPlans.constantRate(300, 10_000, 3)
                .addRegions(RegionShare.newBuilder().setRegion("us-east1").setWeight(2))
                .addRegions(RegionShare.newBuilder().setRegion("europe-west1").setWeight(1))
                .build();
        long start = clock.unixNanos() + Duration.ofSeconds(1).toNanos();
        Run run = Run.create(
                new RunSpec(
                        "run-r",
                        plan,
                        7,
                        start,
                        Duration.ofMillis(1500).toNanos(),
                        Duration.ofSeconds(3).toNanos(),
                        Duration.ofSeconds(10).toNanos()),
                clock::unixNanos,
                store,
                "coordinator-t");
        RegionSlicer.Layout layout = RegionSlicer.Layout.of(plan.getRegionsList());
        List<SlicePlanner.Participant> participants = List.of(
                new SlicePlanner.Participant("us-1", 1, "us-east1"),
                new SlicePlanner.Participant("us-2", 1, "us-east1"),
                new SlicePlanner.Participant("eu-1", 1, "europe-west1"));
        Map<String, Slice> slices = RegionSlicer.plan(layout, participants, Map.of(), layout.regions(), 7);
        for (FakeChannel w : List.of(us1, us2, eu1)) {
            run.assign(w, slices.get(w.workerId()));
        }
        run.persist();
        run.sendAssignments();
        run.driveOn(clock);
        ScheduledFuture<?> unusedTicks =
                clock.scheduleAtFixedRate(() -> run.tick(clock.unixNanos()), 50, 50, TimeUnit.MILLISECONDS);
        ScheduledFuture<?> unusedHeartbeats = clock.scheduleAtFixedRate(
                () -> List.of(us1, us2, eu1).forEach(FakeChannel::heard), 1, 1, TimeUnit.SECONDS);
        return run;
    }

    private static double share(Assignment a) {
        return SlicePlanner.share(a.getSlice());
    }

    @Test
    void aLossIsCoveredWithinItsRegionAndTheOtherRegionIsLeftAlone() {
        Run run = start();
        clock.forward(Duration.ofSeconds(3));
        assertThat(us2.assignments()).hasSize(1);
        assertThat(eu1.assignments()).hasSize(1);

        us1.close();
        run.onStreamClosed(us1);
        clock.forward(Duration.ofMillis(100));

        // us-2 now carries all of us-east1's two thirds, under the next epoch.
        assertThat(us2.assignments()).hasSize(2);
        assertThat(us2.assignments().get(1).getEpoch()).isEqualTo(2);
        assertThat(share(us2.assignments().get(1))).isEqualTo(2.0 / 3);
        // europe-west1 keeps its slice and is told nothing.
        assertThat(eu1.assignments()).hasSize(1);
        assertThat(run.result().getReslicesList()).singleElement().satisfies(r -> {
            assertThat(r.getRegion()).isEqualTo("us-east1");
            assertThat(r.getRegionUnserved()).isFalse();
        });
    }

    @Test
    void aRegionThatLosesItsLastWorkerIsUnservedAndTheOthersKeepTheirShare() {
        Run run = start();
        clock.forward(Duration.ofSeconds(3));

        eu1.close();
        run.onStreamClosed(eu1);
        clock.forward(Duration.ofMillis(100));

        // Nobody is given Europe's third: us-east1's workers are not even sent a new assignment.
        assertThat(us1.assignments()).hasSize(1);
        assertThat(us2.assignments()).hasSize(1);
        assertThat(run.result().getReslicesList()).singleElement().satisfies(r -> {
            assertThat(r.getRegion()).isEqualTo("europe-west1");
            assertThat(r.getRegionUnserved()).isTrue();
        });
        assertThat(run.result().getMessage())
                .contains("region europe-west1 has no worker left after worker eu-1 (europe-west1) lost: its share "
                        + "of the rate is not sent until a worker of the region joins");
    }
}
