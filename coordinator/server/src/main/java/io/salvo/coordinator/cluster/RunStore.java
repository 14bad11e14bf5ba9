package io.salvo.coordinator.cluster;

import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.RunResult;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;

/**
 * Where one run keeps what must outlive the coordinator leading it: its record, its result, its live
 * snapshots, and what other coordinators received for it. The coordinator cluster's replicated maps in
 * production; memory in tests of a run's logic.
 */
public interface RunStore {

    /** Replaces the run's record; written before the leader acts on any change. */
    void saveRecord(RunRecord record);

    /** Replaces the run's stored result. */
    void saveResult(RunResult result);

    /** Adds a live snapshot under the next sequence number. */
    void publishSnapshot(long sequence, LiveSnapshot snapshot);

    /** The live snapshots published so far (their encoded bytes), by sequence. */
    Map<Long, byte[]> snapshots();

    /** The stored interval reports (encoded), by key "interval/worker" with the interval zero-padded, in key order. */
    NavigableMap<String, byte[]> reports();

    /**
     * The run's compacted intervals ({@link CompactedInterval}, encoded) by interval index, in index order: each
     * stands for the raw reports of the workers it lists, which were removed from {@link #reports()}.
     */
    NavigableMap<Long, byte[]> compactedIntervals();

    /** The indexes of the compacted intervals still in the replicated maps (not spilled). */
    Set<Long> compactedIndexesInMaps();

    /** These compacted intervals (encoded) by index, in one call; those not compacted are absent. */
    Map<Long, byte[]> compactedIntervals(Set<Long> intervalIndexes);

    /** One compacted interval (encoded), or null when that interval was not compacted. */
    byte[] compactedInterval(long intervalIndex);

    /** Stores (or replaces) a compacted interval; written before the raw reports it covers are removed. */
    void saveCompacted(long intervalIndex, byte[] compacted);

    /** The run's {@link SealedCounts} (encoded), or null while no interval is sealed. */
    byte[] sealedCounts();

    /** Replaces the run's {@link SealedCounts}; written before the intervals it newly covers are sealed. */
    void saveSealedCounts(byte[] sealedCounts);

    /**
     * Moves these sealed entries (encoded, by interval index), and the live snapshots older than the last
     * {@link #SNAPSHOTS_KEPT}, out of the replicated maps onto every coordinator's disk; reads here still find them.
     * True once done; false (logged) when a coordinator could not take them, which leaves them where they were.
     */
    boolean spill(Map<Long, byte[]> sealedEntries);

    /** Live snapshots a spill leaves in the maps: the recent ones, which watchers are still being sent. */
    int SNAPSHOTS_KEPT = 64;

    /** Removes these raw reports (keys "interval/worker"); each is covered by a compacted interval stored before. */
    void removeReports(Set<String> keys);

    /** Each worker's terminal event (encoded), by worker id. */
    Map<String, byte[]> workerEvents();

    /** The reports each coordinator refused for this run. */
    List<RejectionTally> rejections();
}
