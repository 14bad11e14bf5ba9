package io.salvo.coordinator.http;

import com.google.protobuf.InvalidProtocolBufferException;
import io.salvo.coordinator.cluster.CoordinatorCluster;
import io.salvo.coordinator.cluster.ReportKey;
import io.salvo.coordinator.cluster.RunRecord;
import io.salvo.core.histogram.HistogramCodec;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.Phase;
import io.salvo.proto.v1.RegionShare;
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
 * The run list, a run's description and its per-worker and per-region tables, read from the replicated state (run records and
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
     * recorded it, and whether it finished or was lost; then per region the same clock and last-report figures
     * summed up over its workers.
     */
    JsonObject workersAndRegions(RunRecord r) {
        Map<String, IntervalReport> latest = latestReports(r);
        return new JsonObject()
                .put("run_id", r.runId())
                .put("workers", workers(r, latest))
                .put("regions", regions(r, latest));
    }

    /** Each worker's newest report in the replicated reports (absent for a worker that has not reported yet). */
    private Map<String, IntervalReport> latestReports(RunRecord r) {
        Map<String, String> latestKey = new HashMap<>();
        Map<String, Long> latestIndex = new HashMap<>();
        Set<String> ids = new HashSet<>();
        r.workers().forEach(w -> ids.add(w.workerId()));
        for (String key : cluster.reports(r.runId()).keySet()) {
            ReportKey.parse(key).ifPresent(parsed -> {
                String worker = parsed.workerId();
                if (ids.contains(worker) && parsed.intervalIndex() > latestIndex.getOrDefault(worker, -1L)) {
                    latestIndex.put(worker, parsed.intervalIndex());
                    latestKey.put(worker, key);
                }
            });
        }
        Map<String, byte[]> bytes =
                latestKey.isEmpty() ? Map.of() : cluster.reports(r.runId()).getAll(new HashSet<>(latestKey.values()));
        Map<String, IntervalReport> latest = new HashMap<>();
        latestKey.forEach((worker, key) -> {
            IntervalReport report = parse(bytes.get(key));
            if (report != null) {
                latest.put(worker, report);
            }
        });
        return latest;
    }

    private static JsonArray workers(RunRecord r, Map<String, IntervalReport> latest) {
        double intervalSeconds = intervalSeconds(r);
        JsonArray rows = new JsonArray();
        for (RunRecord.WorkerRecord w : r.workers()) {
            JsonObject row = new JsonObject()
                    .put("worker_id", w.workerId())
                    .put("region", w.hello().getRegion())
                    .put("weight", w.hello().getWeight())
                    .put("state", w.lost() ? "lost" : w.finished() ? "finished" : "active")
                    .put("clock_offset_ms", w.clockOffsetNanos() / 1e6)
                    .put("clock_round_trip_ms", w.clockRoundTripNanos() / 1e6);
            IntervalReport report = latest.get(w.workerId());
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

    /**
     * "all" (every worker of the run), then each region of the plan in plan order: its workers (replacements
     * included) and how many were lost, the range of their clock offsets, the region's clock error bound (the largest
     * half round trip of its workers' best probes, as the report's {@code regions[].clock_error_bound_ms}), and the
     * newest interval any of them reported. A worker whose clock was never probed (round trip -1) has no offset
     * estimate, so it is left out of the clock figures rather than counted as offset 0.
     */
    private static JsonArray regions(RunRecord r, Map<String, IntervalReport> latest) {
        JsonArray rows = new JsonArray();
        rows.add(region("all", r.workers(), latest, intervalSeconds(r)));
        for (RegionShare share : r.plan().getRegionsList()) {
            List<RunRecord.WorkerRecord> members = r.workers().stream()
                    .filter(w -> w.hello().getRegion().equals(share.getRegion()))
                    .toList();
            rows.add(region(share.getRegion(), members, latest, intervalSeconds(r)));
        }
        return rows;
    }

    private static JsonObject region(
            String name,
            List<RunRecord.WorkerRecord> members,
            Map<String, IntervalReport> latest,
            double intervalSeconds) {
        long minOffset = Long.MAX_VALUE;
        long maxOffset = Long.MIN_VALUE;
        long worstRoundTrip = -1;
        long lastIndex = -1;
        int lost = 0;
        for (RunRecord.WorkerRecord w : members) {
            if (w.lost()) {
                lost++;
            }
            if (w.clockRoundTripNanos() >= 0) {
                minOffset = Math.min(minOffset, w.clockOffsetNanos());
                maxOffset = Math.max(maxOffset, w.clockOffsetNanos());
                worstRoundTrip = Math.max(worstRoundTrip, w.clockRoundTripNanos());
            }
            IntervalReport report = latest.get(w.workerId());
            if (report != null) {
                lastIndex = Math.max(lastIndex, report.getIntervalIndex());
            }
        }
        JsonObject row = new JsonObject()
                .put("region", name)
                .put("workers", members.size())
                .put("workers_lost", lost)
                .put("clock_offset_min_ms", worstRoundTrip >= 0 ? minOffset / 1e6 : null)
                .put("clock_offset_max_ms", worstRoundTrip >= 0 ? maxOffset / 1e6 : null)
                .put("clock_error_bound_ms", worstRoundTrip >= 0 ? worstRoundTrip / 2e6 : null);
        if (lastIndex >= 0) {
            row.put("last_interval_index", lastIndex).put("last_report_end_s", (lastIndex + 1) * intervalSeconds);
        }
        return row;
    }

    private static double intervalSeconds(RunRecord r) {
        return Math.max(1, r.plan().getIntervalMillis()) / 1000.0;
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
