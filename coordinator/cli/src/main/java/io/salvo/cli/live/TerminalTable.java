package io.salvo.cli.live;

import io.salvo.proto.v1.LiveEvent;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.OutcomeClass;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The live table on a terminal, redrawn in place each interval: the cursor goes back up over the previous frame
 * and each line is overwritten, then cleared to its end, so nothing blanks between frames. Lines are cut to the
 * terminal's width so none wraps (a wrapped line would throw the count of lines to go back up off). Only ASCII is
 * drawn: the terminal's encoding is unknown. The cursor is never hidden, so a run killed mid-frame leaves the
 * terminal as it was; after the last frame it rests below the table, where the final report follows.
 */
public final class TerminalTable implements LiveOutput {

    static final int DEFAULT_COLUMNS = 100;
    /** Narrower than this, the table would be unreadable anyway: draw it at this width and let lines be cut. */
    static final int MIN_COLUMNS = 40;

    private static final String CLEAR_TO_LINE_END = "\033[K";
    private static final String CLEAR_TO_SCREEN_END = "\033[J";

    private final RunProgress progress;
    private final PrintStream out;
    private final int columns;
    /** Lines of the frame on screen above the cursor; 0 when the next frame starts on a fresh line. */
    private int linesOnScreen;
    /** The platform's instance counts, when a platform driver takes part; null otherwise. */
    private String platformCounts;
    /** The platform's last three warnings (FailedScheduling and the like). */
    private final List<String> platformWarnings = new ArrayList<>();

    public TerminalTable(RunProgress progress, PrintStream out, int columns) {
        this.progress = progress;
        this.out = out;
        this.columns = Math.max(MIN_COLUMNS, columns);
    }

    @Override
    public synchronized void interval(LiveSnapshot snapshot) {
        progress.add(snapshot);
        draw(lines());
    }

    @Override
    public synchronized void ended(LiveSnapshot terminal) {
        progress.end(terminal);
        List<String> lines = lines();
        if (!terminal.getMessage().isEmpty()) {
            lines.add(fit("Run ended: " + terminal.getMessage()));
        }
        draw(lines);
        linesOnScreen = 0;
    }

    /** The platform's counts go beside the achieved rate; its last warnings under them. */
    @Override
    public synchronized void platform(PlatformUpdate update) {
        platformCounts = update.countsText();
        for (var event : update.events()) {
            if (event.warning()) {
                platformWarnings.add(event.line());
                if (platformWarnings.size() > 3) {
                    platformWarnings.remove(0);
                }
            }
        }
        if (progress.latest() != null) {
            draw(lines());
        }
    }

    @Override
    public synchronized void beforeOtherOutput() {
        linesOnScreen = 0;
    }

    private void draw(List<String> lines) {
        StringBuilder frame = new StringBuilder(lines.size() * (columns + 4));
        if (linesOnScreen > 0) {
            frame.append("\r\033[").append(linesOnScreen).append('A'); // cursor up
        }
        for (String line : lines) {
            frame.append(line).append(CLEAR_TO_LINE_END).append('\n');
        }
        // A frame shorter than the last one leaves old lines below it.
        frame.append(CLEAR_TO_SCREEN_END);
        out.print(frame);
        out.flush();
        linesOnScreen = lines.size();
    }

    /** The frame as it stands, one string per screen line, each at most {@code columns - 1} characters. */
    List<String> lines() {
        List<String> lines = new ArrayList<>();
        LiveSnapshot s = progress.latest();
        String name = progress.plan().getName().isBlank() ? "" : progress.plan().getName() + "  ";
        lines.add("salvo  " + name + "run " + progress.runId() + "  " + RunProgress.stateName(progress.state()));
        lines.add(elapsedLine());
        lines.add(phaseLine());
        if (s == null) {
            lines.add("waiting for the first interval...");
            return fitted(lines);
        }
        lines.add(String.format(
                Locale.ROOT,
                "rate       target %9.1f/s   achieved %9.1f/s   late %d   unsent %d",
                s.getTargetRatePerSecond(),
                s.getSuccessRatePerSecond(),
                s.getLateSends(),
                s.getUnsent()));
        if (platformCounts != null) {
            lines.add("platform   " + platformCounts);
            platformWarnings.forEach(w -> lines.add("           !! " + w));
        }
        lines.add(String.format(Locale.ROOT, "latency    %-10s %11s %11s %11s %11s", "", "p50", "p95", "p99", "max"));
        lines.add(String.format(
                Locale.ROOT,
                "           %-10s %11s %11s %11s %11s",
                "interval",
                latency(s.getLatencyP50Micros()),
                latency(s.getLatencyP95Micros()),
                latency(s.getLatencyP99Micros()),
                latency(s.getLatencyMaxMicros())));
        Histogram run = progress.runLatency();
        boolean any = run.getTotalCount() > 0;
        lines.add(String.format(
                Locale.ROOT,
                "           %-10s %11s %11s %11s %11s",
                "run",
                any ? latency(run.getValueAtPercentile(50)) : "-",
                any ? latency(run.getValueAtPercentile(95)) : "-",
                any ? latency(run.getValueAtPercentile(99)) : "-",
                any ? latency(run.getMaxValue()) : "-"));
        for (LiveSnapshot r : s.getRegionsList()) {
            // Each region's interval, from its own merge; the "interval" row above is their exact sum.
            lines.add(String.format(
                    Locale.ROOT,
                    "           %-10s %11s %11s %11s %11s   ok %.1f/s  workers %d/%d",
                    r.getRegion().length() > 10 ? r.getRegion().substring(0, 10) : r.getRegion(),
                    latency(r.getLatencyP50Micros()),
                    latency(r.getLatencyP95Micros()),
                    latency(r.getLatencyP99Micros()),
                    latency(r.getLatencyMaxMicros()),
                    r.getSuccessRatePerSecond(),
                    r.getWorkersReported(),
                    r.getWorkersAssigned()));
        }
        lines.add(errorsLine(s));
        lines.add(String.format(
                Locale.ROOT,
                "lag p99    %s (max %s)   in-flight cap hits %d",
                latency(s.getSchedulerLagP99Micros()).strip(),
                latency(s.getSchedulerLagMaxMicros()).strip(),
                s.getInFlightCapHits()));
        lines.add(
                s.getRespondingInstances() == 0 && s.getNewInstances() == 0
                        ? "instances  none reported"
                        : "instances  " + s.getRespondingInstances() + " responding, " + s.getNewInstances() + " new");
        lines.add("workers    " + s.getWorkersReported() + "/" + s.getWorkersAssigned() + " reported");
        List<LiveEvent> events = progress.recentEvents();
        if (events.isEmpty()) {
            lines.add("events     none yet");
        }
        for (int i = 0; i < events.size(); i++) {
            LiveEvent e = events.get(i);
            lines.add(String.format(
                    Locale.ROOT, "%-10s %7.1f s  %s", i == 0 ? "events" : "", e.getOffsetMicros() / 1e6, e.getText()));
        }
        return fitted(lines);
    }

