package io.salvo.coordinator.run;

import io.salvo.coordinator.cluster.RejectionTally;
import io.salvo.coordinator.cluster.RunRecord;
import io.salvo.coordinator.cluster.RunStore;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.RunResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A run's store in memory, for tests of a run's logic without a coordinator cluster. */
final class InMemoryRunStore implements RunStore {

    volatile RunRecord record;
    volatile RunResult result;
    final List<RunRecord> recordWrites = new CopyOnWriteArrayList<>();
    final NavigableMap<Long, LiveSnapshot> snapshots = new ConcurrentSkipListMap<>();
    final NavigableMap<String, byte[]> reports = new ConcurrentSkipListMap<>();
    final NavigableMap<Long, byte[]> compacted = new ConcurrentSkipListMap<>();
    /** Sealed entries and snapshots moved out of the maps by {@link #spill}: the coordinators' disks. */
    final NavigableMap<Long, byte[]> spilledEntries = new ConcurrentSkipListMap<>();

    final NavigableMap<Long, LiveSnapshot> spilledSnapshots = new ConcurrentSkipListMap<>();
    /** While set, spilling fails, as it does while a coordinator cannot take a batch. */
    volatile boolean spillFails;

    volatile int spills;
    final Map<String, byte[]> events = new ConcurrentHashMap<>();
    final List<RejectionTally> rejections = new CopyOnWriteArrayList<>();
    /** While set, reading compacted intervals by index fails, as a replicated map does while its owner is lost. */
    volatile boolean compactedReadsFail;
    /** Runs at the start of each read of one compacted interval, for what happens while a read is under way. */
    volatile Runnable beforeCompactedRead = () -> {};

    @Override
    public void saveRecord(RunRecord r) {
        record = r;
        recordWrites.add(r);
    }

    @Override
    public void saveResult(RunResult r) {
        result = r;
    }

    @Override
    public void publishSnapshot(long sequence, LiveSnapshot snapshot) {
        if (spilledSnapshots.containsKey(sequence) || snapshots.putIfAbsent(sequence, snapshot) != null) {
            throw new AssertionError("snapshot sequence " + sequence + " published twice");
        }
    }

    @Override
    public Map<Long, byte[]> snapshots() {
        Map<Long, byte[]> bytes = new TreeMap<>();
        snapshots.forEach((seq, s) -> bytes.put(seq, s.toByteArray()));
        spilledSnapshots.forEach((seq, s) -> bytes.putIfAbsent(seq, s.toByteArray()));
        return bytes;
    }

    @Override
    public NavigableMap<String, byte[]> reports() {
        return new TreeMap<>(reports);
    }

    volatile byte[] sealedCounts;

    @Override
    public byte[] sealedCounts() {
        return sealedCounts;
    }

    @Override
    public void saveSealedCounts(byte[] bytes) {
        sealedCounts = bytes;
    }

    @Override
    public NavigableMap<Long, byte[]> compactedIntervals() {
        NavigableMap<Long, byte[]> all = new TreeMap<>(compacted);
        spilledEntries.forEach(all::putIfAbsent);
        return all;
    }

    @Override
    public Set<Long> compactedIndexesInMaps() {
        return Set.copyOf(compacted.keySet());
    }

    @Override
    public Map<Long, byte[]> compactedIntervals(Set<Long> intervalIndexes) {
        failIfUnavailable();
        Map<Long, byte[]> found = new TreeMap<>(compacted);
        spilledEntries.forEach(found::putIfAbsent);
        found.keySet().retainAll(intervalIndexes);
        return found;
    }

    @Override
    public byte[] compactedInterval(long intervalIndex) {
        beforeCompactedRead.run();
        failIfUnavailable();
        byte[] entry = compacted.get(intervalIndex);
        return entry != null ? entry : spilledEntries.get(intervalIndex);
    }

    @Override
    public boolean spill(Map<Long, byte[]> sealedEntries) {
        if (spillFails) {
            return false;
        }
        spills++;
        spilledEntries.putAll(sealedEntries);
        sealedEntries.keySet().forEach(compacted::remove);
        if (!snapshots.isEmpty()) {
            long newest = snapshots.lastKey();
            var old = snapshots.headMap(newest - SNAPSHOTS_KEPT, true);
            spilledSnapshots.putAll(old);
            old.clear();
        }
        return true;
    }

    private void failIfUnavailable() {
        if (compactedReadsFail) {
            throw new IllegalStateException("compacted intervals unavailable (test)");
        }
    }

    @Override
    public void saveCompacted(long intervalIndex, byte[] entry) {
        compacted.put(intervalIndex, entry);
    }

    @Override
    public void removeReports(Set<String> keys) {
        keys.forEach(reports::remove);
    }

    @Override
    public Map<String, byte[]> workerEvents() {
        return Map.copyOf(events);
    }

    @Override
    public List<RejectionTally> rejections() {
        return new ArrayList<>(rejections);
    }

    /** The live snapshots published so far, in sequence order. */
    List<LiveSnapshot> published() {
        NavigableMap<Long, LiveSnapshot> all = new TreeMap<>(spilledSnapshots);
        all.putAll(snapshots);
        return List.copyOf(all.values());
    }
}
