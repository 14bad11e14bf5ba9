package io.salvo.coordinator.run;

import io.salvo.coordinator.cluster.CompactedInterval;
import io.salvo.coordinator.cluster.ReportKey;
import io.salvo.coordinator.cluster.RunStore;
import io.salvo.coordinator.cluster.SealedCounts;
import io.salvo.coordinator.merge.IntervalMerger;
import io.salvo.coordinator.merge.IntervalMerger.RejectedReportException;
import io.salvo.core.link.ReportResend;
import io.salvo.core.result.ReportedBy;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.MergedInterval;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.logging.Logger;

/**
 * Keeps a running run's replicated state flat: once an interval is older than the grace period plus a margin (and
 * was shown), the leader replaces its raw reports (~1 KB per worker) in the store by one recent
 * {@link CompactedInterval}: the interval's exact merge plus a digest and counts per worker. Once it is also past
 * every worker's re-send horizon ({@link #SEAL_AFTER_NANOS}, {@link #SEAL_AFTER_INTERVALS}), the entry is sealed:
 * the merge alone, its per-worker counts added to the run's one {@link SealedCounts} entry. What the store holds
 * per worker and interval then drops from ~25 bytes (twice, with the backup) to one bit. A report that arrives for
 * an interval already compacted or sealed is merged as any late report, stored raw, and folded into the interval's
 * entry at the next pass. A sealed interval is handed to the store for good: the merger keeps one bit of it once it is
 * shown, and reads it back for a late report or a result ({@link IntervalMerger#keptInStore}). Sealed entries, and old
 * live snapshots, then leave the replicated maps for every coordinator's disk at the end of the pass
 * ({@link RunStore#spill}); the store still reads them.
 *
 * <p>Assumptions and guarantees:
 * <ul>
 *   <li>Every merge of the run goes through {@link #merge}, which records the report's digest under the same lock,
 *       so a compacted entry lists exactly the workers whose reports its merged data holds, each with the digest of
 *       the report merged.</li>
 *   <li>Order of writes: the entry first, then the removal of exactly the raw reports it newly covers. A leader that
 *       dies in between leaves raw copies of reports the entry holds; a restore reads entries first, so those copies
 *       count as already merged (exact either way).</li>
 *   <li>Sealing writes the sealed counts first (now covering the intervals to seal), then the sealed entries. A
 *       leader that dies in between leaves recent entries below the sealed counts' bound: a restore takes their
 *       merge but not their counts (the sealed counts have them), and the next leader seals them. Folding a late
 *       report into a sealed interval writes the entry, then the counts: a leader dying in between loses that
 *       report from its worker's per-worker counts (never from the merge, which stays exact).</li>
 *   <li>An interval is compacted only when no report was merged for it for {@link #QUIET_NANOS}: the leader stores
 *       what it merged in batches within ~50 ms, so the raw reports it removes are in the store by then. A raw copy
 *       written even later (a batch retried for seconds, or a worker's re-send stored by a coordinator not leading
 *       the run) reaches the leader through the store's listener as already merged, and is removed at the next
 *       pass ({@link #alreadyMergedCopy}).</li>
 *   <li>Nothing here runs on a transport thread: passes run on the coordinator's housekeeping executor, one at a
 *       time, and wait on the store.</li>
 * </ul>
 */
final class Compaction {

    private static final Logger LOG = Logger.getLogger(Compaction.class.getName());
    static final long QUIET_NANOS = 1_000_000_000L;
    /**
     * A compacted interval is sealed once older than this (after its compaction): three re-send windows (60 s), as
     * a reconnecting worker re-sends what it sent in the last window before its link was lost, and noticing the
     * loss and reconnecting come on top.
     */
    static final long SEAL_AFTER_NANOS = 3 * ReportResend.WINDOW.toNanos();
    /** ... and older than this many intervals: twice the messages a reconnecting worker re-sends at most (64). */
    static final int SEAL_AFTER_INTERVALS = 2 * ReportResend.MAX_MESSAGES;
    /** Intervals are sealed this many at a time at least: each pass rewrites the run's sealed counts. */
    static final int SEAL_BATCH = 32;

