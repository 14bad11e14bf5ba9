package io.salvo.coordinator.run;

import io.salvo.coordinator.cluster.CompactedInterval;
import io.salvo.coordinator.cluster.ReportKey;
import io.salvo.coordinator.cluster.RunStore;
import io.salvo.coordinator.cluster.SealedCounts;
import io.salvo.coordinator.merge.IntervalMerger;
import io.salvo.coordinator.merge.IntervalMerger.RejectedReportException;
import io.salvo.core.histogram.HistogramCodec.CorruptHistogramException;
import io.salvo.core.result.ReportedBy;
import io.salvo.proto.v1.CoordinatorMessage;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.ReportRejected;
import io.salvo.proto.v1.WorkerEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.ObjLongConsumer;
import java.util.logging.Logger;

/**
 * What workers tell one run: interval reports, those this coordinator's streams delivered (checked and
 * decoded on arrival) and those any coordinator stored, each merged once and counted for its worker; and
 * each worker's terminal event. The run hears of every merge and event through the callbacks it gives.
 * Thread-safe; reports arrive on transport threads and store listeners at once.
 */
public final class RunInbox {

    private static final Logger LOG = Logger.getLogger(RunInbox.class.getName());

    private final String runId;
    private final IntervalMerger merger;
    private final Compaction compaction;
    private final LongSupplier unixNanos;
    private final Roster roster;
    /** Whether refused stored reports are answered on their worker's stream (the leader does; copies don't). */
    private final boolean answers;

    private final Consumer<IntervalMerger.Merged> onMerged;
    private final ObjLongConsumer<String> onFinished;
    private final BiConsumer<String, String> onFailed;
    /**
     * Keys of stored reports the merger refused, so that the store's listener and a restore's scan, which
     * may both deliver one, count it once. (Merged ones the merger itself remembers.)
     */
    private final Set<String> refused = ConcurrentHashMap.newKeySet();

    /**
     * Guarded by itself: while a restored run has not replayed the store yet, what the store's listener delivers
     * waits here, so that no raw report is merged before the compacted interval that may already hold it.
     * Null once replayed (or for a new run).
     */
    private List<Map.Entry<String, byte[]>> heldUntilReplayed;

    private final Object holdLock = new Object();

    /**
     * @param onMerged   after each report merged here
     * @param onFinished a worker finished, with the last interval it reported
     * @param onFailed   a worker failed, with its reason
     */
    RunInbox(
            String runId,
            IntervalMerger merger,
            Compaction compaction,
            LongSupplier unixNanos,
            Roster roster,
            boolean restored,
            boolean answers,
            Consumer<IntervalMerger.Merged> onMerged,
            ObjLongConsumer<String> onFinished,
            BiConsumer<String, String> onFailed) {
        this.runId = runId;
        this.merger = merger;
        this.compaction = compaction;
        this.unixNanos = unixNanos;
        this.heldUntilReplayed = restored ? new ArrayList<>() : null;
        this.roster = roster;
        this.answers = answers;
        this.onMerged = onMerged;
        this.onFinished = onFinished;
        this.onFailed = onFailed;
    }

    /**
     * A report from the store (key "interval/worker"), whoever received it: merged unless it was merged or
     * refused before (reports this coordinator received itself were merged on arrival and are skipped by key
     * alone). One the merger refuses is counted once and answered on its worker's stream.
     */
    public void storedReport(String key, byte[] bytes) {
        synchronized (holdLock) {
            if (heldUntilReplayed != null) {
                heldUntilReplayed.add(Map.entry(key, bytes));
                return;
            }
        }
        mergeStored(key, bytes);
    }

    private void mergeStored(String key, byte[] bytes) {
        if (mergedAlready(key)) {
            compaction.alreadyMergedCopy(key);
            return;
        }
        IntervalReport report;
        try {
            report = IntervalReport.parseFrom(bytes);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            if (refused.add(key)) {
                LOG.warning(() -> "run " + runId + ": unreadable report " + key + " in the replicated state");
            }
            return;
        }
        try {
            merged(
                    report,
                    compaction.merge(
                            IntervalMerger.decode(report), CompactedInterval.digestOf(bytes), unixNanos.getAsLong()));
        } catch (RejectedReportException | CorruptHistogramException e) {
            // Checked by the coordinator that stored it, so this is a bug or a foreign writer; once per key.
            if (refused.add(key)) {
                refuse(
                        report,
                        e instanceof CorruptHistogramException
                                ? "corrupt histogram payload: " + e.getMessage()
                                : e.getMessage());
            }
        }
    }

    /**
     * Merges a report one of this coordinator's streams delivered and that was checked on arrival, without
     * waiting for it to come back from the store (the caller stores it). {@code ALREADY_MERGED}: this
     * worker's report for that interval was merged before; whether the two copies are identical is for the
     * caller to judge.
     *
     * @throws RejectedReportException when the merger refuses the report (not counted here: the receiver does)
     */
    public IntervalMerger.Merged receivedReport(IntervalMerger.Decoded decoded) throws RejectedReportException {
        return receivedReport(decoded, decoded.report().toByteArray());
    }

    /** {@link #receivedReport(IntervalMerger.Decoded)} with the report's bytes as they are stored. */
    public IntervalMerger.Merged receivedReport(IntervalMerger.Decoded decoded, byte[] bytes)
            throws RejectedReportException {
        IntervalMerger.Merged merged =
                compaction.merge(decoded, CompactedInterval.digestOf(bytes), unixNanos.getAsLong());
        merged(decoded.report(), merged);
        return merged;
    }

