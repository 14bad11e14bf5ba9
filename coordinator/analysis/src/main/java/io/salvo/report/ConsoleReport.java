package io.salvo.report;

import io.salvo.report.RunReport.IntervalRow;
import io.salvo.report.RunReport.Percentiles;
import io.salvo.report.RunReport.ThresholdRow;
import io.salvo.report.RunReport.Totals;
import io.salvo.thresholds.Figure;
import java.io.PrintStream;
import java.util.Locale;

/** The human-readable report printed at the end of {@code salvo run}. */
public final class ConsoleReport {

    /** Longer runs print their per-interval series only to the JSON report. */
    static final int MAX_SERIES_ROWS = 120;

    private ConsoleReport() {}

    public static void print(RunReport report, PrintStream out) {
        var run = report.run();
        Totals t = report.totals();
        out.printf(
                Locale.ROOT,
                "%nRun %s '%s': %s%s%n",
                run.id(),
                run.name(),
                run.state(),
                run.message() == null || run.message().isEmpty() ? "" : " (" + run.message() + ")");
        out.printf(
                Locale.ROOT,
                "Target %s %s, %s arrivals, %d worker(s), %.1f s of load%n",
                run.method(),
                run.targetUrl(),
                run.arrival(),
                run.workerCount(),
                run.loadDurationSeconds());

        if (report.intervals().size() <= MAX_SERIES_ROWS) {
            out.printf(
                    Locale.ROOT,
                    "%n%6s %9s %9s %9s %7s %9s %9s %9s %6s%n",
                    "t(s)",
                    "sent/s",
                    "ok/s",
                    "errors",
                    "late",
                    "p50 ms",
                    "p99 ms",
                    "max ms",
                    "wkrs");
            for (IntervalRow r : report.intervals()) {
                out.printf(
                        Locale.ROOT,
                        "%6.1f %9.1f %9.1f %9d %7d %9s %9s %9s %6d%s%n",
                        r.startOffsetSeconds(),
                        r.achievedRate(),
                        r.successRate(),
                        r.errors().total(),
                        r.lateSends(),
                        ms(r.latency().p50(), 2),
                        ms(r.latency().p99(), 2),
                        ms(r.latency().max(), 2),
                        r.workersReported(),
                        r.hadLateReports() ? " late" : "");
            }
        } else {
            out.printf(
                    Locale.ROOT,
                    "%n(%d intervals: the per-interval series is in the JSON report)%n",
                    report.intervals().size());
        }

        out.printf(
                Locale.ROOT,
                "%nRequests: %d intended, %d sent, %d completed (%d ok), achieved %.1f/s, ok %.1f/s%n",
                t.intended(),
                t.sent(),
                t.requests(),
                t.successes(),
                t.achievedRate(),
                t.successRate());
        out.printf(
                Locale.ROOT,
                "Errors: 4xx %d, 5xx %d, timeout %d, connect %d   Late sends: %d   In-flight cap hits: %d   Unsent: %d%n",
                t.errors().status4xx(),
                t.errors().status5xx(),
                t.errors().timeout(),
                t.errors().connectError(),
                t.lateSends(),
                t.capHits(),
                t.unsent());
        RunReport.UnsentReasons unsent = t.unsentReasons();
        if (unsent != null && t.unsent() > 0) {
            out.printf(
                    Locale.ROOT,
                    "Unsent (never written): %d waited past the timeout for an in-flight slot, %d for a connection"
                            + " (%d timeouts in all); the connection of %d failed%n",
                    unsent.inFlightCap(),
                    unsent.connectionWait(),
                    t.errors().unsentTimeout(),
                    unsent.connectFailed());
        }
        if (t.connectionWaits() > 0) {
            out.printf(
                    Locale.ROOT,
                    "Connection waits: %d requests found no idle connection and waited for one%n",
                    t.connectionWaits());
        }
        out.printf(
                Locale.ROOT,
                "%n%-22s %9s %9s %9s %9s %9s %9s %9s %9s%n",
                "(ms)",
                "min",
                "p50",
                "p90",
                "p95",
                "p99",
                "p99.9",
                "max",
                "count");
        row(out, "latency", t.latency());
        row(out, "latency (2xx only)", t.latencySuccess());
        row(out, "service time", t.serviceTime());
        row(out, "scheduler lag", t.schedulerLag());
        // The request phases, where the workers reported them (reports written before them lack them).
        rowIfAny(out, "connection wait", t.connectionWait());
        rowIfAny(out, "time to first byte", t.timeToFirstByte());
        rowIfAny(out, "connect", t.connect());
        rowIfAny(out, "TLS handshake", t.tlsHandshake());
        printRegions(report, out);
        for (RunReport.TakeoverRow takeover : run.takeovers()) {
            out.printf(
                    Locale.ROOT,
                    "Coordinator takeover at %.1f s: %s left, %s carried the run on (%d interval reports restored)%n",
                    takeover.atSeconds(),
                    takeover.fromCoordinator(),
                    takeover.toCoordinator(),
                    takeover.reportsRestored());
        }
        for (RunReport.ResliceRow r : run.reslices()) {
            String where = r.region() == null || r.region().isEmpty() ? "" : " (" + r.region() + ")";
            String what = r.worker().isEmpty() ? r.cause() : "worker " + r.worker() + where + " " + r.cause();
            if (r.regionUnserved()) {
                what += "; region " + r.region() + " has no worker left, its share is not sent";
            }
            out.printf(
                    Locale.ROOT,
                    "Re-slice at %.1f s (epoch %d): %s; rate now on %s; ~%.0f intended requests uncovered%n",
                    r.atSeconds(),
                    r.epoch(),
                    what,
                    String.join(", ", r.workersAfter()),
                    r.uncoveredIntendedRequests());
        }
        printDetectors(report.detectors(), out);
        if (run.rejectedReports() > 0) {
            out.printf(
                    Locale.ROOT,
                    "%n%d worker reports were rejected (see the JSON report's message)%n",
                    run.rejectedReports());
        }
        printThresholds(report, out);
    }

