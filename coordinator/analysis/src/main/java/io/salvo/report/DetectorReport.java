package io.salvo.report;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.salvo.detect.DetectionEvent;
import io.salvo.detect.DetectorSettings;
import io.salvo.detect.DetectorSummary;
import io.salvo.detect.SteadyState;
import io.salvo.detect.TimeToFirstSuccess;
import io.salvo.detect.WarmLatency;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.SteadyStateRule;
import java.util.List;
import java.util.Locale;

/**
 * The detectors' results in the report: cold starts, time to first successful response, time to
 * steady state, warm latency and instances over time (definitions in docs/metrics.md). Times are
 * milliseconds from the run's interval-0 instant unless named otherwise.
 */
public record DetectorReport(
        @JsonProperty("thresholds") Thresholds thresholds,
        @JsonProperty("instance_source") String instanceSource,
        @JsonProperty("instance_source_label") String instanceSourceLabel,
        @JsonProperty("cold_starts") List<ColdStartRow> coldStarts,
        @JsonProperty("time_to_first_success") FirstSuccess timeToFirstSuccess,
        @JsonProperty("steady_state") Steady steadyState,
        @JsonProperty("warm_latency") Warm warmLatency,
        @JsonProperty("instances_over_time") List<Integer> instancesOverTime) {

    public record Thresholds(
            @JsonProperty("window_intervals") int windowIntervals,
            @JsonProperty("min_success_rate_ratio") double minSuccessRateRatio,
            @JsonProperty("max_error_ratio") double maxErrorRatio,
            @JsonProperty("max_p95_spread") double maxP95Spread) {}

    public record ColdStartRow(
            @JsonProperty("instance_id") String instanceId,
            @JsonProperty("interval") long interval,
            @JsonProperty("source") String source,
            @JsonProperty("first_response_latency_ms") Double firstResponseLatencyMillis,
            @JsonProperty("model_load_ms") Long modelLoadMillis) {}

    public record FirstSuccess(
            @JsonProperty("ms") double millis,
            @JsonProperty("lower_bound_ms") double lowerBoundMillis,
            @JsonProperty("resolution") String resolution,
            @JsonProperty("first_send_at_ms") double firstSendAtMillis,
            @JsonProperty("first_success_at_ms") double firstSuccessAtMillis,
            @JsonProperty("errors_before") long errorsBefore,
            @JsonProperty("errors_before_is_upper_bound") boolean errorsBeforeIsUpperBound) {}

    public record Steady(
            @JsonProperty("reached") boolean reached,
            @JsonProperty("start_interval") Long startInterval,
            @JsonProperty("time_to_steady_state_ms") Double timeToSteadyStateMillis,
            @JsonProperty("window_p95_min_ms") Double windowP95MinMillis,
            @JsonProperty("window_p95_max_ms") Double windowP95MaxMillis) {}

    /** Warm latency; the percentiles are null when no response counted (no steady-state interval). */
    public record Warm(
            @JsonProperty("count") long count,
            @JsonProperty("p50_ms") Double p50,
            @JsonProperty("p95_ms") Double p95,
            @JsonProperty("p99_ms") Double p99,
            @JsonProperty("steady_intervals") long steadyIntervals,
            @JsonProperty("cold_excluded_responses") long coldExcludedResponses,
            @JsonProperty("cold_exclusion") String coldExclusion) {}

    /** The detector thresholds a plan asks for, defaults where it is silent. */
    public static DetectorSettings settingsFor(RunPlan plan) {
        DetectorSettings settings = DetectorSettings.defaults(plan.getIntervalMillis());
        if (!plan.hasSteadyState()) {
            return settings;
        }
        SteadyStateRule rule = plan.getSteadyState();
        return new DetectorSettings(
                settings.intervalMicros(),
                rule.getWindowIntervals() > 0 ? rule.getWindowIntervals() : settings.steadyWindowIntervals(),
                rule.getMinSuccessRateRatio() > 0 ? rule.getMinSuccessRateRatio() : settings.minSuccessRateRatio(),
                rule.getMaxErrorRatio() > 0 ? rule.getMaxErrorRatio() : settings.maxErrorRatio(),
                rule.getMaxP95Spread() > 0 ? rule.getMaxP95Spread() : settings.maxP95Spread(),
                settings.instanceHeader());
    }

    static DetectorReport of(DetectorSummary summary) {
        DetectorSettings s = summary.settings();
        Thresholds thresholds =
                new Thresholds(s.steadyWindowIntervals(), s.minSuccessRateRatio(), s.maxErrorRatio(), s.maxP95Spread());
        List<ColdStartRow> coldStarts = summary.coldStarts().stream()
                .map(c -> new ColdStartRow(
                        c.instanceId(),
                        c.intervalIndex(),
                        lower(c.source().name()),
                        c.firstResponseLatencyMicros() == null ? null : c.firstResponseLatencyMicros() / 1000.0,
                        c.modelLoadMillis()))
                .toList();
        TimeToFirstSuccess t = summary.timeToFirstSuccess();
        FirstSuccess first = t == null
                ? null
                : new FirstSuccess(
                        t.micros() / 1000.0,
                        t.lowerBoundMicros() / 1000.0,
                        lower(t.resolution().name()),
                        t.firstSendOffsetMicros() / 1000.0,
                        t.firstSuccessOffsetMicros() / 1000.0,
                        t.errorsBefore(),
                        t.errorsBeforeIsUpperBound());
        SteadyState st = summary.steadyState();
        Steady steady = st == null || !st.reached()
                ? new Steady(false, null, null, null, null)
                : new Steady(
                        true,
                        st.startInterval(),
                        st.startOffsetMicros() / 1000.0,
                        st.windowMinP95Micros() / 1000.0,
                        st.windowMaxP95Micros() / 1000.0);
        WarmLatency w = summary.warmLatency();
        // The detectors say -1 µs for "no warm response"; the report says null, never a number.
        Warm warm = w == null
                ? null
                : new Warm(
                        w.count(),
                        warmMillis(w, w.p50Micros()),
                        warmMillis(w, w.p95Micros()),
                        warmMillis(w, w.p99Micros()),
                        w.steadyIntervals(),
                        w.coldExcludedResponses(),
                        w.coldExclusion() == null
                                ? null
                                : lower(w.coldExclusion().name()));
        List<Integer> instances = summary.instancesOverTime().stream()
                .map(DetectionEvent.InstancesInInterval::respondingInstances)
                .toList();
        return new DetectorReport(
                thresholds,
                lower(summary.instanceSource().name()),
                summary.instanceSourceLabel(),
                coldStarts,
                first,
                steady,
                warm,
                instances);
    }

    private static Double warmMillis(WarmLatency w, long micros) {
        return w.count() == 0 ? null : micros / 1000.0;
    }

    private static String lower(String name) {
        return name.toLowerCase(Locale.ROOT);
    }
}
