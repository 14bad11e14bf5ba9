package io.salvo.coordinator.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.proto.v1.RegionShare;
import io.salvo.proto.v1.RunPlan;
import io.salvo.testkit.FakeClock;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which idle workers a plan with regions takes, and what it says when a region is short. */
class RegionPickTest {

    private final FakeClock clock = new FakeClock();

    private FakeChannel worker(String id, String region) {
        return new FakeChannel(id, region, clock);
    }

    private static RunPlan plan(int workers, RegionShare... regions) {
        return RunPlan.newBuilder()
                .setWorkerCount(workers)
                .addAllRegions(List.of(regions))
                .build();
    }

    private static RegionShare region(String name, int workers) {
        return RegionShare.newBuilder()
                .setRegion(name)
                .setWeight(1)
                .setWorkers(workers)
                .build();
    }

    private final List<FakeChannel> idle = List.of(
            worker("eu-1", "europe-west1"),
            worker("eu-2", "europe-west1"),
            worker("other-1", "asia-east1"),
            worker("us-1", "us-east1"),
            worker("us-2", "us-east1"),
            worker("us-3", "us-east1"));

    @Test
    void fixedCountsFirstThenTheRestRoundRobinOverTheOtherRegions() {
        RegionPick.Outcome pick = RegionPick.choose(plan(4, region("us-east1", 0), region("europe-west1", 0)), idle);
        assertThat(pick.enough()).isTrue();
        // Round-robin: us-1, eu-1, us-2, eu-2; never a worker of another region.
        assertThat(pick.chosen()).extracting(WorkerChannel::workerId).containsExactly("eu-1", "eu-2", "us-1", "us-2");

        RegionPick.Outcome fixed = RegionPick.choose(plan(4, region("us-east1", 3), region("europe-west1", 0)), idle);
        assertThat(fixed.chosen()).extracting(WorkerChannel::workerId).containsExactly("eu-1", "us-1", "us-2", "us-3");
    }

    @Test
    void aRegionWithoutWorkersIsNamedWithWhatIsIdle() {
        RegionPick.Outcome pick = RegionPick.choose(plan(2, region("us-east1", 0), region("us-west2", 0)), idle);
        assertThat(pick.enough()).isFalse();
        assertThat(pick.shortfall()).isEqualTo("regions without enough idle workers: us-west2 has 0 of 1");
        assertThat(RegionPick.idleByRegion(idle)).isEqualTo("asia-east1 1, europe-west1 2, us-east1 3");

        RegionPick.Outcome tooFew = RegionPick.choose(plan(6, region("us-east1", 0), region("europe-west1", 0)), idle);
        assertThat(tooFew.shortfall())
                .isEqualTo("only 5 idle workers in the regions without a fixed worker count, 6 wanted");
    }
}
