package io.salvo.report;

import io.salvo.report.RunReport.IntervalRow;
import io.salvo.report.RunReport.Percentiles;
import io.salvo.report.RunReport.Totals;
import java.io.PrintStream;
import java.util.Locale;

/** The human-readable report printed at the end of {@code salvo run}. */
public final class ConsoleReport {

    /** Longer runs print their per-interval series only to the JSON report. */
    static final int MAX_SERIES_ROWS = 120;

    private ConsoleReport() {
    }

    public static void print(RunReport report, PrintStream out) {
        var run = report.run();
        Totals t = report.totals();
        out.printf(Locale.ROOT, "%nRun %s '%s': %s%s%n", run.id(), run.name(), run.state(),
                run.message() == null || run.message().isEmpty() ? "" : " (" + run.message() + ")");
        out.printf(Locale.ROOT, "Target %s %s, %s arrivals, %d worker(s), %.1f s of load%n",
                run.method(), run.targetUrl(), run.arrival(), run.workerCount(), run.loadDurationSeconds());

        if (report.intervals().size() <= MAX_SERIES_ROWS) {
            out.printf(Locale.ROOT, "%n%6s %9s %9s %9s %7s %9s %9s %9s %6s%n", "t(s)", "sent/s", "ok/s", "errors",
                    "late", "p50 ms", "p99 ms", "max ms", "wkrs");
            for (IntervalRow r : report.intervals()) {
                out.printf(Locale.ROOT, "%6.1f %9.1f %9.1f %9d %7d %9.2f %9.2f %9.2f %6d%s%n", r.startOffsetSeconds(),
                        r.achievedRate(), r.successRate(), r.errors().total(), r.lateSends(), r.latency().p50(),
                        r.latency().p99(), r.latency().max(), r.workersReported(), r.hadLateReports() ? " late" : "");
            }
        } else {
            out.printf(Locale.ROOT, "%n(%d intervals: the per-interval series is in the JSON report)%n",
                    report.intervals().size());
        }

        out.printf(Locale.ROOT, "%nRequests: %d intended, %d sent, %d completed (%d ok), achieved %.1f/s, ok %.1f/s%n",
                t.intended(), t.sent(), t.requests(), t.successes(), t.achievedRate(), t.successRate());
        out.printf(Locale.ROOT, "Errors: 4xx %d, 5xx %d, timeout %d, connect %d   Late sends: %d   In-flight cap hits: %d   Unsent: %d%n",
                t.errors().status4xx(), t.errors().status5xx(), t.errors().timeout(), t.errors().connectError(),
                t.lateSends(), t.capHits(), t.unsent());
        out.printf(Locale.ROOT, "%n%-22s %9s %9s %9s %9s %9s %9s %9s %9s%n", "(ms)", "min", "p50", "p90", "p95",
                "p99", "p99.9", "max", "count");
        row(out, "latency", t.latency());
        row(out, "latency (2xx only)", t.latencySuccess());
        row(out, "service time", t.serviceTime());
        row(out, "scheduler lag", t.schedulerLag());
        if (run.rejectedReports() > 0) {
            out.printf(Locale.ROOT, "%n%d worker reports were rejected (see the JSON report's message)%n",
                    run.rejectedReports());
        }
    }

    private static void row(PrintStream out, String name, Percentiles p) {
        out.printf(Locale.ROOT, "%-22s %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f %9d%n", name, p.min(), p.p50(),
                p.p90(), p.p95(), p.p99(), p.p999(), p.max(), p.count());
    }
}
