package io.salvo.coordinator.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.testkit.Await;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Reports the leader merged reach their run's map, in batches, each exactly as queued. */
class ReportBatcherTest {

    private CoordinatorCluster cluster;
    private ScheduledExecutorService scheduler;

    @BeforeEach
    void start() {
        cluster = CoordinatorCluster.start(ClusterSettings.standalone(), null);
        scheduler = Executors.newScheduledThreadPool(2);
    }

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
        cluster.close();
    }

    @Test
    void everyQueuedReportIsStoredAsQueuedAndAnswersAsPendingUntilThen() throws Exception {
        ReportBatcher batcher = new ReportBatcher(cluster, scheduler);
        int perRun = 1500;
        for (int i = 0; i < perRun; i++) {
            for (String run : List.of("r1", "r2")) {
                String key = ReportKey.of(i / 100, "w" + (i % 100));
                batcher.store(run, key, bytes(run, key));
                // Readable for a duplicate check at once, whether or not the cluster has it yet.
                byte[] pending = batcher.pending(run, key);
                assertThat(pending == null ? cluster.reports(run).get(key) : pending)
                        .isEqualTo(bytes(run, key));
            }
        }
        Await.until("every queued report acknowledged", () -> batcher.unacknowledged() == 0);
        for (String run : List.of("r1", "r2")) {
            var map = cluster.reports(run);
            assertThat(map.size()).isEqualTo(perRun);
            for (int i = 0; i < perRun; i++) {
                String key = ReportKey.of(i / 100, "w" + (i % 100));
                assertThat(map.get(key)).isEqualTo(bytes(run, key));
                assertThat(batcher.pending(run, key)).isNull();
            }
        }
    }

    private static byte[] bytes(String run, String key) {
        return (run + "|" + key).getBytes(StandardCharsets.UTF_8);
    }
}