    private String elapsedLine() {
        long elapsed = progress.elapsedMillis();
        long total = progress.timeline().totalMillis();
        String times = String.format(Locale.ROOT, "elapsed    %7.1f s / %.1f s", elapsed / 1000.0, total / 1000.0);
        if (total <= 0) {
            return times;
        }
        double done = Math.min(1.0, (double) elapsed / total);
        // The bar takes what the line leaves, within reason.
        int barWidth = Math.max(10, Math.min(50, columns - 1 - times.length() - 10));
        int filled = (int) Math.round(done * barWidth);
        return times + "  [" + "#".repeat(filled) + ".".repeat(barWidth - filled) + "] "
                + String.format(Locale.ROOT, "%3d %%", Math.round(done * 100));
    }

    private String phaseLine() {
        if (progress.latest() == null) {
            return "phase      -";
        }
        int phase = progress.phaseIndex();
        if (phase < 0) {
            return "phase      load over, draining the last responses";
        }
        return "phase      " + (phase + 1) + "/" + progress.timeline().phaseCount() + "  "
                + progress.timeline().describeRate(phase);
    }

    private String errorsLine(LiveSnapshot s) {
        long responses = progress.successes() + progress.errors();
        StringBuilder line = new StringBuilder(String.format(
                Locale.ROOT,
                "errors     interval %d   run %d of %d (%.2f %%)",
                s.getErrors(),
                progress.errors(),
                responses,
                responses == 0 ? 0.0 : 100.0 * progress.errors() / responses));
        for (Map.Entry<OutcomeClass, Long> e : progress.runOutcomes().entrySet()) {
            if (e.getKey() != OutcomeClass.OUTCOME_CLASS_2XX) {
                line.append("   ")
                        .append(RunProgress.outcomeName(e.getKey()))
                        .append(' ')
                        .append(e.getValue());
            }
        }
        return line.toString();
    }

    /** Microseconds as milliseconds, or seconds from 10 s up, right-aligned. */
    static String latency(long micros) {
        return micros >= 10_000_000
                ? String.format(Locale.ROOT, "%8.2f s", micros / 1e6)
                : String.format(Locale.ROOT, "%8.2f ms", micros / 1000.0);
    }

    private List<String> fitted(List<String> lines) {
        List<String> fitted = new ArrayList<>(lines.size());
        for (String line : lines) {
            fitted.add(fit(line));
        }
        return fitted;
    }

    /** Cut to one character less than the width: writing the last column makes some terminals wrap at once. */
    private String fit(String line) {
        // Control characters in text from the wire (an event's text) would move the cursor.
        String clean = line.replaceAll("\\p{Cntrl}", " ");
        return clean.length() < columns ? clean : clean.substring(0, columns - 1);
    }

    /**
     * The terminal's width: {@code $COLUMNS} when exported, else what {@code stty size} says of the controlling
     * terminal, else {@value #DEFAULT_COLUMNS}. Read once, when the table starts.
     */
    static int columns() {
        Integer fromEnvironment = positive(System.getenv("COLUMNS"));
        if (fromEnvironment != null) {
            return fromEnvironment;
        }
        try {
            Process stty = new ProcessBuilder("stty", "size")
                    .redirectInput(new File("/dev/tty"))
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            try (InputStream in = stty.getInputStream()) {
                if (stty.waitFor(2, TimeUnit.SECONDS) && stty.exitValue() == 0) {
                    String rowsAndColumns = new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip();
                    int space = rowsAndColumns.lastIndexOf(' ');
                    Integer fromStty = space < 0 ? null : positive(rowsAndColumns.substring(space + 1));
                    if (fromStty != null) {
                        return fromStty;
                    }
                }
            } finally {
                stty.destroy();
            }
        } catch (IOException e) {
            // No stty or no controlling terminal: the default will do.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return DEFAULT_COLUMNS;
    }

    private static Integer positive(String text) {
        if (text == null) {
            return null;
        }
        try {
            int value = Integer.parseInt(text.strip());
            return value > 0 ? value : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
