package io.salvo.report;

import io.salvo.report.RunReport.Percentiles;
import io.salvo.thresholds.Figure;
import java.util.function.Function;

/**
 * The report's value of each threshold figure, in the figure's unit (milliseconds, percent, per second, a plain
 * number; steady_state 1 or 0); null where the report has none, and for a figure this version does not know.
 */
final class ReportFigures implements Function<Figure, Double> {

    private final RunReport.Totals totals;
    private final DetectorReport detectors;

    ReportFigures(RunReport.Totals totals, DetectorReport detectors) {
        this.totals = totals;
        this.detectors = detectors;
    }

    @Override
    public Double apply(Figure figure) {
        String name = figure.name();
        int dot = name.indexOf('.');
        String family = dot < 0 ? name : name.substring(0, dot);
        String part = dot < 0 ? "" : name.substring(dot + 1);
        return switch (family) {
            case "latency" -> statistic(totals.latency(), part);
            case "latency_2xx" -> statistic(totals.latencySuccess(), part);
            case "service_time" -> statistic(totals.serviceTime(), part);
            case "scheduler_lag" -> statistic(totals.schedulerLag(), part);
            case "warm" -> warm(part);
            case Figure.TIME_TO_FIRST_SUCCESS ->
                detectors == null || detectors.timeToFirstSuccess() == null
                        ? null
                        : detectors.timeToFirstSuccess().millis();
            case Figure.TIME_TO_STEADY_STATE ->
                detectors == null ? null : detectors.steadyState().timeToSteadyStateMillis();
            case Figure.STEADY_STATE ->
                detectors == null ? null : detectors.steadyState().reached() ? 1.0 : 0.0;
            case Figure.ERRORS -> errors(part);
            case Figure.ERROR_RATE -> {
                Double errors = errors(part);
                yield errors == null || totals.requests() == 0 ? null : 100.0 * errors / totals.requests();
            }
            case "intended" -> (double) totals.intended();
            case "sent" -> (double) totals.sent();
            case "requests" -> (double) totals.requests();
            case "successes" -> (double) totals.successes();
            case "late_sends" -> (double) totals.lateSends();
            case "in_flight_cap_hits" -> (double) totals.capHits();
            case "unsent" -> (double) totals.unsent();
            case "cold_starts" ->
                detectors == null ? null : (double) detectors.coldStarts().size();
            case "achieved_rate" -> totals.achievedRate();
            case "success_rate" -> totals.successRate();
            default -> null;
        };
    }

    private Double errors(String errorClass) {
        RunReport.Errors e = totals.errors();
        return switch (errorClass) {
            case "" -> (double) e.total();
            case "4xx" -> (double) e.status4xx();
            case "5xx" -> (double) e.status5xx();
            case "timeout" -> (double) e.timeout();
            case "connect" -> (double) e.connectError();
            default -> null;
        };
    }

    private static Double statistic(Percentiles p, String statistic) {
        return switch (statistic) {
            case "min" -> p.min();
            case "mean" -> p.mean();
            case "p50" -> p.p50();
            case "p90" -> p.p90();
            case "p95" -> p.p95();
            case "p99" -> p.p99();
            case "p99.9" -> p.p999();
            case "max" -> p.max();
            default -> null;
        };
    }

    private Double warm(String statistic) {
        DetectorReport.Warm w = detectors == null ? null : detectors.warmLatency();
        if (w == null) {
            return null;
        }
        return switch (statistic) {
            case "p50" -> w.p50();
            case "p95" -> w.p95();
            case "p99" -> w.p99();
            default -> null;
        };
    }
}