    /** Whether the stored report under this key ("interval/worker") was merged, or refused, already. */
    public boolean mergedAlready(String key) {
        // A key this code does not write is judged by the report itself.
        return ReportKey.parse(key)
                        .filter(parsed -> merger.hasReported(parsed.workerId(), parsed.intervalIndex()))
                        .isPresent()
                || refused.contains(key);
    }

    /**
     * Merges everything {@code store} holds for the run (entry listeners keep delivering newer entries meanwhile;
     * each is merged once), and stops waiting for workers the run counts as lost. Compacted intervals go first, so
     * a raw copy of a report one of them holds counts as merged. Returns the number of reports found (those the
     * compacted intervals hold included).
     */
    long replay(RunStore store) {
        // Raw reports read before the compacted intervals: a report compacted in between is then in both (merged
        // once), never in neither.
        NavigableMap<String, byte[]> raw = store.reports();
        long found = 0;
        // The sealed counts first: they count the sealed intervals (and any recent entry below their bound).
        SealedCounts sealed = compaction.restoreSealed();
        long sealedBelow = 0;
        if (sealed != null) {
            sealedBelow = sealed.sealedBelow();
            sealed.byWorker().forEach((workerId, counts) -> {
                AssignedWorker w = roster.get(workerId);
                if (w != null) {
                    w.countSealed(counts);
                }
            });
        }
        // Read before the entries: a sealed entry still in the maps (a leader died before spilling it) is spilled by
        // this one.
        Set<Long> inMaps = store.compactedIndexesInMaps();
        for (var e : store.compactedIntervals().entrySet()) {
            CompactedInterval entry;
            try {
                entry = CompactedInterval.decode(e.getValue());
                compaction.restore(entry);
                if (entry.isSealed() && inMaps.contains(e.getKey())) {
                    compaction.spillLater(e.getKey(), e.getValue());
                }
            } catch (RuntimeException ex) {
                LOG.warning(() -> "run " + runId + ": unreadable compacted interval " + e.getKey()
                        + " in the replicated state: " + ex.getMessage());
                continue;
            }
            // A recent entry's reports count for their workers here, as each raw one does when merged.
            long index = entry.intervalIndex();
            if (index >= sealedBelow) {
                entry.countsByWorker().forEach((workerId, counts) -> {
                    AssignedWorker w = roster.get(workerId);
                    if (w != null) {
                        w.countReport(index, counts.sent(), counts.completed());
                    }
                });
            }
            found += ReportedBy.count(entry.merged());
        }
        for (var e : raw.entrySet()) {
            if (!mergedAlready(e.getKey())) {
                found++;
            }
            mergeStored(e.getKey(), e.getValue());
        }
        while (true) {
            List<Map.Entry<String, byte[]>> held;
            synchronized (holdLock) {
                held = heldUntilReplayed;
                if (held == null || held.isEmpty()) {
                    heldUntilReplayed = null;
                    break;
                }
                heldUntilReplayed = new ArrayList<>();
            }
            for (Map.Entry<String, byte[]> e : held) {
                mergeStored(e.getKey(), e.getValue());
            }
        }
        for (var e : store.workerEvents().entrySet()) {
            storedEvent(e.getKey(), e.getValue());
        }
        for (AssignedWorker w : roster.all()) {
            if (w.lost) {
                merger.workerLost(w.workerId);
            }
        }
        return found;
    }

    /** A worker's terminal event (finished or failed) from the store. */
    public void storedEvent(String workerId, byte[] bytes) {
        try {
            WorkerEvent event = WorkerEvent.parseFrom(bytes);
            switch (event.getKindCase()) {
                case FINISHED -> onFinished.accept(workerId, event.getFinished().getLastIntervalIndex());
                case FAILED -> onFailed.accept(workerId, event.getFailed());
                default -> {}
            }
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            LOG.warning(() -> "run " + runId + ": unreadable event of worker " + workerId + " in the replicated state");
        }
    }

    /** A report the merger deferred was merged at last (by a compaction pass): counted as on arrival. */
    void mergedLater(IntervalReport report, IntervalMerger.Merged merged) {
        merged(report, merged);
    }

    private void merged(IntervalReport report, IntervalMerger.Merged merged) {
        if (merged == IntervalMerger.Merged.ALREADY_MERGED || merged == IntervalMerger.Merged.DEFERRED) {
            return;
        }
        AssignedWorker w = roster.get(report.getWorkerId());
        if (w != null) {
            w.countReport(report.getIntervalIndex(), report.getSent(), report.getCompleted());
        }
        onMerged.accept(merged);
    }

    private void refuse(IntervalReport report, String reason) {
        merger.countRejection(report, reason);
        LOG.warning(() -> "run " + runId + ": rejected report from worker " + report.getWorkerId() + " for interval "
                + report.getIntervalIndex() + ": " + reason);
        AssignedWorker w = roster.get(report.getWorkerId());
        WorkerChannel channel = w == null ? null : w.channel;
        if (channel != null && answers) {
            channel.send(CoordinatorMessage.newBuilder()
                    .setReportRejected(ReportRejected.newBuilder()
                            .setRunId(runId)
                            .setIntervalIndex(report.getIntervalIndex())
                            .setReason(reason))
                    .build());
        }
    }
}
