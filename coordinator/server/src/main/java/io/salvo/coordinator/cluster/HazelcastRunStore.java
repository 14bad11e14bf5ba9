package io.salvo.coordinator.cluster;

import com.hazelcast.query.Predicates;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.RunResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/** One run's state in the coordinator cluster's replicated maps (see {@link CoordinatorCluster} for the layout). */
final class HazelcastRunStore implements RunStore {

    private final CoordinatorCluster cluster;
    private final String runId;

    HazelcastRunStore(CoordinatorCluster cluster, String runId) {
        this.cluster = cluster;
        this.runId = runId;
    }

    @Override
    public void saveRecord(RunRecord record) {
        cluster.runs().set(runId, record.encode());
    }

    @Override
    public void saveResult(RunResult result) {
        cluster.results().set(runId, result.toByteArray());
    }

    @Override
    public void publishSnapshot(long sequence, LiveSnapshot snapshot) {
        cluster.snapshots(runId).set(sequence, snapshot.toByteArray());
    }

    @Override
    public Map<Long, byte[]> snapshots() {
        return Map.copyOf(cluster.snapshots(runId));
    }

    @Override
    public NavigableMap<String, byte[]> reports() {
        return new TreeMap<>(cluster.reports(runId));
    }

    @Override
    public NavigableMap<Long, byte[]> compactedIntervals() {
        return new TreeMap<>(cluster.compacted(runId)).tailMap(0L, true);
    }

    @Override
    public byte[] sealedCounts() {
        return cluster.compacted(runId).get(CoordinatorCluster.SEALED_COUNTS_KEY);
    }

    @Override
    public void saveSealedCounts(byte[] sealedCounts) {
        cluster.compacted(runId).set(CoordinatorCluster.SEALED_COUNTS_KEY, sealedCounts);
    }

    @Override
    public Map<Long, byte[]> compactedIntervals(Set<Long> intervalIndexes) {
        return cluster.compacted(runId).getAll(intervalIndexes);
    }

    @Override
    public byte[] compactedInterval(long intervalIndex) {
        return cluster.compacted(runId).get(intervalIndex);
    }

    @Override
    public void saveCompacted(long intervalIndex, byte[] compacted) {
        cluster.compacted(runId).set(intervalIndex, compacted);
    }

    @Override
    public void removeReports(Set<String> keys) {
        if (!keys.isEmpty()) {
            // One operation per member for all the keys (a key predicate), not one round trip per key.
            cluster.reports(runId).removeAll(Predicates.in("__key", keys.toArray(new String[0])));
        }
    }

    @Override
    public Map<String, byte[]> workerEvents() {
        return Map.copyOf(cluster.workerEvents(runId));
    }

    @Override
    public List<RejectionTally> rejections() {
        List<RejectionTally> tallies = new ArrayList<>();
        for (byte[] tally : cluster.rejections(runId).values()) {
            tallies.add(RejectionTally.decode(tally));
        }
        return tallies;
    }
}
