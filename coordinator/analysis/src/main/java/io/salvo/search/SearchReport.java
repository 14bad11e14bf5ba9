package io.salvo.search;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.salvo.thresholds.ThresholdResult;
import java.util.List;
import java.util.Locale;

/**
 * A capacity search for people (a table of steps and the conclusion) and for scripts (JSON, {@code schema_version}
 * 1; fields are added, never renamed or removed). Latencies in milliseconds, rates per second.
 */
public record SearchReport(
        @JsonProperty("schema_version") int schemaVersion,
        @JsonProperty("plan") String plan,
        @JsonProperty("objectives") List<String> objectives,
        @JsonProperty("precision_percent") double precisionPercent,
        @JsonProperty("conclusion") String conclusion,
        @JsonProperty("answered") boolean answered,
        @JsonProperty("capacity_per_s") Double capacity,
        @JsonProperty("lowest_failing_per_s") Double lowestFailing,
        @JsonProperty("message") String message,
        @JsonProperty("steps") List<Step> steps) {

    public static final int SCHEMA_VERSION = 1;

    public record Step(
            @JsonProperty("rate_per_s") double rate,
            @JsonProperty("verdict") String verdict,
            @JsonProperty("reason") String reason,
            @JsonProperty("steady_state") boolean steadyState,
            @JsonProperty("judged_intervals") int judgedIntervals,
            @JsonProperty("achieved_rate_per_s") double achievedRate,
            @JsonProperty("success_rate_per_s") double successRate,
            @JsonProperty("p50_ms") Double p50,
            @JsonProperty("p95_ms") Double p95,
            @JsonProperty("p99_ms") Double p99,
            @JsonProperty("error_percent") Double errorPercent,
            @JsonProperty("scheduler_lag_p99_max_ms") Double schedulerLagP99Max,
            @JsonProperty("connection_wait_p99_max_ms") Double connectionWaitP99Max,
            @JsonProperty("service_time_p99_floor_ms") Double serviceTimeP99Floor,
            @JsonProperty("late_sends") long lateSends,
            @JsonProperty("objectives") List<Objective> objectives,
            @JsonProperty("run_id") String runId) {}

    public record Objective(
            @JsonProperty("criterion") String criterion,
            @JsonProperty("observed") Double observed,
            @JsonProperty("passed") boolean passed) {}

    public static SearchReport of(String plan, SearchSettings settings, SearchOutcome outcome) {
        return new SearchReport(
                SCHEMA_VERSION,
                plan,
                settings.objectives().stream().map(c -> c.text()).toList(),
                100 * settings.precision(),
                outcome.conclusion().label(),
                outcome.answered(),
                outcome.highestPassingRate(),
                outcome.lowestFailingRate(),
                outcome.message(),
                outcome.steps().stream().map(SearchReport::step).toList());
    }

    private static Step step(StepResult s) {
        StepFigures f = s.figures();
        return new Step(
                f.rate(),
                s.verdict().label(),
                s.reason(),
                f.steadyState(),
                f.judgedIntervals(),
                f.achievedRate(),
                f.successRate(),
                f.p50(),
                f.p95(),
                f.p99(),
                f.errorPercent(),
                f.schedulerLagP99Max(),
                f.connectionWaitP99Max(),
                f.serviceTimeFloor().p99(),
                f.lateSends(),
                s.objectives().stream().map(SearchReport::objective).toList(),
                s.runId());
    }

    private static Objective objective(ThresholdResult r) {
        return new Objective(r.criterion().text(), r.observed(), r.passed());
    }

    /** The table of steps and the conclusion, as the console shows them. */
    public String console() {
        StringBuilder out = new StringBuilder();
        out.append(String.format(
                Locale.ROOT,
                "%-5s %10s %10s %9s %9s %9s %8s  %-15s %s%n",
                "step",
                "rate/s",
                "achieved",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "errors",
                "verdict",
                "why"));
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            out.append(String.format(
                    Locale.ROOT,
                    "%-5d %10s %10s %9s %9s %9s %8s  %-15s %s%n",
                    i + 1,
                    CapacitySearch.rate(s.rate()),
                    String.format(Locale.ROOT, "%.1f", s.achievedRate()),
                    millis(s.p50()),
                    millis(s.p95()),
                    millis(s.p99()),
                    s.errorPercent() == null ? "-" : String.format(Locale.ROOT, "%.2f%%", s.errorPercent()),
                    s.verdict().toUpperCase(Locale.ROOT),
                    s.reason()));
        }
        out.append(System.lineSeparator());
        if (capacity != null && answered) {
            out.append(String.format(
                    Locale.ROOT,
                    "Highest rate within the objectives: %s/s%s%n",
                    CapacitySearch.rate(capacity),
                    lowestFailing == null ? " (or more)" : " (" + CapacitySearch.rate(lowestFailing) + "/s failed)"));
        } else if (capacity != null) {
            out.append(String.format(
                    Locale.ROOT,
                    "Highest passing rate so far: %s/s (not conclusive)%n",
                    CapacitySearch.rate(capacity)));
        }
        out.append(message).append(System.lineSeparator());
        return out.toString();
    }

    private static String millis(Double value) {
        return value == null ? "-" : String.format(Locale.ROOT, "%.2f", value);
    }
}
