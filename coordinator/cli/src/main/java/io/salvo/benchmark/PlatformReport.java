package io.salvo.benchmark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.salvo.platform.ColdStartPhases;
import io.salvo.platform.ColdStartVerdict;
import io.salvo.platform.InstanceCountSample;
import io.salvo.platform.PhaseTable;
import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformEvent;
import io.salvo.platform.PlatformException;
import io.salvo.platform.PlatformSignals;
import io.salvo.platform.PlatformTimeline;
import io.salvo.platform.PlatformUsage;
import io.salvo.proto.v1.RunResult;
import io.salvo.report.PlatformSection;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The platform's side of a run, beside the JSON report as {@code <run>-platform.json} (format
 * {@code platform_schema_version} 1; fields are added, never renamed) and inside it as its {@code platform} section
 * ({@link PlatformSection}): each cold start broken down into its phases, the table per run (median and max of each
 * phase), instance counts over time, the platform's events, its billed usage, and the driver's verdict on the forced
 * cold start. Times are ISO-8601 instants and milliseconds since the run's interval-0 instant.
 */
public final class PlatformReport {

    static final int SCHEMA_VERSION = 1;
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final String runId;
    private final String source;
    private final Instant start;
    private final PlatformTimeline timeline;
    private final PlatformSignals signals;
    private final Optional<PlatformUsage> usage;
    private final String coldStartCheck;

    PlatformReport(
            String runId,
            String source,
            Instant start,
            PlatformTimeline timeline,
            PlatformSignals signals,
            Optional<PlatformUsage> usage) {
        this(runId, source, start, timeline, signals, usage, null);
    }

    PlatformReport(
            String runId,
            String source,
            Instant start,
            PlatformTimeline timeline,
            PlatformSignals signals,
            Optional<PlatformUsage> usage,
            String coldStartCheck) {
        this.runId = runId;
        this.source = source;
        this.start = start;
        this.timeline = timeline;
        this.signals = signals;
        this.usage = usage;
        this.coldStartCheck = coldStartCheck;
    }

    /**
     * What {@code driver} says about the run that {@code result} measured: its cold starts ended by the first responses
     * the workers saw, its counts and events, its usage over the run (a usage the platform cannot give is reported on
     * {@code out} and left out), and its verdict on the forced cold start. Call {@link PlatformResponses#observe} first
     * so the verdict has the run's responses.
     */
    public static PlatformReport of(PlatformDriver driver, RunResult result, PrintStream out) {
        return of(driver, result, null, out);
    }

    /**
     * As {@link #of(PlatformDriver, RunResult, PrintStream)}, for one run of several on the same deployment: only the
     * cold starts that ended at or after {@code since} (still starting ones too), the events from {@code since} on, and
     * the counts from the last one before it; null: everything since deploy.
     */
    public static PlatformReport of(PlatformDriver driver, RunResult result, Instant since, PrintStream out) {
        PlatformTimeline timeline = driver.timeline(PlatformResponses.firstResponses(result));
        PlatformSignals signals = driver.signals();
        if (since != null) {
            timeline = new PlatformTimeline(
                    timeline.coldStarts().stream()
                            .filter(c -> !c.complete()
                                    || c.phases().isEmpty()
                                    || !c.phases()
                                            .get(c.phases().size() - 1)
                                            .end()
                                            .isBefore(since))
                            .toList(),
                    timeline.events().stream()
                            .filter(e -> !e.at().isBefore(since))
                            .toList());
            List<InstanceCountSample> counts = new ArrayList<>();
            for (InstanceCountSample sample : signals.instanceCounts()) {
                if (sample.at().isBefore(since)) {
                    counts.clear();
                }
                counts.add(sample);
            }
            signals = new PlatformSignals(
                    signals.source(), signals.instances(), counts, signals.firstRequestAt(), signals.firstSuccessAt());
        }
        Instant start = PlatformResponses.runStart(result);
        Instant end = result.getEndUnixNanos() != 0
                ? Instant.ofEpochSecond(0, result.getEndUnixNanos())
                : start.plusMillis(
                        (long) result.getIntervalsCount() * result.getPlan().getIntervalMillis());
        Optional<PlatformUsage> usage;
        try {
            // the run's window on the coordinator's clock, widened by the workers' clock error: what they sent in it
            Duration clockError = PlatformResponses.clockErrorBound(result);
            usage = driver.usage(start.minus(clockError), end.plus(clockError));
        } catch (PlatformException e) {
            out.println("Platform usage unavailable: " + e.getMessage());
            usage = Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            usage = Optional.empty();
        }
        return new PlatformReport(
                result.getRunId(),
                driver.label(),
                start,
                timeline,
                signals,
                usage,
                verdictName(driver.coldStartVerdict()));
    }

