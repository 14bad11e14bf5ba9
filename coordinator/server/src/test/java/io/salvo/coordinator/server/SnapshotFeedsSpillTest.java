package io.salvo.coordinator.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.stub.StreamObserver;
import io.salvo.coordinator.cluster.ClusterSettings;
import io.salvo.coordinator.cluster.CoordinatorCluster;
import io.salvo.coordinator.cluster.RunStore;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.RunState;
import io.salvo.testkit.Await;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A watcher that attaches after old snapshots were spilled to disk still gets the whole sequence, in order. */
class SnapshotFeedsSpillTest {

    private CoordinatorCluster cluster;

    @BeforeEach
    void start() {
        cluster = CoordinatorCluster.start(ClusterSettings.standalone(), null);
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void watchersAttachingBeforeAndAfterASpillGetEverySnapshotInOrder() {
        String run = "spilled-feed";
        RunStore store = cluster.runStore(run);
        for (long seq = 0; seq < 300; seq++) {
            store.publishSnapshot(seq, snapshot(seq, RunState.RUN_STATE_RUNNING));
        }
        SnapshotFeeds feeds = new SnapshotFeeds(cluster);
        Recorder early = new Recorder();
        feeds.watch(run, early);
        Await.until("the first watcher replayed", () -> early.indexes().size() == 300);

        assertThat(store.spill(Map.of())).isTrue();
        assertThat(cluster.snapshots(run).size()).isEqualTo(RunStore.SNAPSHOTS_KEPT);

        // A second feed (another coordinator's, or this one's after a restart) starts from map and disk.
        SnapshotFeeds later = new SnapshotFeeds(cluster);
        Recorder fromNewFeed = new Recorder();
        later.watch(run, fromNewFeed);
        // A watcher joining the existing feed is replayed from map and disk.
        Recorder joining = new Recorder();
        feeds.watch(run, joining);
        store.publishSnapshot(300, snapshot(300, RunState.RUN_STATE_COMPLETED));

        List<Long> all = LongStream.rangeClosed(0, 300).boxed().toList();
        for (Recorder watcher : List.of(early, fromNewFeed, joining)) {
            Await.until("every snapshot and the end", () -> watcher.completed);
            assertThat(watcher.indexes()).isEqualTo(all);
        }
    }

    private static LiveSnapshot snapshot(long seq, RunState state) {
        return LiveSnapshot.newBuilder().setIntervalIndex(seq).setState(state).build();
    }

    private static final class Recorder implements StreamObserver<LiveSnapshot> {
        final List<LiveSnapshot> received = new CopyOnWriteArrayList<>();
        volatile boolean completed;

        List<Long> indexes() {
            return received.stream().map(LiveSnapshot::getIntervalIndex).toList();
        }

        @Override
        public void onNext(LiveSnapshot value) {
            received.add(value);
        }

        @Override
        public void onError(Throwable t) {
            throw new AssertionError("watcher failed", t);
        }

        @Override
        public void onCompleted() {
            completed = true;
        }
    }
}
