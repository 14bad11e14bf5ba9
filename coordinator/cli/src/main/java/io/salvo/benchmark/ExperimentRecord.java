package io.salvo.benchmark;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * One benchmark run as saved to disk ({@code <model>.<profile>.<experiment>.json}) and read back by
 * {@code salvo compare}: what ran, on which emulated platform and machine, and what Salvo's detectors measured
 * next to the platform's ground truth. The run's full report ({@code runs/<run-id>.json}, .hlog) sits beside it.
 */
public record ExperimentRecord(
        @JsonProperty("schema_version") int schemaVersion,
        @JsonProperty("experiment") Experiment experiment,
        @JsonProperty("model") ModelFacts model,
        @JsonProperty("platform") String platform,
        @JsonProperty("profile") String profile,
        @JsonProperty("platform_label") String platformLabel,
        @JsonProperty("emulation") boolean emulation,
        @JsonProperty("scaling") Scaling scaling,
        @JsonProperty("rate_per_s") double ratePerSecond,
        @JsonProperty("load_duration_s") double loadDurationSeconds,
        @JsonProperty("run_id") String runId,
        @JsonProperty("run_state") String runState,
        @JsonProperty("run_report") String runReport,
        @JsonProperty("machine") MachineInfo machine,
        @JsonProperty("measured") Measured measured,
        @JsonProperty("ground_truth") GroundTruth groundTruth,
        @JsonProperty("cell") String cell,
        @JsonProperty("cold_check") String coldCheck,
        @JsonProperty("cost") CostEstimate cost,
        @JsonProperty("platform_breakdown") PlatformBreakdown platformBreakdown) {

    /**
     * Version 1 throughout: {@code cell}, {@code cold_check}, {@code cost} and {@code platform_breakdown} were added as
     * optional fields (null in records written before them, and read as null from them).
     */
    public static final int SCHEMA_VERSION = 1;

    /**
     * Where this run's cold starts spent their time, as the platform driver broke them down (Kubernetes, Knative:
     * created → scheduled → node → image pulled → started → ready → first response); the full breakdown, per cold
     * start and with the platform's events, is in {@code file} and in the run report's {@code platform} section.
     *
     * @param file        the run's {@code <run-id>-platform.json}, relative to the benchmark's folder
     * @param coldStarts  how many cold starts the platform broke down
     * @param phases      per phase: how many cold starts went through it, lower median and max (last row: total)
     * @param warnings    the platform's warning events during the run (FailedScheduling and the like)
     */
    public record PlatformBreakdown(
            @JsonProperty("file") String file,
            @JsonProperty("cold_starts") int coldStarts,
            @JsonProperty("phases") List<io.salvo.report.PlatformSection.PhaseRow> phases,
            @JsonProperty("warnings") int warnings) {}

    /** This record with the platform's breakdown of its run. */
    public ExperimentRecord withPlatformBreakdown(PlatformBreakdown breakdown) {
        return new ExperimentRecord(
                schemaVersion,
                experiment,
                model,
                platform,
                profile,
                platformLabel,
                emulation,
                scaling,
                ratePerSecond,
                loadDurationSeconds,
                runId,
                runState,
                runReport,
                machine,
                measured,
                groundTruth,
                cell,
                coldCheck,
                cost,
                breakdown);
    }

    /** A record without the matrix's fields (cell, cold check, cost). */
    public ExperimentRecord(
            int schemaVersion,
            Experiment experiment,
            ModelFacts model,
            String platform,
            String profile,
            String platformLabel,
            boolean emulation,
            Scaling scaling,
            double ratePerSecond,
            double loadDurationSeconds,
            String runId,
            String runState,
            String runReport,
            MachineInfo machine,
            Measured measured,
            GroundTruth groundTruth) {
        this(
                schemaVersion,
                experiment,
                model,
                platform,
                profile,
                platformLabel,
                emulation,
                scaling,
                ratePerSecond,
                loadDurationSeconds,
                runId,
                runState,
                runReport,
                machine,
                measured,
                groundTruth,
                null,
                null,
                null,
                null);
    }

    public enum Experiment {
        /** Constant rate from zero instances: time to first response, time to steady state, cold starts. */
        @JsonProperty("cold-start")
        COLD_START,
        /** Constant low rate on instances already warm: warm-start latency. */
        @JsonProperty("warm")
        WARM;

        public String fileName() {
            return this == COLD_START ? "cold-start" : "warm";
        }
    }

    public record Scaling(
            @JsonProperty("concurrency_per_instance") int concurrency,
            @JsonProperty("min_instances") int minInstances,
            @JsonProperty("max_instances") int maxInstances,
            @JsonProperty("scale_out_delay_ms") long scaleOutDelayMillis,
            @JsonProperty("idle_timeout_ms") long idleTimeoutMillis) {}

    /**
     * Salvo's measurement. Null numbers mean "not reached" (no 2xx, no steady window, no warm interval).
     *
     * @param firstSendOffsetMillis    the worker's first send, ms since the run's interval-0 instant (null without a 2xx)
     * @param firstSuccessOffsetMillis the worker's first 2xx completion, same base; both ends of the measured time to
     *                                 first response, comparable with the ground truth's router instants
     * @param warmBasis which responses the warm percentiles come from
     */
    public record Measured(
            @JsonProperty("intended") long intended,
            @JsonProperty("successes") long successes,
            @JsonProperty("errors") long errors,
            @JsonProperty("instance_source") String instanceSource,
            @JsonProperty("time_to_first_success_ms") Double timeToFirstSuccessMillis,

            @JsonProperty("time_to_first_success_resolution")
            String timeToFirstSuccessResolution,

            @JsonProperty("errors_before_first_success") Long errorsBeforeFirstSuccess,
            @JsonProperty("first_send_offset_ms") Double firstSendOffsetMillis,
            @JsonProperty("first_success_offset_ms") Double firstSuccessOffsetMillis,
            @JsonProperty("steady_state_reached") boolean steadyStateReached,
            @JsonProperty("time_to_steady_state_s") Double timeToSteadyStateSeconds,
            @JsonProperty("steady_state_rule") String steadyStateRule,
            @JsonProperty("warm_p50_ms") Double warmP50Millis,
            @JsonProperty("warm_p95_ms") Double warmP95Millis,
            @JsonProperty("warm_p99_ms") Double warmP99Millis,
            @JsonProperty("warm_count") long warmCount,
            @JsonProperty("warm_basis") String warmBasis,
            @JsonProperty("cold_starts") List<ColdStartRow> coldStarts) {}

    public record ColdStartRow(
            @JsonProperty("instance_id") String instanceId,
            @JsonProperty("interval") long interval,
            @JsonProperty("first_response_latency_ms") Double firstResponseLatencyMillis,
            @JsonProperty("model_load_ms") Long modelLoadMillis) {}

    /**
     * What the platform itself recorded (the local emulator sees every request and instance).
     *
     * @param timeToFirstSuccessMillis router's first request to its first 2xx reply since the forced cold start;
     *                                 null for warm runs
     * @param firstRequestOffsetMillis the router received the first request, ms since the run's interval-0 instant;
     *                                 null for warm runs
     * @param firstSuccessOffsetMillis the router sent the first 2xx, same base; null for warm runs
     * @param instances                instances that served their first reply during this run
     */
    public record GroundTruth(
            @JsonProperty("source") String source,
            @JsonProperty("time_to_first_success_ms") Double timeToFirstSuccessMillis,
            @JsonProperty("first_request_offset_ms") Double firstRequestOffsetMillis,
            @JsonProperty("first_success_offset_ms") Double firstSuccessOffsetMillis,
            @JsonProperty("instances") List<TruthInstance> instances) {}

    public record TruthInstance(
            @JsonProperty("name") String name,
            @JsonProperty("instance_id") String instanceId,
            @JsonProperty("spawned_offset_s") Double spawnedOffsetSeconds,
            @JsonProperty("ready_offset_s") Double readyOffsetSeconds,
            @JsonProperty("first_routed_offset_s") Double firstRoutedOffsetSeconds,
            @JsonProperty("first_reply_offset_s") Double firstReplyOffsetSeconds,
            @JsonProperty("model_load_ms") Long modelLoadMillis) {}
}
