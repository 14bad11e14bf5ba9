package io.salvo.benchmark;

import io.salvo.benchmark.ExperimentRecord.ColdStartRow;
import io.salvo.benchmark.ExperimentRecord.GroundTruth;
import io.salvo.benchmark.ExperimentRecord.Measured;
import io.salvo.benchmark.ExperimentRecord.TruthInstance;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.detect.DetectionEvent.ColdStart;
import io.salvo.detect.DetectorSettings;
import io.salvo.detect.DetectorSummary;
import io.salvo.detect.IntervalObservation;
import io.salvo.detect.LiveDetectors;
import io.salvo.detect.PlatformInstanceSignals;
import io.salvo.detect.SteadyState;
import io.salvo.detect.TimeToFirstSuccess;
import io.salvo.detect.WarmLatency;
import io.salvo.platform.PlatformSignals;
import io.salvo.proto.v1.MergedInterval;
import io.salvo.proto.v1.RunResult;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.HdrHistogram.Histogram;

/** Turns one run's merged result (and the platform's ground truth) into the benchmark's numbers. */
final class RunMeasurement {

    static final String WARM_BASIS_STEADY = "steady-state intervals (detector warm latency)";
    static final String WARM_BASIS_FALLBACK = "steady state not reached: every interval without a cold start";

    private RunMeasurement() {}

    /** The run's interval-0 instant (coordinator clock; on one machine the same clock as the platform's). */
    static Instant runStart(RunResult result) {
        return Instant.ofEpochSecond(0, result.getStartUnixNanos());
    }

    /** Re-runs the live detectors over the final merged intervals, with the platform's signals. */
    static DetectorSummary detect(RunResult result, PlatformInstanceSignals platform) {
        LiveDetectors detectors =
                new LiveDetectors(DetectorSettings.defaults(result.getPlan().getIntervalMillis()), platform);
        for (MergedInterval interval : result.getIntervalsList()) {
            detectors.accept(interval);
        }
        return detectors.summary();
    }

    static Measured measured(RunResult result, DetectorSummary summary) {
        long intended = 0;
        long successes = 0;
        long errors = 0;
        Set<Long> coldIntervals = new HashSet<>();
        summary.coldStarts().forEach(c -> coldIntervals.add(c.intervalIndex()));
        Histogram outsideColdStarts = HistogramSpec.newHistogram();
        for (MergedInterval interval : result.getIntervalsList()) {
            IntervalObservation o =
                    IntervalObservation.from(interval, summary.settings().instanceHeader());
            intended += o.intended();
            successes += o.successes();
            errors += o.errors();
            if (!coldIntervals.contains(o.index())) {
                outsideColdStarts.add(o.successLatency());
            }
        }
        TimeToFirstSuccess ttfr = summary.timeToFirstSuccess();
        SteadyState steady = summary.steadyState();
        WarmLatency warm = summary.warmLatency();
        Double p50;
        Double p95;
        Double p99;
        long warmCount;
        String basis;
        if (warm.count() > 0) {
            p50 = millis(warm.p50Micros());
            p95 = millis(warm.p95Micros());
            p99 = millis(warm.p99Micros());
            warmCount = warm.count();
            basis = WARM_BASIS_STEADY + ", cold requests excluded by "
                    + warm.coldExclusion().name().toLowerCase(Locale.ROOT);
        } else if (outsideColdStarts.getTotalCount() > 0) {
            p50 = millis(outsideColdStarts.getValueAtPercentile(50));
            p95 = millis(outsideColdStarts.getValueAtPercentile(95));
            p99 = millis(outsideColdStarts.getValueAtPercentile(99));
            warmCount = outsideColdStarts.getTotalCount();
            basis = WARM_BASIS_FALLBACK;
        } else {
            p50 = null;
            p95 = null;
            p99 = null;
            warmCount = 0;
            basis = "no successful response outside cold-start intervals";
        }
        DetectorSettings s = summary.settings();
        String rule = String.format(
                Locale.ROOT,
                "W=%d intervals of %d ms, 2xx >= %.2f x target, errors <= %.1f%%,"
                        + " p95s within x%.2f on 99%% bounds",
                s.steadyWindowIntervals(),
                s.intervalMicros() / 1000,
                s.minSuccessRateRatio(),
                s.maxErrorRatio() * 100,
                s.maxP95Spread());
        List<ColdStartRow> coldStarts = summary.coldStarts().stream()
                .map(c -> new ColdStartRow(
                        c.instanceId(),
                        c.intervalIndex(),
                        c.firstResponseLatencyMicros() == null ? null : millis(c.firstResponseLatencyMicros()),
                        c.modelLoadMillis()))
                .toList();
        return new Measured(
                intended,
                successes,
                errors,
                summary.instanceSourceLabel(),
                ttfr == null ? null : millis(ttfr.micros()),
                ttfr == null ? null : ttfr.resolution().name().toLowerCase(Locale.ROOT),
                ttfr == null ? null : ttfr.errorsBefore(),
                ttfr == null ? null : millis(ttfr.firstSendOffsetMicros()),
                ttfr == null ? null : millis(ttfr.firstSuccessOffsetMicros()),
                steady.reached(),
                steady.reached() ? steady.startOffsetMicros() / 1e6 : null,
                rule,
                p50,
                p95,
                p99,
                warmCount,
                basis,
                coldStarts);
    }

