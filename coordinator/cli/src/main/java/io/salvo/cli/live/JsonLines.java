package io.salvo.cli.live;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.salvo.proto.v1.LiveEvent;
import io.salvo.proto.v1.LiveEventKind;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeCount;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * One JSON object per line for scripts: {@code "type": "interval"} for each interval, then one
 * {@code "type": "end"} with the final state. The field names are a stable interface, documented in
 * docs/user-guide.md ("Live output for scripts"); add fields, never rename them.
 */
public final class JsonLines implements LiveOutput {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final RunProgress progress;
    private final PrintStream out;

    public JsonLines(RunProgress progress, PrintStream out) {
        this.progress = progress;
        this.out = out;
    }

    @Override
    public void interval(LiveSnapshot s) {
        progress.add(s);
        print(intervalObject(s));
    }

    /**
     * {@code "type": "platform"}: the platform's instance counts after an interval and its new events.
     */
    @Override
    public void platform(PlatformUpdate update) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("type", "platform");
        o.put("interval_index", update.intervalIndex());
        o.put("ready_instances", update.ready());
        o.put("starting_instances", update.starting());
        ArrayNode events = o.putArray("events");
        for (var e : update.events()) {
            ObjectNode event = events.addObject();
            event.put("at", e.at().toString());
            event.put("severity", e.severity());
            event.put("object", e.object());
            event.put("reason", e.reason());
            event.put("message", e.message());
        }
        print(o);
    }

    @Override
    public void ended(LiveSnapshot terminal) {
        progress.end(terminal);
        print(endObject(terminal));
    }

    private void print(ObjectNode node) {
        try {
            out.println(MAPPER.writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e); // a tree of plain values always serializes
        }
        out.flush();
    }

    ObjectNode intervalObject(LiveSnapshot s) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("type", "interval");
        o.put("run_id", s.getRunId());
        o.put("state", RunProgress.stateName(s.getState()));
        o.put("interval_index", s.getIntervalIndex());
        o.put("interval_millis", progress.intervalMillis());
        o.put("elapsed_seconds", progress.elapsedMillis() / 1000.0);
        o.put("total_seconds", progress.timeline().totalMillis() / 1000.0);
        int phase = progress.phaseIndex();
        if (phase >= 0) {
            o.put("phase_index", phase);
        } else {
            o.putNull("phase_index");
        }
        o.put("phase_count", progress.timeline().phaseCount());
        o.put("target_rate_per_second", s.getTargetRatePerSecond());
        o.put("success_rate_per_second", s.getSuccessRatePerSecond());
        o.put("sent", s.getSent());
        o.put("completed", s.getCompleted());
        o.put("successes", s.getSuccesses());
        o.put("errors", s.getErrors());
        ObjectNode outcomes = o.putObject("outcomes");
        for (OutcomeCount c : s.getOutcomeCountsList()) {
            outcomes.put(RunProgress.outcomeName(c.getOutcome()), c.getCount());
        }
        ObjectNode latency = o.putObject("latency_micros");
        latency.put("p50", s.getLatencyP50Micros());
        latency.put("p95", s.getLatencyP95Micros());
        latency.put("p99", s.getLatencyP99Micros());
        latency.put("max", s.getLatencyMaxMicros());
        runSoFar(o);
        o.put("late_sends", s.getLateSends());
        o.put("unsent", s.getUnsent());
        o.put("in_flight_cap_hits", s.getInFlightCapHits());
        o.put("scheduler_lag_p99_micros", s.getSchedulerLagP99Micros());
        o.put("scheduler_lag_max_micros", s.getSchedulerLagMaxMicros());
        o.put("connection_wait_p99_micros", s.getConnectionWaitP99Micros());
        o.put("connection_wait_max_micros", s.getConnectionWaitMaxMicros());
        o.put("connection_waits", s.getConnectionWaits());
        o.put("responding_instances", s.getRespondingInstances());
        o.put("new_instances", s.getNewInstances());
        o.put("workers_reported", s.getWorkersReported());
        o.put("workers_assigned", s.getWorkersAssigned());
        o.put("workers_connected", s.getWorkersConnected());
        o.put("workers_lost", s.getWorkersLost());
        o.put("cold_starts", s.getColdStarts());
        ArrayNode regions = o.putArray("regions");
        for (LiveSnapshot r : s.getRegionsList()) {
            ObjectNode region = regions.addObject();
            region.put("region", r.getRegion());
            region.put("target_rate_per_second", r.getTargetRatePerSecond());
            region.put("success_rate_per_second", r.getSuccessRatePerSecond());
            region.put("sent", r.getSent());
            region.put("completed", r.getCompleted());
            region.put("successes", r.getSuccesses());
            region.put("errors", r.getErrors());
            ObjectNode regionLatency = region.putObject("latency_micros");
            regionLatency.put("p50", r.getLatencyP50Micros());
            regionLatency.put("p95", r.getLatencyP95Micros());
            regionLatency.put("p99", r.getLatencyP99Micros());
            regionLatency.put("max", r.getLatencyMaxMicros());
            region.put("late_sends", r.getLateSends());
            region.put("workers_reported", r.getWorkersReported());
            region.put("workers_assigned", r.getWorkersAssigned());
        }
        ArrayNode events = o.putArray("events");
        addEvents(events, s);
        if (s.getLiveEventsCount() == 0) {
            for (String text : s.getEventsList()) {
                events.addObject()
                        .put("kind", "unspecified")
                        .putNull("offset_micros")
                        .put("text", text);
            }
        }
        return o;
    }

    /** worker_id, workers and epoch only where the kind has them (a worker lost, a re-slice). */
    private static void addEvents(ArrayNode events, LiveSnapshot s) {
        for (LiveEvent e : s.getLiveEventsList()) {
            if (PlatformUpdate.isPlatform(e)) {
                continue; // in the "platform" line that follows the interval's
            }
            ObjectNode event = events.addObject()
                    .put("kind", RunProgress.eventKindName(e.getKind()))
                    .put("offset_micros", e.getOffsetMicros())
                    .put("text", e.getText());
            if (e.getKind() == LiveEventKind.LIVE_EVENT_KIND_WORKER_LOST
                    || e.getKind() == LiveEventKind.LIVE_EVENT_KIND_RESLICE) {
                event.put("worker_id", e.getWorkerId());
            }
            if (e.getKind() == LiveEventKind.LIVE_EVENT_KIND_RESLICE) {
                event.put("workers", e.getWorkers()).put("epoch", e.getEpoch());
            }
        }
    }

    ObjectNode endObject(LiveSnapshot terminal) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("type", "end");
        o.put("run_id", progress.runId());
        o.put("state", RunProgress.stateName(progress.state()));
        o.put("message", progress.endMessage());
        o.put("intervals", progress.intervals());
        o.put("elapsed_seconds", progress.elapsedMillis() / 1000.0);
        runSoFar(o);
        o.put("workers_lost", terminal.getWorkersLost());
        o.put("cold_starts", terminal.getColdStarts());
        addEvents(o.putArray("events"), terminal);
        return o;
    }

    /** The run so far: totals, outcomes and the exact latency percentiles of every response. */
    private void runSoFar(ObjectNode o) {
        ObjectNode run = o.putObject("run");
        run.put("sent", progress.sent());
        run.put("successes", progress.successes());
        run.put("errors", progress.errors());
        run.put("late_sends", progress.lateSends());
        ObjectNode outcomes = run.putObject("outcomes");
        for (Map.Entry<OutcomeClass, Long> e : progress.runOutcomes().entrySet()) {
            outcomes.put(RunProgress.outcomeName(e.getKey()), e.getValue());
        }
        Histogram h = progress.runLatency();
        ObjectNode latency = run.putObject("latency_micros");
        latency.put("count", h.getTotalCount());
        if (h.getTotalCount() == 0) {
            latency.putNull("p50").putNull("p95").putNull("p99").putNull("max");
        } else {
            latency.put("p50", h.getValueAtPercentile(50));
            latency.put("p95", h.getValueAtPercentile(95));
            latency.put("p99", h.getValueAtPercentile(99));
            latency.put("max", h.getMaxValue());
        }
    }
}
