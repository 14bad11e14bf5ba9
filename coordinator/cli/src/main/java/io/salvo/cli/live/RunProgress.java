package io.salvo.cli.live;

import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.proto.v1.LiveEvent;
import io.salvo.proto.v1.LiveEventKind;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeCount;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.RunState;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Logger;
import org.HdrHistogram.Histogram;

/**
 * What the live views show, built up from a run's snapshots in order: the latest interval, the run so far
 * (totals, and latency percentiles of the exact sum of every interval's histogram) and the latest events.
 * Not thread-safe: a view feeds it from the one thread that reads the live stream.
 */
public final class RunProgress {

    private static final Logger LOG = Logger.getLogger(RunProgress.class.getName());

    /** Events the table keeps on screen. */
    static final int RECENT_EVENTS = 4;

    private final RunPlan plan;
    private final PlanTimeline timeline;
    private final Histogram runLatency = HistogramSpec.newHistogram();
    private final Map<OutcomeClass, Long> runOutcomes = new EnumMap<>(OutcomeClass.class);
    private final Deque<LiveEvent> recentEvents = new ArrayDeque<>();
    private LiveSnapshot latest;
    private String runId = "";
    private RunState state = RunState.RUN_STATE_UNSPECIFIED;
    private String endMessage = "";
    private long intervals;
    private long sent;
    private long successes;
    private long errors;
    private long lateSends;
    /** Intervals whose histogram could not be decoded: the run-so-far percentiles leave them out. */
    private long unreadableHistograms;

    public RunProgress(RunPlan plan) {
        this.plan = plan;
        this.timeline = new PlanTimeline(plan);
    }

    /** Takes one interval's snapshot (each once, in index order). */
    public void add(LiveSnapshot s) {
        latest = s;
        runId = s.getRunId();
        state = s.getState();
        intervals++;
        sent += s.getSent();
        successes += s.getSuccesses();
        errors += s.getErrors();
        lateSends += s.getLateSends();
        for (OutcomeCount c : s.getOutcomeCountsList()) {
            runOutcomes.merge(c.getOutcome(), c.getCount(), Long::sum);
        }
        if (!s.getLatencyMicros().isEmpty()) {
            try {
                runLatency.add(HistogramCodec.decode(s.getLatencyMicros()));
            } catch (HistogramCodec.CorruptHistogramException e) {
                unreadableHistograms++;
                LOG.warning(() -> "interval " + s.getIntervalIndex() + ": unreadable latency histogram left out: "
                        + e.getMessage());
            }
        }
        List<LiveEvent> events = new ArrayList<>(s.getLiveEventsList());
        if (events.isEmpty()) {
            // A coordinator of an earlier revision sends only the text: place it at the interval's start.
            long startMicros = s.getIntervalIndex() * intervalMillis() * 1000;
            for (String text : s.getEventsList()) {
                events.add(LiveEvent.newBuilder()
                        .setKind(LiveEventKind.LIVE_EVENT_KIND_UNSPECIFIED)
                        .setOffsetMicros(startMicros)
                        .setText(text)
                        .build());
            }
        }
        remember(events);
    }

    private void remember(List<LiveEvent> events) {
        for (LiveEvent e : events) {
            recentEvents.addLast(e);
            if (recentEvents.size() > RECENT_EVENTS) {
                recentEvents.removeFirst();
            }
        }
    }

    /** Takes the terminal snapshot: the final state and why. */
    public void end(LiveSnapshot terminal) {
        if (!terminal.getRunId().isEmpty()) {
            runId = terminal.getRunId();
        }
        state = terminal.getState();
        endMessage = terminal.getMessage();
        // The run's own events not yet shown when it ended (a worker lost at the end) come with the terminal one.
        remember(terminal.getLiveEventsList());
    }

    public RunPlan plan() {
        return plan;
    }

    public PlanTimeline timeline() {
        return timeline;
    }

    /** The latest interval's snapshot, or null before the first. */
    public LiveSnapshot latest() {
        return latest;
    }

    public String runId() {
        return runId;
    }

    public RunState state() {
        return state;
    }

    public String endMessage() {
        return endMessage;
    }

    public long intervals() {
        return intervals;
    }

    /** Length of the latest interval, milliseconds. */
    public long intervalMillis() {
        return timeline.intervalMillis(latest == null ? 0 : latest.getIntervalMillis());
    }

    /** Time from the run's start to the end of the latest interval, milliseconds. */
    public long elapsedMillis() {
        return latest == null ? 0 : (latest.getIntervalIndex() + 1) * intervalMillis();
    }

    /** The phase of the latest interval (by its start), or -1 while draining or before the first interval. */
    public int phaseIndex() {
        return latest == null ? -1 : timeline.phaseAt(latest.getIntervalIndex() * intervalMillis());
    }

    public long sent() {
        return sent;
    }

    public long successes() {
        return successes;
    }

    public long errors() {
        return errors;
    }

    public long lateSends() {
        return lateSends;
    }

    /** Responses per outcome class over the run so far, in the enum's order. */
    public Map<OutcomeClass, Long> runOutcomes() {
        return Collections.unmodifiableMap(runOutcomes);
    }

    /** The exact latency distribution of every response so far (all outcomes), microseconds. */
    public Histogram runLatency() {
        return runLatency;
    }

    public long unreadableHistograms() {
        return unreadableHistograms;
    }

    /** The latest events, oldest first. */
    public List<LiveEvent> recentEvents() {
        return List.copyOf(recentEvents);
    }

    /** The name scripts and people see for an outcome class, as in the JSON report: 2xx, 4xx, 5xx, timeout, connect_error. */
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

    /** running, completed, failed ... */
    static String stateName(RunState state) {
        return state.name().replace("RUN_STATE_", "").toLowerCase(Locale.ROOT);
    }

    /** cold_start, first_success, steady_state (unspecified for a coordinator that sends only text). */
    static String eventKindName(LiveEventKind kind) {
        return kind.name().replace("LIVE_EVENT_KIND_", "").toLowerCase(Locale.ROOT);
    }
}
