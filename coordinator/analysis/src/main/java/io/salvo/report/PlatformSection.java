package io.salvo.report;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The platform's side of a run inside the JSON report ({@code "platform"}; null for a run without a platform driver):
 * each cold start broken down into its phases, the table per run (count, lower median and max of each phase), the
 * instance counts over time, the platform's events and its billed usage. The same figures as the
 * {@code <run>-platform.json} file beside the report (ADR 0016), now in the report itself so the HTML report and any
 * reader of the JSON see them (ADR "platform signals in the report and the live feed").
 *
 * <p>Additive within report schema 1, and versioned on its own by {@code version}: fields are added, never renamed.
 * Instants are ISO-8601; {@code *_offset_ms} are milliseconds since the run's interval-0 instant ({@code run.start}),
 * negative for what happened before the load (a pod created by the scale-up at load start shows as ~0).
 *
 * <p>Built by the CLI from its platform driver (the analysis layer knows no platforms); this type only carries it.
 *
 * @param version        this section's format, {@value #VERSION}
 * @param source         the platform and deployment, e.g. {@code kubernetes Deployment bench/salvo-model-r1}
 * @param runStart       the instant the offsets count from
 * @param coldStartCheck the driver's verdict on the forced cold start before this run ({@code verified},
 *                       {@code reused_instance}, {@code prestarted_instance}, {@code pending}), or null when none
 *                       was forced or the driver does not judge it
 */
public record PlatformSection(
        @JsonProperty("version") int version,
        @JsonProperty("source") String source,
        @JsonProperty("run_start") String runStart,
        @JsonProperty("cold_start_check") String coldStartCheck,
        @JsonProperty("cold_starts") List<ColdStart> coldStarts,
        @JsonProperty("phase_table") List<PhaseRow> phaseTable,
        @JsonProperty("instance_counts") List<CountSample> instanceCounts,
        @JsonProperty("events") List<Event> events,
        @JsonProperty("usage") List<Usage> usage) {

    public static final int VERSION = 1;

    public PlatformSection {
        coldStarts = coldStarts == null ? List.of() : List.copyOf(coldStarts);
        phaseTable = phaseTable == null ? List.of() : List.copyOf(phaseTable);
        instanceCounts = instanceCounts == null ? List.of() : List.copyOf(instanceCounts);
        events = events == null ? List.of() : List.copyOf(events);
        usage = usage == null ? List.of() : List.copyOf(usage);
    }

    /**
     * One cold start: consecutive phases from the platform creating the instance to its first response.
     *
     * @param instance     the platform's name for it (a pod)
     * @param instanceId   its {@code Salvo-Instance-Id}; null when no response from it was seen
     * @param placement    where it ran (a node); null when unknown
     * @param complete     whether it reached its last boundary
     * @param modelLoadMs  what the model server said loading took; null when unknown
     * @param totalMs      first phase's start to last phase's end
     */
    public record ColdStart(
            @JsonProperty("instance") String instance,
            @JsonProperty("instance_id") String instanceId,
            @JsonProperty("placement") String placement,
            @JsonProperty("complete") boolean complete,
            @JsonProperty("model_load_ms") Long modelLoadMs,
            @JsonProperty("total_ms") long totalMs,
            @JsonProperty("phases") List<Phase> phases) {

        public ColdStart {
            phases = phases == null ? List.of() : List.copyOf(phases);
        }
    }

    /** One phase of a cold start. */
    public record Phase(
            @JsonProperty("name") String name,
            @JsonProperty("start") String start,
            @JsonProperty("end") String end,
            @JsonProperty("start_offset_ms") long startOffsetMs,
            @JsonProperty("ms") long ms) {}

    /** One phase over the run's cold starts; the last row, {@code total}, is over whole (complete) cold starts. */
    public record PhaseRow(
            @JsonProperty("phase") String phase,
            @JsonProperty("count") int count,
            @JsonProperty("median_ms") long medianMs,
            @JsonProperty("max_ms") long maxMs) {}

    /** Instance counts whenever one changed: ready (pods passing readiness) and starting. */
    public record CountSample(
            @JsonProperty("at") String at,
            @JsonProperty("offset_ms") long offsetMs,
            @JsonProperty("ready") int ready,
            @JsonProperty("starting") int starting) {}

    /** An event the platform recorded (a Kubernetes event: FailedScheduling with its message, TriggeredScaleUp ...). */
    public record Event(
            @JsonProperty("at") String at,
            @JsonProperty("offset_ms") long offsetMs,
            @JsonProperty("severity") String severity,
            @JsonProperty("object") String object,
            @JsonProperty("reason") String reason,
            @JsonProperty("message") String message) {}

    /** A billed quantity over the run, with its basis (the platform's accounting or an estimate, labelled). */
    public record Usage(
            @JsonProperty("dimension") String dimension,
            @JsonProperty("amount") double amount,
            @JsonProperty("unit") String unit,
            @JsonProperty("basis") String basis) {}
}
