package io.salvo.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.salvo.platform.ColdStartPhases;
import io.salvo.platform.InstanceCountSample;
import io.salvo.platform.PhaseTable;
import io.salvo.platform.PlatformEvent;
import io.salvo.platform.PlatformSignals;
import io.salvo.platform.PlatformTimeline;
import io.salvo.platform.PlatformUsage;
import io.salvo.platform.UsageQuantity;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * The platform's side of a run, beside the JSON report as {@code <run>-platform.json} (format
 * {@code platform_schema_version} 1; fields are added, never renamed): each cold start broken down into its phases,
 * the table per run (median and max of each phase), instance counts over time, the platform's events and its billed
 * usage. Times are ISO-8601 instants and milliseconds since the run's interval-0 instant.
 */
final class PlatformReport {

    static final int SCHEMA_VERSION = 1;
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final String runId;
    private final String source;
    private final Instant start;
    private final PlatformTimeline timeline;
    private final PlatformSignals signals;
    private final Optional<PlatformUsage> usage;

    PlatformReport(
            String runId,
            String source,
            Instant start,
            PlatformTimeline timeline,
            PlatformSignals signals,
            Optional<PlatformUsage> usage) {
        this.runId = runId;
        this.source = source;
        this.start = start;
        this.timeline = timeline;
        this.signals = signals;
        this.usage = usage;
    }

    private long offsetMillis(Instant at) {
        return Duration.between(start, at).toMillis();
    }

    ObjectNode json() {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("platform_schema_version", SCHEMA_VERSION);
        root.put("run_id", runId);
        root.put("source", source);
        root.put("run_start", start.toString());
        ArrayNode coldStarts = root.putArray("cold_starts");
        for (ColdStartPhases c : timeline.coldStarts()) {
            ObjectNode o = coldStarts.addObject();
            o.put("instance", c.instance());
            o.put("instance_id", c.instanceId());
            o.put("placement", c.placement());
            o.put("complete", c.complete());
            if (c.modelLoadMillis() != null) {
                o.put("model_load_ms", c.modelLoadMillis());
            } else {
                o.putNull("model_load_ms");
            }
            o.put("total_ms", c.total().toMillis());
            ArrayNode phases = o.putArray("phases");
            for (ColdStartPhases.Phase p : c.phases()) {
                ObjectNode phase = phases.addObject();
                phase.put("name", p.name());
                phase.put("start", p.start().toString());
                phase.put("end", p.end().toString());
                phase.put("start_offset_ms", offsetMillis(p.start()));
                phase.put("ms", p.duration().toMillis());
            }
        }
        ArrayNode table = root.putArray("phase_table");
        for (PhaseTable.Row row : PhaseTable.of(timeline.coldStarts())) {
            ObjectNode o = table.addObject();
            o.put("phase", row.phase());
            o.put("count", row.count());
            o.put("median_ms", row.median().toMillis());
            o.put("max_ms", row.max().toMillis());
        }
        ArrayNode counts = root.putArray("instance_counts");
        for (InstanceCountSample s : signals.instanceCounts()) {
            ObjectNode o = counts.addObject();
            o.put("at", s.at().toString());
            o.put("offset_ms", offsetMillis(s.at()));
            o.put("ready", s.ready());
            o.put("starting", s.starting());
        }
        ArrayNode events = root.putArray("events");
        for (PlatformEvent e : timeline.events()) {
            ObjectNode o = events.addObject();
            o.put("at", e.at().toString());
            o.put("offset_ms", offsetMillis(e.at()));
            o.put("severity", e.severity());
            o.put("object", e.object());
            o.put("reason", e.reason());
            o.put("message", e.message());
        }
        ArrayNode quantities = root.putArray("usage");
        usage.ifPresent(u -> {
            for (UsageQuantity q : u.quantities()) {
                ObjectNode o = quantities.addObject();
                o.put("dimension", q.dimension());
                o.put("amount", q.amount());
                o.put("unit", q.unit());
                o.put("basis", q.basis());
            }
        });
        return root;
    }

    void writeJson(Path file) throws IOException {
        Files.writeString(file, MAPPER.writeValueAsString(json()) + "\n");
    }

    void print(PrintStream out) {
        out.printf("%nPlatform: %s%n", source);
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