    private final String runId;
    private final IntervalMerger merger;
    private final RunStore store;
    private final long startUnixNanos;
    private final long intervalNanos;
    /** Grace plus margin: an interval is compacted this long after its end; negative when compaction is off. */
    private final long delayNanos;
    /** An interval is sealed this long after its end; negative when compaction is off. */
    private final long sealDelayNanos;

    private final long maxIntervalIndex;

    private final Object lock = new Object();
    /** Guarded by lock: digests of reports merged since their interval was last compacted, by interval. */
    private final TreeMap<Long, Fresh> fresh = new TreeMap<>();
    /** Guarded by lock: intervals that have an entry in the store. */
    private final BitSet compacted = new BitSet();
    /** Guarded by lock: intervals whose entry in the store is recent (not sealed). */
    private final BitSet recent = new BitSet();
    /**
     * Guarded by lock: keys of raw reports stored after their interval's entry took them in (a copy a worker re-sent
     * to a coordinator not leading the run, or a batch write retried past the quiet second), removed at the next pass.
     */
    private final Set<String> strayCopies = new HashSet<>();
    /** Guarded by lock: reports the merger deferred (their interval is only in the store), by interval. */
    private final TreeMap<Long, List<Deferred>> deferred = new TreeMap<>();
    /** Told when a report is deferred: a pass is needed, also after the run ended. */
    private Runnable onDeferred = () -> {};
    /** Told of each deferred report once merged (or found merged), as the caller of {@link #merge} is. */
    private BiConsumer<IntervalReport, IntervalMerger.Merged> afterDeferred = (report, merged) -> {};

    private record Deferred(IntervalMerger.Decoded decoded, long digest) {}

    /** Guarded by this (passes): the per-worker counts of the sealed intervals, and their last stored form. */
    private SealedCounts sealed;

    private byte[] sealedStored;
    /** Guarded by this: {@link #sealed} has counts its stored form lacks. */
    private boolean sealedDirty;
    /** The sealed counts' bound, read by {@link #due} without the pass's monitor (stale only delays a pass). */
    private volatile long sealedBelowSnapshot;

    /**
     * Guarded by this: sealed entries written to the store's maps since they were last spilled (encoded, by index);
     * kept until a spill succeeds.
     */
    private final TreeMap<Long, byte[]> toSpill = new TreeMap<>();
    /** {@link #toSpill} is not empty; read by {@link #due} without the pass's monitor. */
    private volatile boolean spillPending;
    /**
     * After a failed spill, the next is not tried before this instant (Unix ns): the pass runs on the coordinator's one
     * housekeeping thread, and a member that stalls costs the wait for its answer each try.
     */
    private volatile long spillRetryAtUnixNanos;

    static final long SPILL_RETRY_NANOS = 30_000_000_000L;

