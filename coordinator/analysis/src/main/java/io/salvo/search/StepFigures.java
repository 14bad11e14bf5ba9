package io.salvo.search;

import io.salvo.report.DetectorReport;
import io.salvo.report.RunReport;
import io.salvo.report.RunReport.IntervalRow;
import io.salvo.thresholds.Criterion;
import io.salvo.thresholds.Figure;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The figures of one search step, taken over its <em>judged</em> intervals: from the steady-state instant on when
 * steady state was reached (the warm-up and any cold start are not the capacity question), otherwise every interval
 * that carried load. Latency percentiles are the report's warm latency (2xx responses of the steady-state intervals,
 * exact, from the merged histograms); counts and ratios are sums over the judged interval rows.
 *
 * @param rate the step's target rate, requests per second
 * @param steadyState whether steady state was reached
 * @param judgedIntervals how many intervals the figures cover
 * @param intended requests the schedule intended in them
 * @param sent requests sent
 * @param completed responses and failures recorded
 * @param successes 2xx responses
 * @param errors errors by class
 * @param p50 warm P50 in ms, null without steady state
 * @param p95 warm P95 in ms, null without steady state
 * @param p99 warm P99 in ms, null without steady state
 * @param schedulerLagP99Max the highest per-interval scheduler-lag P99 in ms (null when no interval had one)
 * @param connectionWaitP99Max the highest per-interval connection-wait P99 in ms: requests that waited in a worker
 *     for a free connection before they were written (null when no interval had one)
 * @param serviceTimeFloor the least the target's own service time (write to last byte, no wait in the workers)
 *     reached in the settled half of the judged intervals: what any latency of the step was at least
 * @param lateSends sends that left later than the plan's late-send threshold
 * @param unsent requests abandoned in a worker's backlog
 */
