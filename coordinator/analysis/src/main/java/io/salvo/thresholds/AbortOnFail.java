package io.salvo.thresholds;

import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramCodec.CorruptHistogramException;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.core.rate.RateProfile;
import io.salvo.proto.v1.ArrivalProcess;
import io.salvo.proto.v1.LiveEvent;
import io.salvo.proto.v1.LiveEventKind;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeCount;
import io.salvo.proto.v1.RunPlan;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * Decides, interval by interval during a run, whether a criterion marked abortOnFail can no longer pass, so the run
 * can stop instead of spending the rest of its time (and the target's money) on a verdict already known.
 *
 * <p>Assumptions and guarantees: it is fed each live snapshot once, in interval order (a replay after a fail-over
 * filtered out by the caller). It only says "can no longer pass" when that holds for every way the rest of the run
 * could go: the final count of responses is bounded by the plan's total intended requests, {@link #plannedUpperBound}
 * (for Poisson arrivals with a margin of six standard deviations), and nothing seen can be unseen. So it works only
 * for criteria that more data can only make worse ({@link #unsupportedReason}): upper limits on whole-run latency,
 * error counts and rates, late sends, unsent requests, in-flight cap hits, cold starts, time to first success,
 * time to steady state, the maximum scheduler lag and connection wait, and a region's error counts and maxima of
 * latency, scheduler lag and connection wait. The final verdict is still the one {@link Thresholds#evaluate} gives on
 * the report.
 */
public final class AbortOnFail {

    /** Why it says no, with the criterion. */
    public record Verdict(Criterion criterion, String why) {}

    private static final List<String> GROWING_COUNTS =
            List.of("late_sends", "unsent", "in_flight_cap_hits", "cold_starts", Figure.ERRORS);

    /**
     * Maxima besides latency's that live snapshots carry for every interval (and region), as the maximum of the
     * interval's exact merged histogram, the same data and buckets as the report's figure. A maximum only grows as
     * intervals and late reports come in, so one interval's maximum is a lower bound of the run's. The other
     * families' maxima (latency_2xx, service_time, time_to_first_byte, connect, tls_handshake) are as monotone but
     * not in the snapshots, so they are only decided when the run ends.
     */
    private static final List<String> MAXIMA_IN_SNAPSHOTS = List.of("scheduler_lag.max", "connection_wait.max");

    /** An empty Salvo histogram: only its bucket arithmetic is used (1 µs to 1 h, 3 digits, as every live one). */
    private static final Histogram BUCKETS = HistogramSpec.newHistogram();

    private final List<Criterion> criteria;
    private final long intervalMillis;
    private final int steadyWindowIntervals;
    private final double plannedUpperBound;

    private final Tally run = new Tally();
    /** The regions' own tallies, from the region snapshots each live snapshot carries, for region[NAME] criteria. */
    private final Map<String, Tally> regions = new HashMap<>();

    private long firstSendInterval = -1;
    private boolean successSeen;
    private boolean steadySeen;
    private long lastIndex = -1;

    /**
     * @param plan                  the run's plan: its criteria marked abortOnFail are watched
     * @param steadyWindowIntervals the steady-state detector's window for this plan, in intervals
     */
    public AbortOnFail(RunPlan plan, int steadyWindowIntervals) {
        this.criteria = Thresholds.of(plan).stream()
                .filter(Criterion::abortOnFail)
                .filter(c -> unsupportedReason(c).isEmpty())
                .toList();
        this.intervalMillis = plan.getIntervalMillis();
        this.steadyWindowIntervals = steadyWindowIntervals;
        this.plannedUpperBound = plannedUpperBound(plan);
    }

    /** Whether any criterion is watched at all; a plan without one needs no snapshots decoded. */
    public boolean watching() {
        return !criteria.isEmpty();
    }

    /**
     * The most responses a run of this plan can have: the plan's expected total (Λ at the end of the phases), rounded
     * up, plus one per worker for rounding; with Poisson arrivals, six standard deviations more (the count is
     * Poisson(Λ): exceeding that happens about once in a billion runs).
     */
    static double plannedUpperBound(RunPlan plan) {
        double expected = RateProfile.of(plan.getPhasesList()).totalCount();
        double bound = Math.ceil(expected) + Math.max(1, plan.getWorkerCount());
        if (plan.getArrival() == ArrivalProcess.ARRIVAL_PROCESS_POISSON) {
            bound += 6 * Math.sqrt(expected) + 10;
        }
        return bound;
    }

    /**
     * Empty when abortOnFail can act on this criterion; otherwise why not, for the plan's error message. A criterion
     * qualifies when more data can only make it worse, so a run that already breaks it cannot recover.
     */
    public static Optional<String> unsupportedReason(Criterion c) {
        String name = c.figure().name();
        boolean upper = c.operator() != null && c.operator().isUpperLimit();
        boolean supported;
        if (c.figure().region().isPresent()) {
            // A region's share of the responses has no bound here (its workers may be lost and its share go unsent,
            // or it may be re-sliced), so only what needs none: its error counts and its maximum latency.
            String within = c.figure().withinRegion().name();
            boolean errorCount = within.equals(Figure.ERRORS) || within.startsWith(Figure.ERRORS + ".");
            supported = (errorCount && (upper || c.operator() == Operator.EQUAL))
                    || ((within.equals("latency.max") || MAXIMA_IN_SNAPSHOTS.contains(within)) && upper);
        } else if (c.figure().isWholeRunLatency()) {
            supported = upper && !name.equals("latency.min");
        } else if (MAXIMA_IN_SNAPSHOTS.contains(name)) {
            supported = upper;
        } else if (c.figure().kind() == Figure.Kind.COUNT) {
            boolean growing = GROWING_COUNTS.contains(name) || name.startsWith(Figure.ERRORS + ".");
            supported = growing && (upper || c.operator() == Operator.EQUAL);
        } else if (c.figure().kind() == Figure.Kind.RATIO
                || name.equals(Figure.TIME_TO_FIRST_SUCCESS)
                || name.equals(Figure.TIME_TO_STEADY_STATE)) {
            supported = upper;
        } else {
            supported = false;
        }
        if (supported) {
            return Optional.empty();
        }
        return Optional.of("abortOnFail needs a criterion that more data can only make worse, so a run that breaks it "
                + "cannot recover: an upper limit (< or <=) on whole-run latency (p50 ... max, mean), errors, "
                + "error_rate, late_sends, unsent, in_flight_cap_hits, cold_starts, time_to_first_response, "
                + "time_to_steady_state (== also for those counts), scheduler_lag.max or connection_wait.max, and per "
                + "region its errors and its latency, scheduler_lag and connection_wait max; '"
                + c.text() + "' is only decided when the run ends");
    }

    /** Takes the next interval's snapshot; the first watched criterion that can no longer pass, if any. */
    public Optional<Verdict> accept(LiveSnapshot s) {
        if (criteria.isEmpty()) {
            return Optional.empty();
        }
        lastIndex = Math.max(lastIndex, s.getIntervalIndex());
        if (firstSendInterval < 0 && (s.getSent() > 0 || s.getCompleted() > 0)) {
            firstSendInterval = s.getIntervalIndex();
        }
        successSeen |= s.getSuccesses() > 0;
        run.add(s);
        for (LiveSnapshot regional : s.getRegionsList()) {
            regions.computeIfAbsent(regional.getRegion(), r -> new Tally()).add(regional);
        }
        for (LiveEvent e : s.getLiveEventsList()) {
            if (e.getKind() == LiveEventKind.LIVE_EVENT_KIND_FIRST_SUCCESS) {
                successSeen = true;
            } else if (e.getKind() == LiveEventKind.LIVE_EVENT_KIND_STEADY_STATE) {
                steadySeen = true;
            }
        }
        for (Criterion c : criteria) {
            Optional<String> why = c.figure()
                    .region()
                    .map(r -> regionCannotPass(c, regions.getOrDefault(r, new Tally())))
                    .orElseGet(() -> cannotPass(c));
            if (why.isPresent()) {
                return Optional.of(new Verdict(c, why.get()));
            }
        }
        return Optional.empty();
    }

    /**
     * A region's criterion: only those decided without a bound on the region's final count (its error counts and its
     * maximum latency; {@link #unsupportedReason}), so the region's share of the plan need not be bounded.
     */
    private Optional<String> regionCannotPass(Criterion c, Tally region) {
        String name = c.figure().withinRegion().name();
        if (name.equals("latency.max")) {
            return latencyMax(c, region);
        }
        if (MAXIMA_IN_SNAPSHOTS.contains(name)) {
            return maximum(c, region.maximumMicros(name));
        }
        return counted(c, region.errorCount(name.substring(Figure.ERRORS.length())));
    }

    private Optional<String> cannotPass(Criterion c) {
        String name = c.figure().name();
        if (c.figure().isWholeRunLatency()) {
            return latency(c, name.substring("latency.".length()));
        }
        if (MAXIMA_IN_SNAPSHOTS.contains(name)) {
            return maximum(c, run.maximumMicros(name));
        }
        if (name.equals(Figure.TIME_TO_FIRST_SUCCESS)) {
            if (successSeen || firstSendInterval < 0) {
                return Optional.empty();
            }
            // The first success comes after the end of the last interval seen; the first send was no later than the
            // end of its interval.
            double lowerBound = (lastIndex - firstSendInterval) * (double) intervalMillis;
            return broken(c, lowerBound)
                    ? Optional.of(String.format(
                            Locale.ROOT, "no successful response %.1f s after the first send", lowerBound / 1000))
                    : Optional.empty();
        }
        if (name.equals(Figure.TIME_TO_STEADY_STATE)) {
            if (steadySeen) {
                return Optional.empty();
            }
            // A window closing from the next interval on starts at (lastIndex + 2 - W) at the earliest.
            double earliestStart = Math.max(0, lastIndex + 2 - steadyWindowIntervals) * (double) intervalMillis;
            return broken(c, earliestStart)
                    ? Optional.of(String.format(
                            Locale.ROOT,
                            "no steady state yet: a %d-interval window can no longer start before %.1f s",
                            steadyWindowIntervals,
                            earliestStart / 1000))
                    : Optional.empty();
        }
        if (c.figure().kind() == Figure.Kind.RATIO) {
            long count = run.errorCount(name.substring(Figure.ERROR_RATE.length()));
            // The final ratio is count_final / responses_final >= count / plannedUpperBound.
            double lowerBoundPercent = 100.0 * count / plannedUpperBound;
            return broken(c, lowerBoundPercent)
                    ? Optional.of(String.format(
                            Locale.ROOT,
                            "%d errors so far are already %s of the at most %.0f requests the plan sends",
                            count,
                            c.figure().format(lowerBoundPercent),
                            plannedUpperBound))
                    : Optional.empty();
        }
        long count = switch (name) {
            case "late_sends" -> run.lateSends;
            case "unsent" -> run.unsent;
            case "in_flight_cap_hits" -> run.capHits;
            case "cold_starts" -> run.coldStarts;
            default -> run.errorCount(name.substring(Figure.ERRORS.length()));
        };
        return counted(c, count);
    }

    /** A count that only grows: broken once it is already over an upper limit, or over the value it must equal. */
    private static Optional<String> counted(Criterion c, long count) {
        boolean broken = c.operator() == Operator.EQUAL ? (double) count > c.limit() : broken(c, (double) count);
        return broken ? Optional.of(count + " so far") : Optional.empty();
    }

    /** Whether a lower bound of the final value already breaks an upper-limit criterion. */
    private static boolean broken(Criterion c, double lowerBound) {
        return !c.operator().holds(lowerBound, c.limit());
    }

    /**
     * Whole-run latency (all outcomes). The report's statistic is read from the merged histogram at the end; a value
     * counts as breaking the limit here only if every value of its histogram bucket does, so the report's figure
     * (the bucket's highest equivalent value) breaks it too.
     */
    private Optional<String> latency(Criterion c, String statistic) {
        Histogram latency = run.latency;
        if (latency.getTotalCount() == 0) {
            return Optional.empty();
        }
        if (statistic.equals("mean")) {
            // mean_final = sum_final / n_final >= sum_so_far / plannedUpperBound
            double lowerBoundMillis = latency.getMean() * latency.getTotalCount() / plannedUpperBound / 1000;
            return broken(c, lowerBoundMillis)
                    ? Optional.of(String.format(
                            Locale.ROOT,
                            "the responses so far already make the mean at least %s over the at most %.0f requests "
                                    + "the plan sends",
                            c.figure().format(lowerBoundMillis),
                            plannedUpperBound))
                    : Optional.empty();
        }
        if (statistic.equals("max")) {
            return latencyMax(c, run);
        }
        long slow = breaking(c, latency);
        double percentile = Double.parseDouble(statistic.substring(1));
        // The statistic breaks the limit once the responses breaking it are more than (100 - p) % of the final
        // count, whatever the rest of the run brings; the final count is at most plannedUpperBound, and one more
        // response covers the percentile's rounding to a rank.
        double allowed = (100 - percentile) / 100 * plannedUpperBound + 1;
        return slow > allowed
                ? Optional.of(String.format(
                        Locale.ROOT,
                        "%d responses so far broke %s %s, more than %s %% of the at most %.0f requests the plan sends",
                        slow,
                        c.operator().symbol(),
                        c.formattedLimit(),
                        Figure.number(100 - percentile),
                        plannedUpperBound))
                : Optional.empty();
    }

    private static Optional<String> latencyMax(Criterion c, Tally tally) {
        long slow = breaking(c, tally.latency);
        return slow > 0
                ? Optional.of(slow + " response(s) so far took " + c.formattedLimit() + " or more")
                : Optional.empty();
    }

    /**
     * A maximum seen so far (µs, the highest equivalent value of its histogram bucket, as the report gives it; 0 before
     * any): it breaks the upper limit only if every value of its bucket does, so the report's figure, from the same
     * bucket or a higher one, breaks it too.
     */
    private static Optional<String> maximum(Criterion c, long maximumMicros) {
        if (maximumMicros <= 0) {
            return Optional.empty();
        }
        long lowest = BUCKETS.lowestEquivalentValue(maximumMicros);
        return c.operator().holds((double) lowest, c.limit() * 1000)
                ? Optional.empty()
                : Optional.of(String.format(
                        Locale.ROOT,
                        "an interval's maximum so far was %s",
                        c.figure().format(maximumMicros / 1000.0)));
    }

    /**
     * The responses that break the criterion's upper limit: those whose whole histogram bucket does, so the report's
     * figure (the bucket's highest equivalent value) breaks it too.
     */
    private static long breaking(Criterion c, Histogram latency) {
        double limitMicros = c.limit() * 1000;
        long slow = 0;
        for (HistogramIterationValue v : latency.recordedValues()) {
            long lowest = latency.lowestEquivalentValue(v.getValueIteratedTo());
            if (!c.operator().holds((double) lowest, limitMicros)) {
                slow += v.getCountAddedInThisIterationStep();
            }
        }
        return slow;
    }

    /** What the snapshots of the run, or of one region, added up to so far. */
    private static final class Tally {
        private final Histogram latency = HistogramSpec.newHistogram();
        private final Map<OutcomeClass, Long> outcomes = new EnumMap<>(OutcomeClass.class);
        private long errors;
        private long lateSends;
        private long unsent;
        private long capHits;
        private long coldStarts;
        private long schedulerLagMaxMicros;
        private long connectionWaitMaxMicros;

        void add(LiveSnapshot s) {
            schedulerLagMaxMicros = Math.max(schedulerLagMaxMicros, s.getSchedulerLagMaxMicros());
            connectionWaitMaxMicros = Math.max(connectionWaitMaxMicros, s.getConnectionWaitMaxMicros());
            errors += s.getErrors();
            lateSends += s.getLateSends();
            unsent += s.getUnsent();
            capHits += s.getInFlightCapHits();
            for (OutcomeCount o : s.getOutcomeCountsList()) {
                outcomes.merge(o.getOutcome(), o.getCount(), Long::sum);
            }
            for (LiveEvent e : s.getLiveEventsList()) {
                if (e.getKind() == LiveEventKind.LIVE_EVENT_KIND_COLD_START) {
                    coldStarts++;
                }
            }
            if (!s.getLatencyMicros().isEmpty()) {
                try {
                    latency.add(HistogramCodec.decode(s.getLatencyMicros()));
                } catch (CorruptHistogramException e) {
                    // An undecodable live histogram only costs the latency criteria this interval's data; the
                    // final report, built from the stored result, is unaffected.
                }
            }
        }

        /** The largest interval maximum so far of one of {@link #MAXIMA_IN_SNAPSHOTS}, microseconds. */
        long maximumMicros(String figure) {
            return switch (figure) {
                case "scheduler_lag.max" -> schedulerLagMaxMicros;
                case "connection_wait.max" -> connectionWaitMaxMicros;
                default -> throw new IllegalStateException("no maximum in the snapshots for " + figure);
            };
        }

        /** Errors so far of the class named by {@code suffix} (".5xx"), or all errors for an empty suffix. */
        long errorCount(String suffix) {
            OutcomeClass outcome = switch (suffix) {
                case "" -> null;
                case ".4xx" -> OutcomeClass.OUTCOME_CLASS_4XX;
                case ".5xx" -> OutcomeClass.OUTCOME_CLASS_5XX;
                case ".timeout" -> OutcomeClass.OUTCOME_CLASS_TIMEOUT;
                case ".connect" -> OutcomeClass.OUTCOME_CLASS_CONNECT_ERROR;
                default -> throw new IllegalStateException("no error class " + suffix);
            };
            return outcome == null ? errors : outcomes.getOrDefault(outcome, 0L);
        }
    }
}
