package io.salvo.coordinator.run;

import io.salvo.coordinator.cluster.RunStore;
import io.salvo.coordinator.merge.IntervalMerger;
import io.salvo.coordinator.merge.IntervalMerger.RejectedReportException;
import io.salvo.core.histogram.HistogramCodec.CorruptHistogramException;
import io.salvo.proto.v1.CoordinatorMessage;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.ReportRejected;
import io.salvo.proto.v1.WorkerEvent;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
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
     * @param onMerged   after each report merged here
     * @param onFinished a worker finished, with the last interval it reported
     * @param onFailed   a worker failed, with its reason
     */
    RunInbox(
            String runId,
            IntervalMerger merger,
            Roster roster,
            boolean answers,
            Consumer<IntervalMerger.Merged> onMerged,
            ObjLongConsumer<String> onFinished,
            BiConsumer<String, String> onFailed) {
        this.runId = runId;
        this.merger = merger;
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
        if (mergedAlready(key)) {
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
            merged(report, merger.mergeIfNew(IntervalMerger.decode(report)));
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
        IntervalMerger.Merged merged = merger.mergeIfNew(decoded);
        merged(decoded.report(), merged);
        return merged;
    }

    /** Whether the stored report under this key ("interval/worker") was merged, or refused, already. */
    public boolean mergedAlready(String key) {
        int slash = key.indexOf('/');
        if (slash > 0) {
            try {
                long index = Long.parseLong(key, 0, slash, 10);
                if (merger.hasReported(key.substring(slash + 1), index)) {
                    return true;
                }
            } catch (NumberFormatException e) {
                // Not a key this code writes; the report itself says what it is.
            }
        }
        return refused.contains(key);
    }

    /**
     * Merges everything {@code store} holds for the run (entry listeners keep delivering newer entries meanwhile;
     * each is merged once), and stops waiting for workers the run counts as lost. Returns the number of reports
     * found.
     */
    long replay(RunStore store) {
        long found = 0;
        for (var e : store.reports().entrySet()) {
            found++;
            storedReport(e.getKey(), e.getValue());
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

    private void merged(IntervalReport report, IntervalMerger.Merged merged) {
        if (merged == IntervalMerger.Merged.ALREADY_MERGED) {
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