    /**
     * A run with regions: one line per region with its share, workers and latency, each read from that region's own
     * merged histograms (the run's line above is the exact merge of them all), then the start skew bound.
     */
    private static void printRegions(RunReport report, PrintStream out) {
        if (report.regions() == null || report.regions().isEmpty()) {
            return;
        }
        out.printf(
                Locale.ROOT,
                "%n%-16s %6s %7s %9s %9s %9s %9s %9s %9s%n",
                "region",
                "share",
                "workers",
                "sent",
                "ok/s",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "max ms");
        for (RunReport.RegionRow r : report.regions()) {
            Totals t = r.totals();
            out.printf(
                    Locale.ROOT,
                    "%-16s %5.1f%% %7s %9d %9.1f %9s %9s %9s %9s%s%n",
                    r.region(),
                    100 * r.share(),
                    r.workersLost() > 0
                            ? (r.workers().size() - r.workersLost()) + "/"
                                    + r.workers().size()
                            : String.valueOf(r.workers().size()),
                    t.sent(),
                    t.successRate(),
                    ms(t.latency().p50(), 2),
                    ms(t.latency().p95(), 2),
                    ms(t.latency().p99(), 2),
                    ms(t.latency().max(), 2),
                    r.unservedFromS() == null
                            ? ""
                            : String.format(Locale.ROOT, "  unserved from %.1f s", r.unservedFromS()));
        }
        if (report.run().startSkewBoundMillis() != null) {
            out.printf(
                    Locale.ROOT,
                    "Cross-region start skew: at most %.3f ms (from the workers' clock-offset error bounds)%n",
                    report.run().startSkewBoundMillis());
        }
    }

    /** Last, so a CI log ends on the verdict: one PASS or FAIL line per criterion, then the count that failed. */
    private static void printThresholds(RunReport report, PrintStream out) {
        if (report.thresholds() == null || report.thresholds().isEmpty()) {
            return;
        }
        long failed = report.thresholds().stream().filter(t -> !t.passed()).count();
        out.printf(
                Locale.ROOT,
                "%nThresholds: %s%n",
                failed == 0
                        ? "all " + report.thresholds().size() + " passed"
                        : failed + " of " + report.thresholds().size() + " FAILED");
        int width = report.thresholds().stream()
                .mapToInt(t -> t.criterion().length())
                .max()
                .orElse(0);
        for (ThresholdRow t : report.thresholds()) {
            out.printf(
                    Locale.ROOT,
                    "  %s  %-" + width + "s   %s = %s%s%n",
                    t.passed() ? "PASS" : "FAIL",
                    t.criterion(),
                    t.figure(),
                    observed(t),
                    t.abortOnFail() ? "   (abortOnFail)" : "");
        }
    }

    private static String observed(ThresholdRow t) {
        if (t.observed() == null) {
            return "no value" + whyNoValue(t.figure());
        }
        return Figure.named(t.figure()).map(f -> f.format(t.observed())).orElse(String.valueOf(t.observed()));
    }