    /**
     * The platform's view of this run.
     *
     * @param coldSince when the run was forced cold (its instants start the time-to-first-success truth); null for
     *                  a warm run
     */
    static GroundTruth groundTruth(PlatformSignals signals, RunResult result, Instant coldSince) {
        Instant start = runStart(result);
        Instant end =
                result.getEndUnixNanos() == 0 ? Instant.now() : Instant.ofEpochSecond(0, result.getEndUnixNanos());
        Double ttfr = null;
        Double firstRequest = null;
        Double firstSuccess = null;
        if (coldSince != null
                && signals.firstRequestAt() != null
                && signals.firstSuccessAt() != null
                && !signals.firstRequestAt().isBefore(coldSince)) {
            ttfr = Duration.between(signals.firstRequestAt(), signals.firstSuccessAt())
                            .toNanos()
                    / 1e6;
            firstRequest = Duration.between(start, signals.firstRequestAt()).toNanos() / 1e6;
            firstSuccess = Duration.between(start, signals.firstSuccessAt()).toNanos() / 1e6;
        }
        // Instances whose first reply falls in this run: the cold starts the run met.
        List<TruthInstance> instances = signals.instances().stream()
                .filter(i -> i.firstReplyAt() != null
                        && !i.firstReplyAt().isBefore(coldSince != null ? coldSince : start)
                        && !i.firstReplyAt().isAfter(end))
                .map(i -> new TruthInstance(
                        i.name(),
                        i.instanceId(),
                        seconds(start, i.spawnedAt()),
                        seconds(start, i.readyAt()),
                        seconds(start, i.firstRequestRoutedAt()),
                        seconds(start, i.firstReplyAt()),
                        i.modelLoadMillis()))
                .toList();
        return new GroundTruth(signals.source(), ttfr, firstRequest, firstSuccess, instances);
    }

    /** Instance ids in the ground truth that Salvo did not detect, and detected ids the platform never started. */
    static String mismatch(GroundTruth truth, List<ColdStart> detected) {
        Set<String> truthIds = new HashSet<>();
        truth.instances().forEach(i -> truthIds.add(i.instanceId()));
        Set<String> detectedIds = new HashSet<>();
        detected.forEach(c -> detectedIds.add(c.instanceId()));
        if (truthIds.equals(detectedIds)) {
            return "";
        }
        Set<String> missed = new HashSet<>(truthIds);
        missed.removeAll(detectedIds);
        Set<String> extra = new HashSet<>(detectedIds);
        extra.removeAll(truthIds);
        return "missed " + missed + ", not in ground truth " + extra;
    }

    private static Double seconds(Instant start, Instant instant) {
        return instant == null ? null : Duration.between(start, instant).toNanos() / 1e9;
    }

    private static double millis(long micros) {
        return micros / 1000.0;
    }
}
