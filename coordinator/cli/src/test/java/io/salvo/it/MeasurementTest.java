package io.salvo.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.RunState;
import io.salvo.report.RunReport;
import io.salvo.target.ControllableTarget;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Latency semantics end to end: workers, coordinator and a controllable target on loopback. */
class MeasurementTest {

    private ControllableTarget target;

    @BeforeEach
    void startTarget() {
        target = ControllableTarget.start(0);
    }

    @AfterEach
    void stopTarget() {
        target.close();
    }

    @Test
    void twentyMillisecondTargetGivesMergedMedianBetween20And22() throws Exception {
        target.setDelay(Duration.ofMillis(20));
        try (InJvmCluster cluster = new InJvmCluster(2)) {
            RunResult result = cluster.run(Plans.parse(Plans.yaml(target.port(), 100, "5s", 2, "")));
            RunReport report = RunReport.from(result);
            assertThat(result.getState()).isEqualTo(RunState.RUN_STATE_COMPLETED);
            assertThat(report.totals().requests()).isEqualTo(500);
            assertThat(report.totals().successes()).isEqualTo(500);
            assertThat(report.totals().latency().p50()).isBetween(20.0, 22.0);
            assertThat(report.totals().serviceTime().p50()).isBetween(20.0, 22.0);
            assertThat(cluster.snapshots).isNotEmpty();
        }
    }

    /**
     * wrk2's classic demonstration: 100 req/s for 10 s, the server stalls once for 1 s. Requests due
     * during the stall wait for it, so measured from their intended start the p99 is at least 500 ms,
     * while the service time of most requests stays at the normal delay.
     */
    @Test
    void aOneSecondStallShowsInLatencyButNotInServiceTime() throws Exception {
        target.setDelay(Duration.ofMillis(2));
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try (InJvmCluster cluster = new InJvmCluster(1)) {
            ScheduledFuture<?> stall =
                    timer.schedule(() -> target.stallFor(Duration.ofSeconds(1)), 5500, TimeUnit.MILLISECONDS);
            // with maxConnections 1 the stall blocks the single connection: requests queue behind it
            // exactly as on wrk2's fixed connections
            RunResult result = cluster.run(
                    Plans.parse(Plans.yaml(target.port(), 100, "10s", 1, "maxConnections: 1\nmaxInFlight: 1")));
            stall.get(1, TimeUnit.SECONDS); // the stall happened during the run, and did not fail
            RunReport report = RunReport.from(result);
            assertThat(report.totals().requests()).isEqualTo(1000);
            assertThat(report.totals().latency().p99()).isGreaterThanOrEqualTo(500.0);
            // the target's 2 ms timer may fire a little early; "near" the normal delay is what matters
            assertThat(report.totals().serviceTime().p50()).isBetween(1.5, 6.0);
        } finally {
            timer.shutdownNow();
        }
    }
}