    /** Why a figure has no value, where the reader could not guess it (the figures the run may simply not have). */
    private static String whyNoValue(String figure) {
        if (figure.startsWith("cost.")) {
            return " (no cost estimate: the platform reported no billed usage, or not in USD; docs/cost.md)";
        }
        if (figure.startsWith("region[")) {
            return " (the region completed nothing, or the report has no such region)";
        }
        if (figure.equals(Figure.FIRST_COLD_START_LATENCY)) {
            return " (no cold start detected, or its first response latency unknown)";
        }
        if (figure.startsWith("warm.") || figure.equals(Figure.TIME_TO_STEADY_STATE)) {
            return " (steady state not reached)";
        }
        if (figure.equals(Figure.TIME_TO_FIRST_SUCCESS)) {
            return " (no successful response)";
        }
        return "";
    }

    private static void printDetectors(DetectorReport d, PrintStream out) {
        if (d == null) {
            return;
        }
        var t = d.thresholds();
        out.printf(
                Locale.ROOT,
                "%nDetectors (instances from %s):%n",
                d.instanceSourceLabel() == null ? d.instanceSource() : d.instanceSourceLabel());
        if (d.timeToFirstSuccess() == null) {
            out.println("  time to first successful response: no successful response");
        } else {
            var f = d.timeToFirstSuccess();
            out.printf(
                    Locale.ROOT,
                    "  time to first successful response: %.1f ms (%s resolution, %d errors before)%n",
                    f.millis(),
                    f.resolution(),
                    f.errorsBefore());
        }
        if (d.steadyState().reached()) {
            out.printf(
                    Locale.ROOT,
                    "  time to steady state: %.1f s (interval %d; window %d intervals, >= %.0f%% of target, "
                            + "errors <= %.2f%%, p95s within x%.2f on 99%% bounds)%n",
                    d.steadyState().timeToSteadyStateMillis() / 1000.0,
                    d.steadyState().startInterval(),
                    t.windowIntervals(),
                    t.minSuccessRateRatio() * 100,
                    t.maxErrorRatio() * 100,
                    t.maxP95Spread());
        } else {
            out.printf(
                    Locale.ROOT,
                    "  time to steady state: not reached (window %d intervals, >= %.0f%% of target, "
                            + "errors <= %.2f%%, p95s within x%.2f on 99%% bounds)%n",
                    t.windowIntervals(),
                    t.minSuccessRateRatio() * 100,
                    t.maxErrorRatio() * 100,
                    t.maxP95Spread());
        }
        if (d.warmLatency() != null && d.warmLatency().count() > 0) {
            var w = d.warmLatency();
            out.printf(
                    Locale.ROOT,
                    "  warm latency: p50 %.3f ms, p95 %.3f ms, p99 %.3f ms over %d requests in %d steady "
                            + "intervals (%d cold-instance responses excluded)%n",
                    w.p50(),
                    w.p95(),
                    w.p99(),
                    w.count(),
                    w.steadyIntervals(),
                    w.coldExcludedResponses());
        } else {
            out.println("  warm latency: none (no steady-state intervals)");
        }
        out.printf(Locale.ROOT, "  cold starts: %d%n", d.coldStarts().size());
        for (var c : d.coldStarts()) {
            out.printf(
                    Locale.ROOT,
                    "    %s in interval %d%s%s%n",
                    c.instanceId(),
                    c.interval(),
                    c.firstResponseLatencyMillis() == null
                            ? ""
                            : String.format(Locale.ROOT, ", first response %.1f ms", c.firstResponseLatencyMillis()),
                    c.modelLoadMillis() == null ? "" : ", model load " + c.modelLoadMillis() + " ms");
        }
    }

    private static void rowIfAny(PrintStream out, String name, Percentiles p) {
        if (p != null && p.count() > 0) {
            row(out, name, p);
        }
    }

    private static void row(PrintStream out, String name, Percentiles p) {
        out.printf(
                Locale.ROOT,
                "%-22s %9s %9s %9s %9s %9s %9s %9s %9d%n",
                name,
                ms(p.min(), 3),
                ms(p.p50(), 3),
                ms(p.p90(), 3),
                ms(p.p95(), 3),
                ms(p.p99(), 3),
                ms(p.p999(), 3),
                ms(p.max(), 3),
                p.count());
    }

    /** A statistic of an empty histogram is null in the report and "-" here. */
    private static String ms(Double millis, int decimals) {
        return millis == null ? "-" : String.format(Locale.ROOT, "%." + decimals + "f", millis);
    }
}