public record StepFigures(
        double rate,
        boolean steadyState,
        int judgedIntervals,
        long intended,
        long sent,
        long completed,
        long successes,
        RunReport.Errors errors,
        Double p50,
        Double p95,
        Double p99,
        Double schedulerLagP99Max,
        Double connectionWaitP99Max,
        ServiceTimeFloor serviceTimeFloor,
        long lateSends,
        long unsent) {

    /** The figures an objective may name (canonical names; aliases such as p99 resolve to them). */
    public static final Set<String> JUDGEABLE = Set.of(
            "latency.p50",
            "latency.p95",
            "latency.p99",
            "warm.p50",
            "warm.p95",
            "warm.p99",
            "error_rate",
            "error_rate.4xx",
            "error_rate.5xx",
            "error_rate.timeout",
            "error_rate.connect",
            "achieved_rate",
            "success_rate");

    /** Refuses an objective a step cannot judge on its steady-state intervals, naming the ones it can. */
    public static void requireJudgeable(Criterion objective) {
        if (!JUDGEABLE.contains(objective.figure().name())) {
            throw new IllegalArgumentException("'" + objective.text() + "': a capacity search judges each step on its"
                    + " steady-state intervals and can check p50, p95, p99 (warm 2xx latency), errors or error_rate"
                    + " (with a class such as errors.5xx) in %, achieved_rate and success_rate; not "
                    + objective.figure().name());
        }
    }

    /** The figures of a step at {@code rate} from its run report. */
    public static StepFigures of(double rate, RunReport report) {
        DetectorReport detectors = report.detectors();
        DetectorReport.Steady steady = detectors == null ? null : detectors.steadyState();
        boolean reached = steady != null && steady.reached() && steady.startInterval() != null;
        long from = reached ? steady.startInterval() : Long.MIN_VALUE;
        List<IntervalRow> judged = report.intervals().stream()
                .filter(r -> r.index() >= from && r.intended() > 0)
                .toList();
        long intended = 0;
        long sent = 0;
        long completed = 0;
        long successes = 0;
        long c4 = 0;
        long c5 = 0;
        long timeouts = 0;
        long connect = 0;
        long unsentTimeouts = 0;
        long late = 0;
        long unsent = 0;
        Double lag = null;
        Double wait = null;
        for (IntervalRow r : judged) {
            intended += r.intended();
            sent += r.sent();
            completed += r.requests();
            successes += r.successes();
            c4 += r.errors().status4xx();
            c5 += r.errors().status5xx();
            timeouts += r.errors().timeout();
            connect += r.errors().connectError();
            unsentTimeouts += r.errors().unsentTimeout();
            late += r.lateSends();
            unsent += r.unsent();
            Double p99 = r.schedulerLag() == null ? null : r.schedulerLag().p99();
            if (p99 != null && (lag == null || p99 > lag)) {
                lag = p99;
            }
            Double waitP99 =
                    r.connectionWait() == null ? null : r.connectionWait().p99();
            if (waitP99 != null && (wait == null || waitP99 > wait)) {
                wait = waitP99;
            }
        }
        DetectorReport.Warm warm = reached ? detectors.warmLatency() : null;
        ServiceTimeFloor floor = ServiceTimeFloor.of(judged.subList(judged.size() / 2, judged.size()));
        return new StepFigures(
                rate,
                reached,
                judged.size(),
                intended,
                sent,
                completed,
                successes,
                new RunReport.Errors(c4, c5, timeouts, connect, unsentTimeouts),
                warm == null ? null : warm.p50(),
                warm == null ? null : warm.p95(),
                warm == null ? null : warm.p99(),
                lag,
                wait,
                floor,
                late,
                unsent);
    }

    /**
     * The lowest per-interval service-time percentiles of a set of intervals. A percentile of their union is never
     * below the lowest of the intervals' own, so these are lower bounds of the step's service time, and latency
     * (timed from the intended send instant) is never below service time: a latency objective these break, the
     * step breaks whatever its workers did. The settled half is taken because a target past its capacity builds its
     * queue over the first intervals of a step.
     *
     * @param p50 lower bound of the service-time P50 in ms, null without a service time
     * @param p95 lower bound of the P95
     * @param p99 lower bound of the P99
     */
    public record ServiceTimeFloor(Double p50, Double p95, Double p99) {

        /** No interval had a service time. */
        public static final ServiceTimeFloor NONE = new ServiceTimeFloor(null, null, null);

        static ServiceTimeFloor of(List<IntervalRow> intervals) {
            List<RunReport.Percentiles> timed = intervals.stream()
                    .map(IntervalRow::serviceTime)
                    .filter(p -> p != null && p.count() > 0)
                    .toList();
            if (timed.isEmpty()) {
                return NONE;
            }
            return new ServiceTimeFloor(
                    lowest(timed, RunReport.Percentiles::p50),
                    lowest(timed, RunReport.Percentiles::p95),
                    lowest(timed, RunReport.Percentiles::p99));
        }

        private static Double lowest(List<RunReport.Percentiles> timed, Function<RunReport.Percentiles, Double> level) {
            Double least = null;
            for (RunReport.Percentiles p : timed) {
                Double v = level.apply(p);
                if (v == null) {
                    return null;
                }
                least = least == null ? v : Math.min(least, v);
            }
            return least;
        }

        /** The bound for a latency figure, null for any other figure. */
        public Double of(Figure figure) {
            return switch (figure.name()) {
                case "latency.p50", "warm.p50" -> p50;
                case "latency.p95", "warm.p95" -> p95;
                case "latency.p99", "warm.p99" -> p99;
                default -> null;
            };
        }
    }

    /** Sent over intended, as a rate: what the workers offered of the target rate. */
    public double achievedRate() {
        return intended == 0 ? 0 : rate * sent / intended;
    }

    /** 2xx responses over intended, as a rate. */
    public double successRate() {
        return intended == 0 ? 0 : rate * successes / intended;
    }

    /** Errors of all classes, in percent of the completed requests (null when none completed). */
    public Double errorPercent() {
        return percentOfCompleted(errors.total());
    }

    private Double percentOfCompleted(long count) {
        return completed == 0 ? null : 100.0 * count / completed;
    }

    /** The value of a {@linkplain #JUDGEABLE judgeable} figure, in its unit; null when the step has none. */
    public Double value(Figure figure) {
        return switch (figure.name()) {
            case "latency.p50", "warm.p50" -> p50;
            case "latency.p95", "warm.p95" -> p95;
            case "latency.p99", "warm.p99" -> p99;
            case "error_rate" -> errorPercent();
            case "error_rate.4xx" -> percentOfCompleted(errors.status4xx());
            case "error_rate.5xx" -> percentOfCompleted(errors.status5xx());
            case "error_rate.timeout" -> percentOfCompleted(errors.timeout());
            case "error_rate.connect" -> percentOfCompleted(errors.connectError());
            case "achieved_rate" -> achievedRate();
            case "success_rate" -> successRate();
            default -> null;
        };
    }
}
