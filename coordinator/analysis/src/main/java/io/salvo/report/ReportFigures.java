package io.salvo.report;

import io.salvo.report.RunReport.Percentiles;
import io.salvo.thresholds.Figure;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The report's value of each threshold figure, in the figure's unit (milliseconds, percent, per second, a plain
 * number; steady_state 1 or 0); null where the report has none, and for a figure this version does not know.
 */
final class ReportFigures implements Function<Figure, Double> {

    private final RunReport.Totals totals;
    private final DetectorReport detectors;
    private final List<RunReport.RegionRow> regions;
    private final CostSection cost;

    /**
     * @param regions the report's regions (null or empty: the run had none, and every region figure has no value)
     * @param cost    the run's cost estimate; null when it has none, and then the cost figures have no value
     */
    ReportFigures(
            RunReport.Totals totals, DetectorReport detectors, List<RunReport.RegionRow> regions, CostSection cost) {
        this.totals = totals;
        this.detectors = detectors;
        this.regions = regions == null ? List.of() : regions;
        this.cost = cost;
    }

    @Override
    public Double apply(Figure figure) {
        Optional<String> region = figure.region();
        if (region.isPresent()) {
            // a region's figures are its own totals', judged as the run's are (no detectors: they run on the whole run)
            return regions.stream()
                    .filter(r -> r.region().equals(region.get()))
                    .findFirst()
                    .map(r -> new ReportFigures(r.totals(), null, null, null).apply(figure.withinRegion()))
                    .orElse(null);
        }
        String name = figure.name();
        int dot = name.indexOf('.');
        String family = dot < 0 ? name : name.substring(0, dot);
        String part = dot < 0 ? "" : name.substring(dot + 1);
        return switch (family) {
            case "latency" -> statistic(totals.latency(), part);
            case "latency_2xx" -> statistic(totals.latencySuccess(), part);
            case "service_time" -> statistic(totals.serviceTime(), part);
            case "scheduler_lag" -> statistic(totals.schedulerLag(), part);
            // absent from reports written before the request phases: no value, never a 0
            case "connection_wait" -> statistic(totals.connectionWait(), part);
            case "time_to_first_byte" -> statistic(totals.timeToFirstByte(), part);
            case "connect" -> statistic(totals.connect(), part);
            case "tls_handshake" -> statistic(totals.tlsHandshake(), part);
            case "connection_waits" -> (double) totals.connectionWaits();
            case "first_cold_start" -> firstColdStartLatency();
            case "cost" -> cost(part);
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

    /** The first cold start's first response, as the report lists it first (the HTML headline shows the same). */
    private Double firstColdStartLatency() {
        if (detectors == null
                || detectors.coldStarts() == null
                || detectors.coldStarts().isEmpty()) {
            return null;
        }
        return detectors.coldStarts().get(0).firstResponseLatencyMillis();
    }

    /**
     * The estimate in the built-in table's currency; an estimate in another (a price table of the user's) has no
     * value here rather than being compared across currencies.
     */
    private Double cost(String part) {
        if (cost == null || !Figure.Kind.MONEY.unit().equalsIgnoreCase(cost.currency())) {
            return null;
        }
        return switch (part) {
            case "total" -> cost.total();
            case "per_million_predictions" -> cost.perMillionPredictions();
            default -> null;
        };
    }

    private static Double statistic(Percentiles p, String statistic) {
        if (p == null) {
            return null;
        }
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
