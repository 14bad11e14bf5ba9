package io.salvo.coordinator.server;

import com.hazelcast.map.listener.EntryAddedListener;
import io.salvo.coordinator.cluster.CompactedInterval;
import io.salvo.coordinator.cluster.CoordinatorCluster;
import io.salvo.coordinator.cluster.RejectionTally;
import io.salvo.coordinator.cluster.ReportBatcher;
import io.salvo.coordinator.cluster.ReportKey;
import io.salvo.coordinator.cluster.RunRecord;
import io.salvo.coordinator.merge.IntervalMerger;
import io.salvo.coordinator.merge.IntervalMerger.RejectedReportException;
import io.salvo.coordinator.run.Run;
import io.salvo.core.histogram.HistogramCodec.CorruptHistogramException;
import io.salvo.proto.v1.CoordinatorMessage;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.ReportRejected;
import io.salvo.proto.v1.WorkerEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * What a worker says about a run, taken in by whichever coordinator holds its stream: interval
 * reports are checked here and only sound ones enter the replicated state (once per
 * (run, interval, worker)). Corrupt, duplicate, impersonating or impossible reports never reach
 * the cluster; each is answered with {@code ReportRejected} and counted for the run's result.
 *
 * <p>Each report's histograms are decoded once, here. When this coordinator leads the run, the
 * decoded report is merged at once and stored in batches ({@link ReportBatcher}); otherwise it is
 * stored with a put-if-absent, and the leader merges it from its map listener.
 */
final class ReportIntake {

    private static final Logger LOG = Logger.getLogger(ReportIntake.class.getName());

    private final CoordinatorCluster cluster;
    private final Function<String, Run> ledRuns;
    private final ReportBatcher batcher;
    /** Run records by id, as last read; refreshed from the cluster when a worker is not in them yet. */
    private final Map<String, KnownRun> records = new ConcurrentHashMap<>();