    private long compactedIntervals;
    private long removedReports;
    private long sealedIntervals;
    private long spilledIntervals;

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
            long marginNanos,
            long maxIntervalIndex) {
        this.runId = runId;
        this.merger = merger;
        this.store = store;
        this.startUnixNanos = startUnixNanos;
        this.intervalNanos = intervalNanos;
        this.delayNanos = marginNanos < 0 ? -1 : graceNanos + marginNanos;
        this.sealDelayNanos =
                delayNanos < 0 ? -1 : delayNanos + Math.max(SEAL_AFTER_NANOS, SEAL_AFTER_INTERVALS * intervalNanos);
        this.maxIntervalIndex = maxIntervalIndex;
        this.sealed = new SealedCounts(maxIntervalIndex);
    }

    private static final class Fresh {
        final Map<String, CompactedInterval.WorkerCounts> reports = new HashMap<>();
        long lastMergedUnixNanos;
    }

    /**
     * Who is told about deferred reports: {@code onDeferred} when one is deferred (to request a pass),
     * {@code afterDeferred} when one was merged at last, with what {@link #merge} would have returned.
     */
    void onDeferred(Runnable onDeferred, BiConsumer<IntervalReport, IntervalMerger.Merged> afterDeferred) {
        this.onDeferred = onDeferred;
        this.afterDeferred = afterDeferred;
    }

    /**
     * Merges a report and, when it is new, remembers its digest for the interval's next compaction. A report for an
     * interval only the store holds is kept ({@code DEFERRED}) and merged at the next pass, which reads the stored
     * merge back first: no store read happens here, under the merge's locks, on a transport thread. A second copy of
     * a kept report is judged against it at once: {@code ALREADY_MERGED} when its bytes are the same (even though
     * the first is not merged yet, and may still be refused if the store lost the interval), a duplicate otherwise.
     */
    IntervalMerger.Merged merge(IntervalMerger.Decoded decoded, long digest, long nowUnixNanos)
            throws RejectedReportException {
        IntervalMerger.Merged merged;
        synchronized (lock) {
            merged = mergeLocked(decoded, digest, nowUnixNanos);
        }
        if (merged == IntervalMerger.Merged.DEFERRED) {
            onDeferred.run();
        }
        return merged;
    }

    private IntervalMerger.Merged mergeLocked(IntervalMerger.Decoded decoded, long digest, long nowUnixNanos)
            throws RejectedReportException {
        IntervalMerger.Merged merged = merger.mergeIfNew(decoded);
        if (merged == IntervalMerger.Merged.DEFERRED) {
            long index = decoded.report().getIntervalIndex();
            List<Deferred> waiting = deferred.computeIfAbsent(index, i -> new ArrayList<>());
            String workerId = decoded.report().getWorkerId();
            for (Deferred d : waiting) {
                // A second copy is judged as one of a merged report would be: a re-delivery or a duplicate.
                if (d.decoded().report().getWorkerId().equals(workerId)) {
                    if (d.digest() == digest) {
                        return IntervalMerger.Merged.ALREADY_MERGED;
                    }
                    throw new RejectedReportException("duplicate report for interval " + index);
                }
            }
            waiting.add(new Deferred(decoded, digest));
        } else if (merged != IntervalMerger.Merged.ALREADY_MERGED) {
            Fresh f = fresh.computeIfAbsent(decoded.report().getIntervalIndex(), i -> new Fresh());
            f.reports.put(
                    decoded.report().getWorkerId(),
                    new CompactedInterval.WorkerCounts(
                            digest, decoded.report().getSent(), decoded.report().getCompleted()));
            f.lastMergedUnixNanos = Math.max(f.lastMergedUnixNanos, nowUnixNanos);
        }
        return merged;
    }

    /**
     * A raw report in the store (key "interval/worker") whose worker's report for that interval was merged before.
     * When the interval's entry already holds that report (it was compacted and nothing of that worker waits for
     * the next pass), the raw copy is a stray: it is removed at the next pass instead of staying until the run is
     * archived.
     */
    void alreadyMergedCopy(String key) {
        ReportKey.parse(key).ifPresent(parsed -> {
            synchronized (lock) {
                if (holdsReport(parsed)) {
                    strayCopies.add(key);
                }
            }
        });
    }

    /** Whether the entry of the key's interval in the store holds the key's report; under lock. */
    private boolean holdsReport(ReportKey key) {
        long index = key.intervalIndex();
        if (index >= Integer.MAX_VALUE || !compacted.get((int) index)) {
            return false;
        }
        Fresh f = fresh.get(index);
        return (f == null || !f.reports.containsKey(key.workerId())) && merger.hasReported(key.workerId(), index);
    }

    /** Restores a compacted interval into the merger (before any raw report of the run is merged). */
    void restore(CompactedInterval entry) {
        synchronized (lock) {
            merger.restoreCompacted(entry.merged());
            long index = entry.intervalIndex();
            if (index >= 0 && index < Integer.MAX_VALUE) {
                compacted.set((int) index);
                recent.set((int) index, !entry.isSealed());
            }
            if (entry.isSealed()) {
                merger.keptInStore(index, ReportedBy.decode(entry.merged()));
            }
        }
    }

    /** A restored sealed entry found in the store's maps: spilled at the next pass (its leader died first). */
    synchronized void spillLater(long intervalIndex, byte[] sealedEntry) {
        toSpill.put(intervalIndex, sealedEntry);
        spillPending = true;
    }

    /**
     * The pass of an ended run, run when a late report for a sealed interval waits: that report, and what is left to
     * spill (an ended run's entries otherwise stay in the maps until it is archived).
     */
    synchronized void passAfterEnd(long nowUnixNanos) {
        mergeDeferred(nowUnixNanos);
        spill(nowUnixNanos);
    }

    /**
     * Restores the run's sealed counts from the store (before its compacted intervals); null when there are none
     * or they do not decode (logged: the run's per-worker counts then miss the sealed intervals).
     */
    synchronized SealedCounts restoreSealed() {
        byte[] bytes = store.sealedCounts();
        if (bytes == null) {
            return null;
        }
        try {
            sealed = SealedCounts.decode(bytes, maxIntervalIndex);
            sealedStored = bytes;
            sealedBelowSnapshot = sealed.sealedBelow();
            return sealed;
        } catch (RuntimeException e) {
            LOG.warning(() -> "run " + runId + ": unreadable sealed counts in the replicated state (" + e.getMessage()
                    + "); per-worker counts leave out the sealed intervals");
            return null;
        }
    }

    /** Intervals below this one are sealed at {@code nowUnixNanos}. */
    private long sealCutoff(long nowUnixNanos) {
        if (sealDelayNanos < 0 || nowUnixNanos < startUnixNanos + sealDelayNanos) {
            return 0;
        }
        return Math.min(cutoff(nowUnixNanos), (nowUnixNanos - startUnixNanos - sealDelayNanos) / intervalNanos);
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
            if (!strayCopies.isEmpty()
                    || !deferred.isEmpty()
                    || (spillPending && nowUnixNanos >= spillRetryAtUnixNanos)) {
                return true;
            }
            long sealedBelow = sealedBelowSnapshot;
            int firstRecent = recent.nextSetBit(0);
            return firstRecent >= 0
                    && (firstRecent < sealedBelow || sealCutoff(nowUnixNanos) - sealedBelow >= SEAL_BATCH);
        }
    }

    /**
     * Merges the reports deferred since the last pass: reads each interval's stored merge back (outside every lock),
     * hands it to the merger, then merges the reports. An interval whose read failed keeps its reports for the next
     * pass; one the store lost has them refused with that reason. Runs also after the run ended (late reports).
     */
    synchronized void mergeDeferred(long nowUnixNanos) {
        List<Long> indexes;
        synchronized (lock) {
            // The reports stay listed while their interval is read back, so a copy arriving meanwhile is compared.
            indexes = new ArrayList<>(deferred.keySet());
        }
        List<Map.Entry<IntervalReport, IntervalMerger.Merged>> done = new ArrayList<>();
        for (long index : indexes) {
            MergedInterval stored;
            try {
                byte[] bytes = store.compactedInterval(index);
                stored = bytes == null ? null : CompactedInterval.decode(bytes).merged();
            } catch (RuntimeException ex) {
                LOG.warning(() -> "run " + runId + ": reading interval " + index + " back from the store failed (" + ex
                        + "); its late reports wait for the next pass");
                continue;
            }
            synchronized (lock) {
                boolean readBack = merger.readBack(index, stored);
                List<Deferred> waiting = deferred.remove(index);
                if (!readBack) {
                    for (Deferred d : waiting) {
                        merger.countRejection(
                                d.decoded().report(),
                                "interval " + index + "'s merge is missing from "
                                        + "the run's replicated state, so this late report could not be added to it");
                    }
                    LOG.warning(() -> "run " + runId + ": interval " + index + " is missing from the store; "
                            + waiting.size() + " late reports for it were refused");
                    continue;
                }
                for (Deferred d : waiting) {
                    try {
                        done.add(Map.entry(d.decoded().report(), mergeLocked(d.decoded(), d.digest(), nowUnixNanos)));
                    } catch (RejectedReportException ex) {
                        merger.countRejection(d.decoded().report(), ex.getMessage());
                    }
                }
            }
        }
        done.forEach(d -> afterDeferred.accept(d.getKey(), d.getValue()));
    }

    /**
     * Refuses, with this reason, the late reports still waiting for their interval to be read back (the run is
     * being archived and no pass will come): counted in the result, never silently lost. Returns how many.
     */
    synchronized int refuseDeferred(String reason) {
        synchronized (lock) {
            int refused = 0;
            for (List<Deferred> waiting : deferred.values()) {
                for (Deferred d : waiting) {
                    merger.countRejection(d.decoded().report(), reason);
                    refused++;
                }
            }
            deferred.clear();
            return refused;
        }
    }

    /** Compacts every interval that is due; waits on the store. One pass at a time. */
    synchronized void compact(long nowUnixNanos) {
        mergeDeferred(nowUnixNanos);
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
        try {
            seal(nowUnixNanos);
        } catch (RuntimeException e) {
            LOG.warning(() -> "run " + runId + ": sealing compacted intervals failed (" + e
                    + "); they stay as they are until the next pass");
        }
        removeStrayCopies();
        spill(nowUnixNanos);
    }

    /**
     * Moves the sealed entries written since the last spill (and old snapshots) out of the replicated maps onto every
     * coordinator's disk, so what the run holds in memory stays flat; on failure they stay in the maps and are tried
     * again at the next pass.
     */
    private void spill(long nowUnixNanos) {
        if (toSpill.isEmpty() || nowUnixNanos < spillRetryAtUnixNanos) {
            return;
        }
        try {
            if (store.spill(new TreeMap<>(toSpill))) {
                spilledIntervals += toSpill.size();
                toSpill.clear();
                spillPending = false;
                return;
            }
        } catch (RuntimeException e) {
            LOG.warning(() -> "run " + runId + ": spilling " + toSpill.size() + " sealed intervals failed (" + e
                    + "); they stay in the replicated maps until a later pass");
        }
        spillRetryAtUnixNanos = nowUnixNanos + SPILL_RETRY_NANOS;
    }

    /** Removes the stray raw copies noted since the last pass whose interval's entry still holds their report. */
    private void removeStrayCopies() {
        Set<String> keys = new HashSet<>();
        synchronized (lock) {
            for (String key : strayCopies) {
                if (ReportKey.parse(key).filter(this::holdsReport).isPresent()) {
                    keys.add(key);
                }
            }
            strayCopies.clear();
        }
        if (!keys.isEmpty()) {
            removeRawReports(keys, keys.size() + " stray report copies");
        }
    }

    /**
     * Removes raw reports a stored entry holds. When that fails they are noted as strays, removed at the next pass:
     * writing their entry again instead would count them into the sealed counts twice.
     */
    private void removeRawReports(Set<String> keys, String what) {
        try {
            store.removeReports(keys);
            removedReports += keys.size();
        } catch (RuntimeException e) {
            synchronized (lock) {
                strayCopies.addAll(keys);
            }
            LOG.warning(() -> "run " + runId + ": removing " + what + " failed (" + e + "); retried at the next pass");
        }
    }

    /**
     * Seals the recent entries below the seal cutoff, {@value #SEAL_BATCH} intervals or more at a time: their
     * per-worker counts go into the sealed counts, stored first; then each entry is rewritten as its merge alone.
     * Recent entries already below the sealed counts' bound (left by a leader that died while sealing) are sealed
     * without counting them again.
     */
    private void seal(long nowUnixNanos) {
        long from = sealed.sealedBelow();
        long to = sealCutoff(nowUnixNanos);
        List<Integer> leftovers = new ArrayList<>();
        List<Integer> toSeal = new ArrayList<>();
        synchronized (lock) {
            for (int i = recent.nextSetBit(0); i >= 0 && i < Math.max(from, to); i = recent.nextSetBit(i + 1)) {
                (i < from ? leftovers : toSeal).add(i);
            }
        }
        if (to - from < SEAL_BATCH) {
            toSeal.clear();
        }
        List<CompactedInterval> entries = new ArrayList<>(toSeal.size());
        if (!toSeal.isEmpty()) {
            for (int index : toSeal) {
                byte[] bytes = store.compactedInterval(index);
                if (bytes != null) {
                    entries.add(CompactedInterval.decode(bytes));
                }
            }
            for (CompactedInterval entry : entries) {
                long index = entry.intervalIndex();
                entry.countsByWorker().forEach((worker, c) -> sealed.add(worker, index, c.sent(), c.completed()));
            }
            sealed.sealedBelow(to);
            sealedDirty = true;
        }
        if (sealedDirty) {
            saveSealed();
        }
        for (int index : leftovers) {
            byte[] bytes = store.compactedInterval(index);
            if (bytes != null) {
                entries.add(CompactedInterval.decode(bytes));
            }
        }
        for (CompactedInterval entry : entries) {
            byte[] sealedEntry = CompactedInterval.sealed(entry.merged()).encode();
            store.saveCompacted(entry.intervalIndex(), sealedEntry);
            toSpill.put(entry.intervalIndex(), sealedEntry);
            spillPending = true;
            synchronized (lock) {
                recent.clear((int) entry.intervalIndex());
            }
            merger.keptInStore(entry.intervalIndex(), ReportedBy.decode(entry.merged()));
            sealedIntervals++;
        }
    }

    /** Stores the sealed counts; when that fails, goes back to the stored form so nothing is counted twice. */
    private void saveSealed() {
        byte[] bytes = sealed.encode();
        try {
            store.saveSealedCounts(bytes);
        } catch (RuntimeException e) {
            sealed = sealedStored == null
                    ? new SealedCounts(maxIntervalIndex)
                    : SealedCounts.decode(sealedStored, maxIntervalIndex);
            sealedDirty = false;
            throw e;
        }
        sealedStored = bytes;
        sealedDirty = false;
        sealedBelowSnapshot = sealed.sealedBelow();
    }

    private void write(long index, MergedInterval merged, Fresh f, boolean hadEntry) {
        boolean sealing = index < sealed.sealedBelow();
        if (sealing) {
            // Past the re-send horizon: the merge alone; the new reports' counts join the sealed counts.
            byte[] sealedEntry = CompactedInterval.sealed(merged).encode();
            store.saveCompacted(index, sealedEntry);
            toSpill.put(index, sealedEntry);
            spillPending = true;
            f.reports.forEach((worker, c) -> sealed.add(worker, index, c.sent(), c.completed()));
            sealedDirty = true;
            merger.keptInStore(index, ReportedBy.decode(merged));
        } else {
            Map<String, CompactedInterval.WorkerCounts> reports = new HashMap<>(f.reports);
            if (hadEntry) {
                byte[] old = store.compactedInterval(index);
                if (old != null) {
                    CompactedInterval.decode(old).countsByWorker().forEach(reports::putIfAbsent);
                }
            }
            store.saveCompacted(index, CompactedInterval.recent(merged, reports).encode());
        }
        synchronized (lock) {
            if (index < Integer.MAX_VALUE) {
                compacted.set((int) index);
                recent.set((int) index, !sealing);
            }
        }
        Set<String> keys = new HashSet<>();
        for (String worker : f.reports.keySet()) {
            keys.add(ReportKey.of(index, worker));
        }
        compactedIntervals++;
        removeRawReports(keys, "the raw reports of compacted interval " + index);
    }

    /**
     * Compaction passes' totals, for logs and tests: intervals written, raw reports removed, intervals sealed,
     * sealed entries spilled (an interval spilled again after a late report counts again).
     */
    synchronized long[] totals() {
        return new long[] {compactedIntervals, removedReports, sealedIntervals, spilledIntervals};
    }
}
