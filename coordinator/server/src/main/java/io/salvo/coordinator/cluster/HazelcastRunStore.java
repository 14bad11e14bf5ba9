package io.salvo.coordinator.cluster;

import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicates;
import io.salvo.core.result.ReportedBy;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.RunResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

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
        // The maps first, then the disk: a snapshot spilled in between was on this member's disk before it left them.
        Map<Long, byte[]> all = new TreeMap<>(cluster.snapshots(runId));
        cluster.spill().snapshots(runId).forEach(all::putIfAbsent);
        return all;
    }

    @Override
    public NavigableMap<String, byte[]> reports() {
        return new TreeMap<>(cluster.reports(runId));
    }

    @Override
    public NavigableMap<Long, byte[]> compactedIntervals() {
        NavigableMap<Long, byte[]> all = new TreeMap<>(cluster.compacted(runId)).tailMap(0L, true);
        cluster.spill().entries(runId).forEach((index, spilled) -> all.merge(index, spilled, HazelcastRunStore::newer));
        return all;
    }

    /**
     * Of an entry in the maps and one on disk for the same interval, the one whose merge holds more reports (a late
     * report folded in adds one; ties keep the map's). The map's is the newer one, except after a healed partition
     * brought back, put-if-absent, an older form of an entry the surviving side had spilled.
     */
    private static byte[] newer(byte[] inMap, byte[] spilled) {
        try {
            return ReportedBy.count(CompactedInterval.decode(spilled).merged())
                            > ReportedBy.count(CompactedInterval.decode(inMap).merged())
                    ? spilled
                    : inMap;
        } catch (RuntimeException e) {
            return inMap;
        }
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
        Map<Long, byte[]> found = new TreeMap<>(cluster.compacted(runId).getAll(intervalIndexes));
        if (found.size() < intervalIndexes.size()) {
            Set<Long> missing = new TreeSet<>(intervalIndexes);
            missing.removeAll(found.keySet());
            cluster.spill().entries(runId, missing).forEach(found::putIfAbsent);
        }
        return found;
    }

    @Override
    public Set<Long> compactedIndexesInMaps() {
        Set<Long> indexes = new TreeSet<>(cluster.compacted(runId).keySet());
        indexes.removeIf(index -> index < 0);
        return indexes;
    }

    @Override
    public byte[] compactedInterval(long intervalIndex) {
        // The map holds the newest form: an entry is removed from it only after it was spilled, and written back
        // (a late report folded in) before it is spilled again.
        byte[] entry = cluster.compacted(runId).get(intervalIndex);
        return entry != null ? entry : cluster.spill().entry(runId, intervalIndex);
    }

    @Override
    public boolean spill(Map<Long, byte[]> sealedEntries) {
        IMap<Long, byte[]> snapshotMap = cluster.snapshots(runId);
        TreeSet<Long> sequences = new TreeSet<>(snapshotMap.keySet());
        long newest = sequences.isEmpty() ? -1 : sequences.last();
        sequences.removeIf(seq -> seq > newest - SNAPSHOTS_KEPT);
        if (sealedEntries.isEmpty() && sequences.isEmpty()) {
            return true;
        }
        Map<Long, byte[]> snapshots = sequences.isEmpty() ? Map.of() : snapshotMap.getAll(sequences);
        if (!cluster.spill().spill(runId, sealedEntries, snapshots)) {
            return false;
        }
        IMap<Long, byte[]> compacted = cluster.compacted(runId);
        // Only the form spilled: an entry written again since (another coordinator's fold) stays until spilled too.
        sealedEntries.forEach(compacted::remove);
        removeKeys(snapshotMap, snapshots.keySet());
        return true;
    }

    private static void removeKeys(IMap<Long, byte[]> map, Set<Long> keys) {
        if (!keys.isEmpty()) {
            map.removeAll(Predicates.in("__key", keys.toArray(new Long[0])));
        }
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
