package io.salvo.coordinator.http;

import com.google.protobuf.InvalidProtocolBufferException;
import io.salvo.coordinator.cluster.CoordinatorCluster;
import io.salvo.coordinator.cluster.RunRecord;
import io.salvo.core.histogram.HistogramCodec;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.Phase;
import io.salvo.proto.v1.RunPlan;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.HdrHistogram.Histogram;

/**
 * The run list, a run's description and its per-worker table, read from the replicated state (run records and
 * interval reports), so every coordinator of the cluster gives the same answer whoever leads the run.
 */
final class RunTables {

    private final CoordinatorCluster cluster;

    RunTables(CoordinatorCluster cluster) {
        this.cluster = cluster;
    }

    RunRecord record(String runId) {
        if (runId.isEmpty() || runId.length() > 200) {
            return null;
        }
        byte[] bytes = cluster.runs().get(runId);
        return bytes == null ? null : RunRecord.decode(bytes);
    }

    /** Every run the cluster knows, newest first. */
    JsonArray runs() {
        List<RunRecord> records = new ArrayList<>();
        for (byte[] bytes : cluster.runs().values()) {
            records.add(RunRecord.decode(bytes));
        }
        records.sort(Comparator.comparingLong(RunRecord::startUnixNanos).reversed());
        JsonArray list = new JsonArray();
        for (RunRecord r : records) {
            list.add(summary(r));
        }
        return list;
    }

    static JsonObject summary(RunRecord r) {
        RunPlan plan = r.plan();
        return new JsonObject()
                .put("run_id", r.runId())
                .put("name", plan.getName())
                .put("state", SnapshotJson.stateName(r.state()))
                .put("start_unix_millis", r.startUnixNanos() / 1_000_000)
                .put("end_unix_millis", r.endUnixNanos() > 0 ? r.endUnixNanos() / 1_000_000 : null)
                .put("load_seconds", loadMillis(plan) / 1000.0)
                .put("workers", r.workers().size())
                .put("target_url", plan.getRequest().getUrl())
                .put("leader", r.leaderCoordinatorId());
    }

    /** The run's summary plus what its page needs to lay out its charts. */
    JsonObject detail(RunRecord r) {
        RunPlan plan = r.plan();
        JsonArray phases = new JsonArray();
        for (Phase p : plan.getPhasesList()) {
            phases.add(new JsonObject()
                    .put("duration_ms", p.getDurationMillis())
                    .put("start_rate_per_s", p.getStartRatePerSecond())
                    .put("end_rate_per_s", p.getEndRatePerSecond())
                    .put("steps", p.getSteps()));
        }
        JsonArray takeovers = new JsonArray();
        r.takeovers()
                .forEach(t -> takeovers.add(new JsonObject()
                        .put("at_s", (t.getAtUnixNanos() - r.startUnixNanos()) / 1e9)
                        .put("from_coordinator", t.getFromCoordinatorId())
                        .put("to_coordinator", t.getToCoordinatorId())));
        JsonArray reslices = new JsonArray();
        r.reslices()
                .forEach(s -> reslices.add(new JsonObject()
                        .put("at_s", (s.getAtUnixNanos() - r.startUnixNanos()) / 1e9)
                        .put("epoch", s.getEpoch())
                        .put(
                                "cause",
                                s.getCause()
                                        .name()
                                        .replace("RESLICE_CAUSE_", "")
                                        .toLowerCase(java.util.Locale.ROOT))
                        .put("worker", s.getWorkerId())));
        return summary(r)
                .put("interval_millis", plan.getIntervalMillis())
                .put("method", plan.getRequest().getMethod())
                .put("phases", phases)
                .put("reslices", reslices)
                .put("takeovers", takeovers)
                .put("notes", new JsonArray(new ArrayList<>(r.notes())));
    }

    /**
     * Per worker: region, its latest reported interval (rate sent, scheduler lag), its clock offset as the run
     * recorded it, and whether it finished or was lost. Regions get their own table once workers carry regions
     * into the run's figures (issue 14); until then the page shows one "all" row from the merged snapshots.
     */
    JsonArray workers(RunRecord r) {
        Map<String, String> latestKey = new HashMap<>();
        Map<String, Long> latestIndex = new HashMap<>();
        Set<String> ids = new HashSet<>();
        r.workers().forEach(w -> ids.add(w.workerId()));
        for (String key : cluster.reports(r.runId()).keySet()) {
            int slash = key.indexOf('/');
            if (slash < 0) {
                continue;
            }
            String worker = key.substring(slash + 1);
            long index = Long.parseLong(key.substring(0, slash));
            if (ids.contains(worker) && index > latestIndex.getOrDefault(worker, -1L)) {
                latestIndex.put(worker, index);
                latestKey.put(worker, key);
            }
        }
        Map<String, byte[]> latest =
                latestKey.isEmpty() ? Map.of() : cluster.reports(r.runId()).getAll(new HashSet<>(latestKey.values()));
        double intervalSeconds = Math.max(1, r.plan().getIntervalMillis()) / 1000.0;
        JsonArray rows = new JsonArray();
        for (RunRecord.WorkerRecord w : r.workers()) {
            JsonObject row = new JsonObject()
                    .put("worker_id", w.workerId())
                    .put("region", w.hello().getRegion())
                    .put("weight", w.hello().getWeight())
                    .put("state", w.lost() ? "lost" : w.finished() ? "finished" : "active")
                    .put("clock_offset_ms", w.clockOffsetNanos() / 1e6)
                    .put("clock_round_trip_ms", w.clockRoundTripNanos() / 1e6);
            byte[] bytes = latestKey.containsKey(w.workerId()) ? latest.get(latestKey.get(w.workerId())) : null;
            IntervalReport report = parse(bytes);
            if (report != null) {
                row.put("last_interval_index", report.getIntervalIndex())
                        .put("last_report_end_s", (report.getIntervalIndex() + 1) * intervalSeconds)
                        .put("sent_rate_per_s", report.getSent() / intervalSeconds)
                        .put("completed_rate_per_s", report.getCompleted() / intervalSeconds)
                        .put("late_sends", report.getLateSends());
                Histogram lag = lag(report);
                if (lag != null && lag.getTotalCount() > 0) {
                    row.put("scheduler_lag_p99_ms", lag.getValueAtPercentile(99) / 1000.0)
                            .put("scheduler_lag_max_ms", lag.getMaxValue() / 1000.0);
                }
            }
            rows.add(row);
        }
        return rows;
    }

    private static IntervalReport parse(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        try {
            return IntervalReport.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            return null; // checked when it was received; an unreadable copy shows as "no report yet"
        }
    }

    private static Histogram lag(IntervalReport report) {
        if (report.getSchedulerLagMicros().isEmpty()) {
            return null;
        }
        try {
            return HistogramCodec.decode(report.getSchedulerLagMicros());
        } catch (HistogramCodec.CorruptHistogramException e) {
            return null;
        }
    }

    static long loadMillis(RunPlan plan) {
        return plan.getPhasesList().stream().mapToLong(Phase::getDurationMillis).sum();
    }
}
