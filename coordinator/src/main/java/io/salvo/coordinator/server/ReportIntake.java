package io.salvo.coordinator.server;

import io.salvo.coordinator.cluster.CoordinatorCluster;
import io.salvo.coordinator.cluster.RejectionTally;
import io.salvo.coordinator.cluster.RunRecord;
import io.salvo.coordinator.merge.HistogramCodec.CorruptHistogramException;
import io.salvo.coordinator.merge.IntervalMerger;
import io.salvo.proto.v1.CoordinatorMessage;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.ReportRejected;
import io.salvo.proto.v1.WorkerEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * What a worker says about a run, taken in by whichever coordinator holds its stream: interval
 * reports are checked here and only sound ones enter the replicated state (once per
 * (run, interval, worker): the map refuses a second), where the leader's merger picks them up.
 * Corrupt, duplicate, impersonating or impossible reports never reach the cluster; each is
 * answered with {@code ReportRejected} and counted for the run's result.
 */
final class ReportIntake {

    private static final Logger LOG = Logger.getLogger(ReportIntake.class.getName());

    private final CoordinatorCluster cluster;
    /** Run records by id, as last read; refreshed from the cluster when a worker is not in them yet. */
    private final Map<String, RunRecord> records = new ConcurrentHashMap<>();
    private final Map<String, Tally> tallies = new ConcurrentHashMap<>();

    ReportIntake(CoordinatorCluster cluster) {
        this.cluster = cluster;
    }

    /** Outcome of taking in a report, for the caller's own counters. */
    enum Outcome { STORED, REJECTED, UNKNOWN_RUN }

    Outcome report(WorkerSession from, IntervalReport report) {
        RunRecord record = record(report.getRunId(), from.workerId());
        if (record == null) {
            return Outcome.UNKNOWN_RUN;
        }
        long index = report.getIntervalIndex();
        String problem = null;
        if (!from.workerId().equals(report.getWorkerId())) {
            problem = "worker '" + from.workerId() + "' sent a report as worker '" + report.getWorkerId() + "'";
        } else if (!record.hasWorker(from.workerId())) {
            problem = "worker '" + from.workerId() + "' is not part of this run";
        } else if (index > record.maxIntervalIndex()) {
            problem = "interval index " + index + " is beyond the run's last possible interval " + record.maxIntervalIndex();
        } else {
            try {
                IntervalMerger.checkPayload(report);
            } catch (CorruptHistogramException e) {
                problem = "corrupt histogram payload: " + e.getMessage();
            }
        }
        if (problem == null) {
            byte[] bytes = report.toByteArray();
            byte[] existing = cluster.reports(record.runId())
                    .putIfAbsent(CoordinatorCluster.reportKey(index, from.workerId()), bytes);
            if (existing != null && !java.util.Arrays.equals(existing, bytes)) {
                problem = "duplicate report for interval " + index;
            }
            // An identical copy is a worker re-delivering after a reconnect what a coordinator that
            // died may not have kept: already stored, nothing to do, nothing to reject.
        }
        if (problem == null) {
            return Outcome.STORED;
        }
        reject(from, record.runId(), index, problem);
        return Outcome.REJECTED;
    }

    /** A worker's finished or failed event: kept once per worker and run, for the leader (now or later). */
    void event(WorkerSession from, WorkerEvent event) {
        RunRecord record = record(event.getRunId(), from.workerId());
        if (record != null && record.hasWorker(from.workerId())) {
            cluster.workerEvents(record.runId()).putIfAbsent(from.workerId(), event.toByteArray());
        }
    }

    private RunRecord record(String runId, String workerId) {
        if (runId.isEmpty() || runId.length() > 200) {
            return null;
        }
        RunRecord cached = records.get(runId);
        if (cached != null && cached.hasWorker(workerId)) {
            return cached;
        }
        // Unknown here yet, or the worker joined since: the leader persists before it assigns.
        byte[] bytes = cluster.runs().get(runId);
        if (bytes == null) {
            return null;
        }
        RunRecord fresh = RunRecord.decode(bytes);
        records.put(runId, fresh);
        return fresh;
    }

    private void reject(WorkerSession from, String runId, long index, String reason) {
        LOG.warning(() -> "run " + runId + ": rejected report from worker " + from.workerId() + " for interval "
                + index + ": " + reason);
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
        from.send(CoordinatorMessage.newBuilder().setReportRejected(ReportRejected.newBuilder()
                .setRunId(runId).setIntervalIndex(index).setReason(reason)).build());
    }

    private static final class Tally {
        long count;
        final List<String> reasons = new ArrayList<>();
    }
}
