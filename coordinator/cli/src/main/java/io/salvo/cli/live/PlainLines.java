package io.salvo.cli.live;

import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.RunPlan;
import java.io.PrintStream;
import java.util.Locale;

/** One line per interval, and one per detector event: for logs and pipes, where nothing is redrawn. */
public final class PlainLines implements LiveOutput {

    private final PlanTimeline timeline;
    private final PrintStream out;
    private String lastCounts;

    public PlainLines(RunPlan plan, PrintStream out) {
        this.timeline = new PlanTimeline(plan);
        this.out = out;
    }

    @Override
    public void interval(LiveSnapshot s) {
        out.println(line(s, timeline.intervalMillis(s.getIntervalMillis())));
        for (LiveSnapshot region : s.getRegionsList()) {
            out.println(regionLine(region));
        }
        java.util.Set<String> platformLines = new java.util.HashSet<>();
        s.getLiveEventsList().stream().filter(PlatformUpdate::isPlatform).forEach(e -> platformLines.add(e.getText()));
        for (String event : s.getEventsList()) {
            if (!platformLines.remove(event)) { // the platform's events are shown by platform(), marked
                out.println("        >> " + event);
            }
        }
        out.flush();
    }

    /** Counts when they change, and every platform event: warnings marked {@code !!}. */
    @Override
    public void platform(PlatformUpdate update) {
        String counts = update.countsText();
        if (!counts.equals(lastCounts)) {
            out.println("        platform: " + counts);
            lastCounts = counts;
        }
        for (var event : update.events()) {
            out.println("        " + (event.warning() ? "!! " : "   ") + event.line());
        }
        out.flush();
    }

    @Override
    public void ended(LiveSnapshot terminal) {
        if (!terminal.getMessage().isEmpty()) {
            out.println("Run ended: " + terminal.getMessage());
            out.flush();
        }
    }

    /** A region's figures of the interval, under the interval's line: the same columns, its own exact merge. */
    static String regionLine(LiveSnapshot r) {
        return String.format(
                Locale.ROOT,
                "  %-14s ok %8.1f/s (target %8.1f/s)  p50 %8.2f ms  p99 %8.2f ms  errors %5d  late %5d  workers %d/%d",
                r.getRegion(),
                r.getSuccessRatePerSecond(),
                r.getTargetRatePerSecond(),
                r.getLatencyP50Micros() / 1000.0,
                r.getLatencyP99Micros() / 1000.0,
                r.getErrors(),
                r.getLateSends(),
                r.getWorkersReported(),
                r.getWorkersAssigned());
    }

    static String line(LiveSnapshot s, long intervalMillis) {
        double t = (s.getIntervalIndex() + 1) * intervalMillis / 1000.0;
        return String.format(
                Locale.ROOT,
                "%6.1fs  ok %8.1f/s (target %8.1f/s)  p50 %8.2f ms  p99 %8.2f ms  errors %5d  late %5d  workers %d/%d",
                t,
                s.getSuccessRatePerSecond(),
                s.getTargetRatePerSecond(),
                s.getLatencyP50Micros() / 1000.0,
                s.getLatencyP99Micros() / 1000.0,
                s.getErrors(),
                s.getLateSends(),
                s.getWorkersReported(),
                s.getWorkersAssigned());
    }
}