    /** {@code verified}, {@code reused_instance} ...; null when no cold start was forced or the driver does not judge. */
    public static String verdictName(ColdStartVerdict verdict) {
        return verdict == null || verdict.state() == ColdStartVerdict.State.NOT_FORCED
                ? null
                : verdict.state().name().toLowerCase(Locale.ROOT);
    }

    /** The platform's billed usage over the run; empty when it reports none or could not give it. */
    public Optional<PlatformUsage> usage() {
        return usage;
    }

    public PlatformTimeline timeline() {
        return timeline;
    }

    private long offsetMillis(Instant at) {
        return Duration.between(start, at).toMillis();
    }

    /** The same figures as the report's {@code platform} section. */
    public PlatformSection section() {
        List<PlatformSection.ColdStart> coldStarts = new ArrayList<>();
        for (ColdStartPhases c : timeline.coldStarts()) {
            coldStarts.add(new PlatformSection.ColdStart(
                    c.instance(),
                    c.instanceId(),
                    c.placement(),
                    c.complete(),
                    c.modelLoadMillis(),
                    c.total().toMillis(),
                    c.phases().stream()
                            .map(p -> new PlatformSection.Phase(
                                    p.name(),
                                    p.start().toString(),
                                    p.end().toString(),
                                    offsetMillis(p.start()),
                                    p.duration().toMillis()))
                            .toList()));
        }
        List<PlatformSection.PhaseRow> table = PhaseTable.of(timeline.coldStarts()).stream()
                .map(r -> new PlatformSection.PhaseRow(
                        r.phase(), r.count(), r.median().toMillis(), r.max().toMillis()))
                .toList();
        List<PlatformSection.CountSample> counts = signals.instanceCounts().stream()
                .map(s -> new PlatformSection.CountSample(
                        s.at().toString(), offsetMillis(s.at()), s.ready(), s.starting()))
                .toList();
        List<PlatformSection.Event> events = timeline.events().stream()
                .map(e -> new PlatformSection.Event(
                        e.at().toString(), offsetMillis(e.at()), e.severity(), e.object(), e.reason(), e.message()))
                .toList();
        List<PlatformSection.Usage> quantities = usage.map(u -> u.quantities().stream()
                        .map(q -> new PlatformSection.Usage(q.dimension(), q.amount(), q.unit(), q.basis()))
                        .toList())
                .orElse(List.of());
        return new PlatformSection(
                PlatformSection.VERSION,
                source,
                start.toString(),
                coldStartCheck,
                coldStarts,
                table,
                counts,
                events,
                quantities);
    }

    /** {@code <run>-platform.json}: the run's id and the section's figures (its check only when there is one). */
    ObjectNode json() {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("platform_schema_version", SCHEMA_VERSION);
        root.put("run_id", runId);
        ObjectNode section = MAPPER.valueToTree(section());
        section.remove("version");
        if (coldStartCheck == null) {
            section.remove("cold_start_check");
        }
        root.setAll(section);
        return root;
    }

    public void writeJson(Path file) throws IOException {
        Files.writeString(file, MAPPER.writeValueAsString(json()) + "\n");
    }

    public void print(PrintStream out) {
        out.printf("%nPlatform: %s%n", source);
        if (coldStartCheck != null) {
            out.printf("Forced cold start: %s%n", coldStartCheck.replace('_', ' '));
        }
        out.printf("Cold starts: %d%n", timeline.coldStarts().size());
        if (!timeline.coldStarts().isEmpty()) {
            out.printf("  %-24s %5s %10s %10s%n", "phase", "n", "median", "max");
            for (PhaseTable.Row row : PhaseTable.of(timeline.coldStarts())) {
                out.printf(
                        Locale.ROOT,
                        "  %-24s %5d %10s %10s%n",
                        row.phase(),
                        row.count(),
                        seconds(row.median()),
                        seconds(row.max()));
            }
            for (ColdStartPhases c : timeline.coldStarts()) {
                StringBuilder line = new StringBuilder("  ")
                        .append(c.instance())
                        .append(c.placement() == null ? "" : " on " + c.placement())
                        .append(": ");
                for (ColdStartPhases.Phase p : c.phases()) {
                    line.append(p.name())
                            .append(' ')
                            .append(seconds(p.duration()))
                            .append(" | ");
                }
                line.append("total ").append(seconds(c.total()));
                if (c.modelLoadMillis() != null) {
                    line.append(" (model load ").append(c.modelLoadMillis()).append(" ms)");
                }
                if (!c.complete()) {
                    line.append(" (never ready)");
                }
                out.println(line);
            }
        }
        long warnings =
                timeline.events().stream().filter(PlatformEvent::warning).count();
        if (warnings > 0) {
            out.printf("Platform warnings: %d%n", warnings);
            timeline.events().stream().filter(PlatformEvent::warning).forEach(e -> out.println("  " + e.line()));
        }
    }

    private static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.2f s", d.toMillis() / 1000.0);
    }
}
