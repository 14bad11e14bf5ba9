package io.salvo.coordinator.http;

import io.salvo.proto.v1.LiveEvent;
import io.salvo.proto.v1.LiveEventKind;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeCount;
import io.salvo.proto.v1.RunState;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;

/**
 * A live snapshot as the dashboard's JSON. The per-interval fields carry the names of {@code salvo run --json}
 * (docs/user-guide.md, "Live output for scripts"), so one vocabulary serves scripts and pages; the run-so-far and
 * plan-timeline fields of those lines are the CLI's own and are not repeated here. The histogram bytes are summed
 * on the server instead (the distribution endpoint).
 */
final class SnapshotJson {

    private SnapshotJson() {}

    static JsonObject interval(long sequence, LiveSnapshot s) {
        JsonObject o = new JsonObject()
                .put("type", "interval")
                .put("sequence", sequence)
                .put("run_id", s.getRunId())
                .put("state", stateName(s.getState()))
                .put("interval_index", s.getIntervalIndex())
                .put("interval_millis", s.getIntervalMillis())
                .put("elapsed_seconds", (s.getIntervalIndex() + 1) * s.getIntervalMillis() / 1000.0)
                .put("target_rate_per_second", s.getTargetRatePerSecond())
                .put("success_rate_per_second", s.getSuccessRatePerSecond())
                .put("sent", s.getSent())
                .put("completed", s.getCompleted())
                .put("successes", s.getSuccesses())
                .put("errors", s.getErrors());
        JsonObject outcomes = new JsonObject();
        for (OutcomeCount c : s.getOutcomeCountsList()) {
            outcomes.put(outcomeName(c.getOutcome()), c.getCount());
        }
        o.put("outcomes", outcomes);
        o.put(
                "latency_micros",
                new JsonObject()
                        .put("p50", s.getLatencyP50Micros())
                        .put("p95", s.getLatencyP95Micros())
                        .put("p99", s.getLatencyP99Micros())
                        .put("max", s.getLatencyMaxMicros()));
        o.put("late_sends", s.getLateSends())
                .put("unsent", s.getUnsent())
                .put("in_flight_cap_hits", s.getInFlightCapHits())
                .put("scheduler_lag_p99_micros", s.getSchedulerLagP99Micros())
                .put("scheduler_lag_max_micros", s.getSchedulerLagMaxMicros())
                .put("connection_wait_p99_micros", s.getConnectionWaitP99Micros())
                .put("connection_wait_max_micros", s.getConnectionWaitMaxMicros())
                .put("connection_waits", s.getConnectionWaits())
                .put("responding_instances", s.getRespondingInstances())
                .put("new_instances", s.getNewInstances())
                .put("cold_starts", s.getColdStarts())
                .put("workers_reported", s.getWorkersReported())
                .put("workers_assigned", s.getWorkersAssigned())
                .put("workers_connected", s.getWorkersConnected())
                .put("workers_lost", s.getWorkersLost());
        if (s.hasPlatform()) {
            // the platform under test's counts, as the client driving it last reported them (ReportPlatform)
            o.put(
                    "platform",
                    new JsonObject()
                            .put("ready", s.getPlatform().getReady())
                            .put("starting", s.getPlatform().getStarting())
                            .put("source", s.getPlatform().getSource()));
        } else {
            o.putNull("platform");
        }
        JsonArray events = new JsonArray();
        for (LiveEvent e : s.getLiveEventsList()) {
            JsonObject event = new JsonObject()
                    .put("kind", eventKindName(e.getKind()))
                    .put("offset_micros", e.getOffsetMicros())
                    .put("text", e.getText());
            if (e.hasPlatformEvent()) {
                event.put("severity", e.getPlatformEvent().getSeverity())
                        .put("reason", e.getPlatformEvent().getReason())
                        .put("object", e.getPlatformEvent().getObject())
                        .put("message", e.getPlatformEvent().getMessage());
            }
            events.add(event);
        }
        if (s.getLiveEventsCount() == 0) {
            for (String text : s.getEventsList()) {
                events.add(new JsonObject()
                        .put("kind", "unspecified")
                        .putNull("offset_micros")
                        .put("text", text));
            }
        }
        o.put("events", events);
        JsonArray regions = new JsonArray();
        for (LiveSnapshot r : s.getRegionsList()) {
            // Each region's own merge of the interval (a run whose plan has regions; empty otherwise).
            regions.add(new JsonObject()
                    .put("region", r.getRegion())
                    .put("target_rate_per_second", r.getTargetRatePerSecond())
                    .put("success_rate_per_second", r.getSuccessRatePerSecond())
                    .put("sent", r.getSent())
                    .put("errors", r.getErrors())
                    .put(
                            "latency_micros",
                            new JsonObject()
                                    .put("p50", r.getLatencyP50Micros())
                                    .put("p95", r.getLatencyP95Micros())
                                    .put("p99", r.getLatencyP99Micros())
                                    .put("max", r.getLatencyMaxMicros()))
                    .put("scheduler_lag_p99_micros", r.getSchedulerLagP99Micros())
                    .put("scheduler_lag_max_micros", r.getSchedulerLagMaxMicros())
                    .put("workers_reported", r.getWorkersReported())
                    .put("workers_assigned", r.getWorkersAssigned())
                    .put("workers_connected", r.getWorkersConnected())
                    .put("workers_lost", r.getWorkersLost())
                    .put("responding_instances", r.getRespondingInstances())
                    .put("cold_starts", r.getColdStarts()));
        }
        o.put("regions", regions);
        return o;
    }

    /** The run's end: its final state and why, and how many interval events came before. */
    static JsonObject end(long sequence, LiveSnapshot terminal, long intervals) {
        return new JsonObject()
                .put("type", "end")
                .put("sequence", sequence)
                .put("run_id", terminal.getRunId())
                .put("state", stateName(terminal.getState()))
                .put("message", terminal.getMessage())
                .put("intervals", intervals);
    }

    static boolean terminal(RunState state) {
        return state == RunState.RUN_STATE_COMPLETED
                || state == RunState.RUN_STATE_STOPPED
                || state == RunState.RUN_STATE_FAILED;
    }

    /** running, completed, failed ... */
    static String stateName(RunState state) {
        return state.name().replace("RUN_STATE_", "").toLowerCase(Locale.ROOT);
    }

    static String outcomeName(OutcomeClass outcome) {
        return switch (outcome) {
            case OUTCOME_CLASS_2XX -> "2xx";
            case OUTCOME_CLASS_4XX -> "4xx";
            case OUTCOME_CLASS_5XX -> "5xx";
            case OUTCOME_CLASS_TIMEOUT -> "timeout";
            case OUTCOME_CLASS_CONNECT_ERROR -> "connect_error";
            default -> "other";
        };
    }

    /** cold_start, first_success, steady_state, and whatever kinds are added later, by the same rule. */
    static String eventKindName(LiveEventKind kind) {
        return kind.name().replace("LIVE_EVENT_KIND_", "").toLowerCase(Locale.ROOT);
    }
}
