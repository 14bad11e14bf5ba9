package io.salvo.coordinator.run;

import io.salvo.coordinator.cluster.CompactedInterval;
import io.salvo.coordinator.cluster.CoordinatorCluster;
import io.salvo.coordinator.cluster.RunStore;
import io.salvo.coordinator.merge.IntervalMerger;
import io.salvo.coordinator.merge.IntervalMerger.RejectedReportException;
import io.salvo.proto.v1.MergedInterval;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.logging.Logger;

/**
 * Keeps a running run's replicated reports bounded: once an interval is older than the grace period plus a margin
 * (and was shown), the leader replaces its raw reports (~1 KB per worker) in the store by one
 * {@link CompactedInterval}: the interval's exact merge plus a digest per worker. A report that arrives for an
 * interval already compacted is merged as any late report, stored raw, and folded into the interval's entry at the
 * next pass.
 *
 * <p>Assumptions and guarantees:
 * <ul>
 *   <li>Every merge of the run goes through {@link #merge}, which records the report's digest under the same lock,
 *       so a compacted entry lists exactly the workers whose reports its merged data holds, each with the digest of
 *       the report merged.</li>
 *   <li>Order of writes: the entry first, then the removal of exactly the raw reports it newly covers. A leader that
 *       dies in between leaves raw copies of reports the entry holds; a restore reads entries first, so those copies
 *       count as already merged (exact either way).</li>
 *   <li>An interval is compacted only when no report was merged for it for {@link #QUIET_NANOS}: the leader stores
 *       what it merged in batches within ~50 ms, so the raw reports it removes are in the store by then. A raw copy
 *       written even later (a batch retried for seconds) stays in the store, harmless, until the run is archived.</li>
 *   <li>Nothing here runs on a transport thread: passes run on the coordinator's housekeeping executor, one at a
 *       time, and wait on the store.</li>
 * </ul>
 */
final class Compaction {

    private static final Logger LOG = Logger.getLogger(Compaction.class.getName());
    static final long QUIET_NANOS = 1_000_000_000L;

    private final String runId;
    private final IntervalMerger merger;
    private final RunStore store;
    private final long startUnixNanos;
    private final long intervalNanos;
    /** Grace plus margin: an interval is compacted this long after its end; negative when compaction is off. */
    private final long delayNanos;

    private final Object lock = new Object();
    /** Guarded by lock: digests of reports merged since their interval was last compacted, by interval. */
    private final TreeMap<Long, Fresh> fresh = new TreeMap<>();
    /** Guarded by lock: intervals that have an entry in the store. */
    private final BitSet compacted = new BitSet();

    private long compactedIntervals;
    private long removedReports;

    /**
     * @param marginNanos compaction happens this long after an interval's grace period ended; negative: never
     */
    Compaction(
            String runId,
            IntervalMerger merger,
            RunStore store,
            long startUnixNanos,
            long intervalNanos,
            long graceNanos,
            long marginNanos) {
        this.runId = runId;
        this.merger = merger;
        this.store = store;
        this.startUnixNanos = startUnixNanos;
        this.intervalNanos = intervalNanos;
        this.delayNanos = marginNanos < 0 ? -1 : graceNanos + marginNanos;
    }

    private static final class Fresh {
        final Map<String, CompactedInterval.WorkerCounts> reports = new HashMap<>();
        long lastMergedUnixNanos;
    }

    /** Merges a report and, when it is new, remembers its digest for the interval's next compaction. */
    IntervalMerger.Merged merge(IntervalMerger.Decoded decoded, long digest, long nowUnixNanos)
            throws RejectedReportException {
        synchronized (lock) {
            IntervalMerger.Merged merged = merger.mergeIfNew(decoded);
            if (merged != IntervalMerger.Merged.ALREADY_MERGED) {
                Fresh f = fresh.computeIfAbsent(decoded.report().getIntervalIndex(), i -> new Fresh());
                f.reports.put(
                        decoded.report().getWorkerId(),
                        new CompactedInterval.WorkerCounts(
                                digest,
                                decoded.report().getSent(),
                                decoded.report().getCompleted()));
                f.lastMergedUnixNanos = Math.max(f.lastMergedUnixNanos, nowUnixNanos);
            }
            return merged;
        }
    }