    private final Map<String, Tally> tallies = new ConcurrentHashMap<>();
    /**
     * Compacted intervals recently read, by "run/interval", for telling a re-delivered copy from a duplicate after
     * the interval's raw reports were compacted (a reconnecting worker re-sends its last 20 s, for intervals most of
     * which are compacted by then, and a thousand workers would otherwise read the same few entries a thousand
     * times). An entry only ever gains workers, so a cached one is never wrong about a worker it lists.
     */
    private final Map<String, CompactedInterval> compactedCache = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CompactedInterval> eldest) {
            return size() > 256;
        }
    };

    /** Ended runs whose per-interval data is gone (RunManager.archive): what still arrives for them is refused. */
    private final Set<String> archived = ConcurrentHashMap.newKeySet();

    /**
     * @param ledRuns the run this coordinator leads under an id, or null
     */
    ReportIntake(CoordinatorCluster cluster, Function<String, Run> ledRuns, ReportBatcher batcher) {
        this.cluster = cluster;
        this.ledRuns = ledRuns;
        this.batcher = batcher;
        // Listen first, then read what is there: nothing archived in between is missed.
        cluster.archivedRuns().addEntryListener((EntryAddedListener<String, Long>) e -> forget(e.getKey()), false);
        cluster.archivedRuns().keySet().forEach(this::forget);
    }

    private void forget(String runId) {
        archived.add(runId);
        records.remove(runId);
        tallies.remove(runId);
        batcher.forget(runId);
    }

    /** Outcome of taking in a report, for the caller's own counters. */
    enum Outcome {
        TAKEN,
        UNKNOWN_RUN
    }

    /**
     * Takes in a report, waiting on the cluster where needed (the run's record, a put-if-absent,
     * a rejection's tally).
     */
    Outcome report(WorkerSession from, IntervalReport report) {
        KnownRun run = record(report.getRunId(), from.workerId());
        if (run == null) {
            return Outcome.UNKNOWN_RUN;
        }
        Runnable rest = takeIn(from, run, ledRuns.apply(run.record().runId()), report);
        if (rest != null) {
            rest.run();
        }
        return Outcome.TAKEN;
    }

    /**
     * Takes in a report as far as that needs no answer from the cluster: all of it when this
     * coordinator leads the run, already knows the worker is part of it, and the report is sound
     * and new (merged now, stored in the next batch). Returns what remains, which may wait on the
     * cluster, or null when nothing does.
     */
    Runnable reportWithoutWaiting(WorkerSession from, IntervalReport report, Runnable onUnknownRun) {
        KnownRun run = records.get(report.getRunId());
        Run led = run == null || !run.hasWorker(from.workerId())
                ? null
                : ledRuns.apply(run.record().runId());
        if (led == null) {
            return () -> {
                if (report(from, report) == Outcome.UNKNOWN_RUN) {
                    onUnknownRun.run();
                }
            };
        }
        return takeIn(from, run, led, report);
    }

    /**
     * Checks and decodes the report; merges it when this coordinator leads the run ({@code led} not
     * null). Returns what may wait on the cluster (storing it with put-if-absent, comparing a second
     * copy with the first, counting a rejection), or null.
     */
    private Runnable takeIn(WorkerSession from, KnownRun run, Run led, IntervalReport report) {
        String runId = run.record().runId();
        long index = report.getIntervalIndex();
        if (archived.contains(runId)) {
            return () -> refuseArchived(from, runId, index);
        }
        String problem = null;
        IntervalMerger.Decoded decoded = null;
        if (!from.workerId().equals(report.getWorkerId())) {
            problem = "worker '" + from.workerId() + "' sent a report as worker '" + report.getWorkerId() + "'";
        } else if (!run.hasWorker(from.workerId())) {
            problem = "worker '" + from.workerId() + "' is not part of this run";
        } else if (index < 0 || index > run.maxIntervalIndex()) {
            // Unsigned on the wire: a huge index reads as negative here.
            problem = "interval index " + Long.toUnsignedString(index) + " is beyond the run's last possible interval "
                    + run.maxIntervalIndex();
        } else {
            try {
                decoded = IntervalMerger.decode(report);
            } catch (CorruptHistogramException e) {
                problem = "corrupt histogram payload: " + e.getMessage();
            }
        }
        if (problem != null) {
            String reason = problem;
            return () -> reject(from, runId, index, reason);
        }
        String key = ReportKey.of(index, from.workerId());
        if (led == null) {
            return () -> {
                String reason = storeIfAbsent(runId, index, from.workerId(), key, report.toByteArray());
                if (reason != null) {
                    reject(from, runId, index, reason);
                }
            };
        }
        byte[] bytes = report.toByteArray();
        IntervalMerger.Merged merged;
        try {
            merged = led.inbox().receivedReport(decoded, bytes);
        } catch (RejectedReportException e) {
            return () -> reject(from, runId, index, e.getMessage());
        }
        if (merged != IntervalMerger.Merged.ALREADY_MERGED) {
            batcher.store(runId, key, bytes);
            return null;
        }
        return () -> {
            String reason = compareWithStored(runId, index, from.workerId(), key, bytes);
            if (reason != null) {
                reject(from, runId, index, reason);
            }
        };
    }

    /** A second copy of a report the leader merged: harmless when identical to the stored one. */
    private String compareWithStored(String runId, long index, String workerId, String key, byte[] bytes) {
        byte[] existing = batcher.pending(runId, key);
        if (existing == null) {
            existing = cluster.reports(runId).get(key);
        }
        if (existing == null) {
            // Its interval may have been compacted: the entry has the first copy's digest. Once sealed, the copy
            // is past every re-send horizon and no longer compared: the merger knew it as one, it is dropped.
            Compared compared = compareWithCompacted(runId, index, workerId, bytes);
            if (compared != Compared.NOT_COMPACTED) {
                return compared == Compared.DIFFERENT ? duplicate(index) : null;
            }
        }
        if (existing == null) {
            // Merged but not stored (a write that failed for good): store what was merged, once.
            existing = cluster.reports(runId).putIfAbsent(key, bytes);
        }
        return existing == null || Arrays.equals(existing, bytes) ? null : duplicate(index);
    }

    /** Another coordinator leads the run: the map refuses a second copy, and its listener merges the first. */
    private String storeIfAbsent(String runId, long index, String workerId, String key, byte[] bytes) {
        // A report for an interval whose reports were compacted: the entry, not the raw map, has the first copy.
        // A sealed entry does not say who reported: the raw map takes the copy, the leader merges it or drops it.
        Compared compared = compareWithCompacted(runId, index, workerId, bytes);
        if (compared == Compared.SAME || compared == Compared.DIFFERENT) {
            return compared == Compared.SAME ? null : duplicate(index);
        }
        byte[] existing = cluster.reports(runId).putIfAbsent(key, bytes);
        // An identical copy is a worker re-delivering after a reconnect what a coordinator that
        // died may not have kept: already stored, nothing to do, nothing to reject.
        return existing == null || Arrays.equals(existing, bytes) ? null : duplicate(index);
    }

    private enum Compared {
        /** The interval has no compacted entry listing this worker: the raw map decides. */
        NOT_COMPACTED,
        /** The interval's entry is sealed: it keeps no digests to compare with. */
        SEALED,
        SAME,
        DIFFERENT
    }

    /**
     * Compares a report with the first copy its compacted interval holds. A cached entry that does not list the
     * worker is read again once (the interval may have been compacted again since, with this worker's report).
     */
    private Compared compareWithCompacted(String runId, long index, String workerId, byte[] bytes) {
        String cacheKey = runId + "/" + index;
        CompactedInterval entry;
        synchronized (compactedCache) {
            entry = compactedCache.get(cacheKey);
        }
        Long first = entry == null ? null : entry.digestOf(workerId);
        if (first == null) {
            // The map only: an interval spilled to disk is sealed, and a copy of a sealed report is known to the
            // leader's
            // merger by its bit (judged there as a re-delivery), so reading the disk on this transport thread buys
            // nothing.
            byte[] stored = cluster.compacted(runId).get(index);
            if (stored == null) {
                return Compared.NOT_COMPACTED;
            }
            try {
                entry = CompactedInterval.decode(stored);
            } catch (RuntimeException e) {
                LOG.warning(() -> "run " + runId + ": unreadable compacted interval " + index + ": " + e.getMessage());
                return Compared.NOT_COMPACTED;
            }
            if (entry.isSealed()) {
                return Compared.SEALED;
            }
            synchronized (compactedCache) {
                compactedCache.put(cacheKey, entry);
            }
            first = entry.digestOf(workerId);
            if (first == null) {
                return Compared.NOT_COMPACTED;
            }
        }
        return first == CompactedInterval.digestOf(bytes) ? Compared.SAME : Compared.DIFFERENT;
    }

    private static String duplicate(long index) {
        return "duplicate report for interval " + index;
    }

    /** A worker's finished or failed event: kept once per worker and run, for the leader (now or later). */
    void event(WorkerSession from, WorkerEvent event) {
        if (archived.contains(event.getRunId())) {
            return;
        }
        KnownRun run = record(event.getRunId(), from.workerId());
        if (run != null && run.hasWorker(from.workerId())) {
            cluster.workerEvents(run.record().runId()).putIfAbsent(from.workerId(), event.toByteArray());
        }
    }

    private KnownRun record(String runId, String workerId) {
        if (runId.isEmpty() || runId.length() > 200) {
            return null;
        }
        KnownRun cached = records.get(runId);
        if (cached != null && cached.hasWorker(workerId)) {
            return cached;
        }
        // One reader at a time: a run's first reports arrive from all its workers at once, and one
        // read of the record answers for all of them.
        synchronized (records) {
            cached = records.get(runId);
            if (cached != null && cached.hasWorker(workerId)) {
                return cached;
            }
            // Unknown here yet, or the worker joined since: the leader persists before it assigns.
            byte[] bytes = cluster.runs().get(runId);
            if (bytes == null) {
                return null;
            }
            KnownRun fresh = new KnownRun(RunRecord.decode(bytes));
            records.put(runId, fresh);
            return fresh;
        }
    }

    /**
     * A run record as every report needs it: its workers' ids in a set and its last possible
     * interval, both computed once.
     */
    private record KnownRun(RunRecord record, Set<String> workerIds, long maxIntervalIndex) {
        KnownRun(RunRecord record) {
            this(
                    record,
                    record.workers().stream()
                            .map(RunRecord.WorkerRecord::workerId)
                            .collect(Collectors.toUnmodifiableSet()),
                    record.maxIntervalIndex());
        }

        boolean hasWorker(String workerId) {
            return workerIds.contains(workerId);
        }
    }

    private void reject(WorkerSession from, String runId, long index, String reason) {
        LOG.warning(() -> "run " + runId + ": rejected report from worker " + from.workerId() + " for interval " + index
                + ": " + reason);
        Tally tally = tallies.computeIfAbsent(runId, id -> new Tally());
        byte[] encoded;
        synchronized (tally) {
            tally.count++;
            if (tally.reasons.size() < RejectionTally.MAX_REASONS) {
                tally.reasons.add("worker " + from.workerId() + ", interval " + index + ": " + reason);
            }
            encoded = new RejectionTally(tally.count, tally.reasons).encode();
            // Written under the lock so an older count never overwrites a newer one.
            cluster.rejections(runId).set(cluster.memberId(), encoded);
        }
        from.send(CoordinatorMessage.newBuilder()
                .setReportRejected(ReportRejected.newBuilder()
                        .setRunId(runId)
                        .setIntervalIndex(index)
                        .setReason(reason))
                .build());
    }

    /** Not tallied in the cluster: the run's result is final and its rejection map is gone with its data. */
    private void refuseArchived(WorkerSession from, String runId, long index) {
        String reason = "run " + runId + " has ended and its per-interval data was archived; the report came too late "
                + "to be merged";
        LOG.warning(() -> "run " + runId + ": refused report from worker " + from.workerId() + " for interval " + index
                + ": the run is archived");
        from.send(CoordinatorMessage.newBuilder()
                .setReportRejected(ReportRejected.newBuilder()
                        .setRunId(runId)
                        .setIntervalIndex(index)
                        .setReason(reason))
                .build());
    }

    private static final class Tally {
        long count;
        final List<String> reasons = new ArrayList<>();
    }
}