    /** Restores a compacted interval into the merger (before any raw report of the run is merged). */
    void restore(CompactedInterval entry) {
        synchronized (lock) {
            merger.restoreCompacted(entry.merged());
            long index = entry.intervalIndex();
            if (index >= 0 && index < Integer.MAX_VALUE) {
                compacted.set((int) index);
            }
        }
    }

    /** Intervals below this one may be compacted at {@code nowUnixNanos}. */
    private long cutoff(long nowUnixNanos) {
        if (delayNanos < 0 || nowUnixNanos < startUnixNanos + delayNanos) {
            return 0;
        }
        return Math.min(merger.shownBelow(), (nowUnixNanos - startUnixNanos - delayNanos) / intervalNanos);
    }

    /** Whether a pass would compact something now; cheap enough for every tick. */
    boolean due(long nowUnixNanos) {
        synchronized (lock) {
            // Any quiet interval below the cutoff: one that keeps receiving late reports must not hold up the rest.
            for (Fresh f : fresh.headMap(cutoff(nowUnixNanos), false).values()) {
                if (nowUnixNanos - f.lastMergedUnixNanos >= QUIET_NANOS) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Compacts every interval that is due; waits on the store. One pass at a time. */
    synchronized void compact(long nowUnixNanos) {
        long cutoff = cutoff(nowUnixNanos);
        List<Long> due;
        synchronized (lock) {
            due = new ArrayList<>(fresh.headMap(cutoff, false).keySet());
        }
        for (long index : due) {
            MergedInterval merged;
            Fresh f;
            boolean hadEntry;
            synchronized (lock) {
                f = fresh.get(index);
                if (f == null || nowUnixNanos - f.lastMergedUnixNanos < QUIET_NANOS) {
                    continue;
                }
                fresh.remove(index);
                merged = merger.mergedInterval(index);
                hadEntry = index < Integer.MAX_VALUE && compacted.get((int) index);
            }
            try {
                write(index, merged, f, hadEntry);
            } catch (RuntimeException e) {
                synchronized (lock) {
                    Fresh now = fresh.computeIfAbsent(index, i -> new Fresh());
                    now.reports.putAll(f.reports);
                    now.lastMergedUnixNanos = Math.max(now.lastMergedUnixNanos, f.lastMergedUnixNanos);
                }
                LOG.warning(() -> "run " + runId + ": compacting interval " + index + " failed (" + e
                        + "); its reports stay as they are until the next pass");
                return;
            }
        }
    }

    private void write(long index, MergedInterval merged, Fresh f, boolean hadEntry) {
        Map<String, CompactedInterval.WorkerCounts> reports = new HashMap<>(f.reports);
        if (hadEntry) {
            byte[] old = store.compactedInterval(index);
            if (old != null) {
                CompactedInterval.decode(old).countsByWorker().forEach(reports::putIfAbsent);
            }
        }
        List<String> workers = merged.getWorkerIdsList();
        long[] digests = new long[workers.size()];
        long[] sent = new long[workers.size()];
        long[] completed = new long[workers.size()];
        for (int i = 0; i < digests.length; i++) {
            CompactedInterval.WorkerCounts r = reports.get(workers.get(i));
            if (r == null) {
                throw new IllegalStateException("no digest for worker " + workers.get(i) + "'s report");
            }
            digests[i] = r.digest();
            sent[i] = r.sent();
            completed[i] = r.completed();
        }
        store.saveCompacted(index, new CompactedInterval(merged, digests, sent, completed).encode());
        synchronized (lock) {
            if (index < Integer.MAX_VALUE) {
                compacted.set((int) index);
            }
        }
        Set<String> keys = new HashSet<>();
        for (String worker : f.reports.keySet()) {
            keys.add(CoordinatorCluster.reportKey(index, worker));
        }
        store.removeReports(keys);
        compactedIntervals++;
        removedReports += keys.size();
    }

    /** Compaction passes' totals, for logs and tests: intervals written, raw reports removed. */
    synchronized long[] totals() {
        return new long[] {compactedIntervals, removedReports};
    }
}
