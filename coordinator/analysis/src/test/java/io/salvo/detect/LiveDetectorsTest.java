package io.salvo.detect;

import static io.salvo.detect.SyntheticInterval.interval;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.detect.DetectionEvent.ColdStart;
import io.salvo.detect.DetectionEvent.FirstSuccess;
import io.salvo.detect.DetectionEvent.InstancesInInterval;
import io.salvo.detect.DetectionEvent.SteadyStateReached;
import io.salvo.detect.TimeToFirstSuccess.Resolution;
import io.salvo.detect.WarmLatency.ColdExclusion;
import io.salvo.proto.v1.CapturedHeader;
import io.salvo.proto.v1.HeaderValueCount;
import io.salvo.proto.v1.MergedInterval;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeHistograms;
import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class LiveDetectorsTest {

    private static final long SECOND = 1_000_000;
    private static final DetectorSettings ONE_SECOND = DetectorSettings.defaults(1000);

    private static List<DetectionEvent> feedAll(LiveDetectors detectors, List<IntervalObservation> stream) {
        List<DetectionEvent> events = new ArrayList<>();
        stream.forEach(i -> events.addAll(detectors.accept(i)));
        return events;
    }

    private static <T extends DetectionEvent> List<T> only(List<DetectionEvent> events, Class<T> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }

    @Test
    void stepToTheTargetRateIsSteadyFromTheStepAndWarmLatencyIsTheWarmValueExactly() {
        // 3 s of a cold target (nothing served, then timeouts), then 100/s served at exactly 8 ms from one instance
        LiveDetectors detectors = new LiveDetectors(ONE_SECOND, null);
        List<IntervalObservation> stream = new ArrayList<>();
        stream.add(interval(0).target(100).build());
        stream.add(interval(1).target(100).errors(100).build());
        stream.add(interval(2)
                .target(100)
                .errors(100)
                .successes(1, 2_900_000)
                .instance("a", 1)
                .build());
        for (int i = 3; i < 20; i++) {
            stream.add(interval(i)
                    .target(100)
                    .successes(100, 8_000)
                    .instance("a", 100)
                    .build());
        }
        List<DetectionEvent> events = feedAll(detectors, stream);

        SteadyState steady = detectors.summary().steadyState();
        assertThat(steady.reached()).isTrue();
        assertThat(steady.startInterval()).isEqualTo(3);
        assertThat(steady.startOffsetMicros()).isEqualTo(3 * SECOND);
        // decided the moment the fifth qualifying interval arrived, not later
        assertThat(only(events, SteadyStateReached.class))
                .singleElement()
                .satisfies(e -> assertThat(e.decidedAtInterval()).isEqualTo(7));

        WarmLatency warm = detectors.summary().warmLatency();
        assertThat(warm.count()).isEqualTo(17 * 100);
        assertThat(warm.steadyIntervals()).isEqualTo(17);
        assertThat(warm.p50Micros()).isEqualTo(warm.p99Micros());
        assertThat(HistogramSpec.newHistogram().highestEquivalentValue(8_000)).isEqualTo(warm.p99Micros());

        TimeToFirstSuccess ttfr = detectors.summary().timeToFirstSuccess();
        assertThat(ttfr.resolution()).isEqualTo(Resolution.INTERVAL);
        assertThat(ttfr.firstSendInterval()).isZero();
        assertThat(ttfr.firstSuccessInterval()).isEqualTo(2);
        assertThat(ttfr.micros()).isEqualTo(3 * SECOND);
        assertThat(ttfr.lowerBoundMicros()).isEqualTo(1 * SECOND);
        assertThat(ttfr.errorsBefore()).isEqualTo(200);
        assertThat(ttfr.errorsBeforeIsUpperBound()).isTrue();
        assertThat(only(events, FirstSuccess.class))
                .singleElement()
                .satisfies(e -> assertThat(e.decidedAtInterval()).isEqualTo(2));
    }

    @Test
    void slowRampReachesSteadyStateAtTheFirstIntervalAtNinetyFivePercentOfTarget() {
        // target 200/s; successes ramp by 20/s per interval: 20, 40, ... 180 (idx 8), 200 (idx 9).
        // 95 % of 200 is 190, so idx 9 is the first qualifying interval; latency settles from 30 ms to 10 ms
        // by 10 % steps that keep p95 spread above 1.10 until idx 11.
        LiveDetectors detectors = new LiveDetectors(ONE_SECOND, null);
        List<IntervalObservation> stream = new ArrayList<>();
        long[] latency = {
            30_000, 28_000, 26_000, 24_000, 22_000, 20_000, 18_000, 16_000, 14_000, 13_000, 12_000, 11_000, 10_500,
            10_200, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000
        };
        for (int i = 0; i < latency.length; i++) {
            long served = Math.min(200, 20L * (i + 1));
            stream.add(interval(i)
                    .target(200)
                    .successes(served, latency[i])
                    .instance("a", served)
                    .build());
        }
        feedAll(detectors, stream);
        SteadyState steady = detectors.summary().steadyState();
        // windows starting at 9: p95 13.0/10.0 ms = 1.3; at 10: 12.0/10.0 = 1.2; at 11: 11.0/10.0 = 1.1 -> qualifies
        assertThat(steady.startInterval()).isEqualTo(11);
        assertThat(steady.windowMaxP95Micros())
                .isEqualTo(HistogramSpec.newHistogram().highestEquivalentValue(11_000));
        assertThat(detectors.summary().warmLatency().steadyIntervals()).isEqualTo(9);
    }

    @Test
    void oscillationThatNeverSettlesIsNotReachedAndHasNoWarmLatency() {
        LiveDetectors detectors = new LiveDetectors(ONE_SECOND, null);
        List<IntervalObservation> stream = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            long p95 = i % 2 == 0 ? 10_000 : 12_000; // 20 % swing: never within 1.10
            stream.add(
                    interval(i).target(50).successes(50, p95).instance("a", 50).build());
        }
        List<DetectionEvent> events = feedAll(detectors, stream);
        DetectorSummary summary = detectors.summary();
        assertThat(summary.steadyState().reached()).isFalse();
        assertThat(summary.steadyState().startOffsetMicros()).isEqualTo(-1);
        assertThat(summary.steadyState().settings().maxP95Spread()).isEqualTo(1.10);
        assertThat(summary.warmLatency().count()).isZero();
        assertThat(summary.warmLatency().p50Micros()).isEqualTo(-1);
        assertThat(only(events, SteadyStateReached.class)).isEmpty();
    }

    /** An interval of {@code count} successes with lognormal latencies (median, sigma 0.3), seeded. */
    private static IntervalObservation noisy(
            int index, long count, long medianMicros, java.util.SplittableRandom random) {
        SyntheticInterval builder = interval(index).target(count).instance("a", count);
        for (int i = 0; i < count; i++) {
            double z = random.nextGaussian();
            builder.successes(1, Math.round(medianMicros * Math.exp(0.3 * z)));
        }
        return builder.build();
    }

    @Test
    void smallIntervalsOfOneLatencyDistributionAreSteadyThoughTheirP95sScatter() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        List<IntervalObservation> stream = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            stream.add(noisy(i, 30, 20_000, random)); // 30 responses/s: what the demo's rates give on 2 cores
        }
        // the point p95s of the first window scatter by more than 10 %: sampling noise, not a change
        long[] p95s = stream.subList(0, 5).stream()
                .mapToLong(o -> o.successLatency().getValueAtPercentile(95))
                .toArray();
        assertThat((double) java.util.Arrays.stream(p95s).max().getAsLong()
                        / java.util.Arrays.stream(p95s).min().getAsLong())
                .isGreaterThan(1.10);
        LiveDetectors detectors = new LiveDetectors(ONE_SECOND, null);
        feedAll(detectors, stream);
        assertThat(detectors.summary().steadyState().reached()).isTrue();
        assertThat(detectors.summary().steadyState().startInterval()).isZero();
        assertThat(detectors.summary().warmLatency().steadyIntervals()).isEqualTo(20);
        assertThat(detectors.summary().warmLatency().count()).isEqualTo(19 * 30); // interval 0 saw instance "a" start
    }

    @Test
    void aRealLatencyChangeStillBreaksTheWindowWhenSamplesAreFew() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(11);
        long[] medians = {
            100_000, 80_000, 60_000, 40_000, 20_000, 20_000, 20_000, 20_000, 20_000, 20_000, 20_000, 20_000
        };
        List<IntervalObservation> stream = new ArrayList<>();
        for (int i = 0; i < medians.length; i++) {
            stream.add(noisy(i, 30, medians[i], random)); // a queue draining: latency falls to 20 ms by interval 4
        }
        LiveDetectors detectors = new LiveDetectors(ONE_SECOND, null);
        feedAll(detectors, stream);
        assertThat(detectors.summary().steadyState().startInterval()).isEqualTo(4);
    }

    @Test
    void errorsAboveOneInAThousandKeepAnIntervalOutOfTheWindow() {
        LiveDetectors detectors = new LiveDetectors(ONE_SECOND, null);
        List<IntervalObservation> stream = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            // 2 errors in 1000 responses at idx 4: the window must restart after it
            stream.add(interval(i)
                    .target(1000)
                    .successes(i == 4 ? 998 : 1000, 5_000)
                    .errors(i == 4 ? 2 : 0)
                    .instance("a", 1000)
                    .build());
        }
        feedAll(detectors, stream);
        assertThat(detectors.summary().steadyState().startInterval()).isEqualTo(5);
    }

    @Test
    void coldStartInTheMiddleIsDetectedOnceAndItsIntervalIsKeptOutOfWarmLatency() {
        LiveDetectors detectors = new LiveDetectors(ONE_SECOND, null);
        List<IntervalObservation> stream = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            SyntheticInterval s = interval(i).target(100).successes(100, 4_000);
            if (i < 10) {
                s.instance("a", 100);
            } else if (i == 10) {
                // "b" joins: 10 of its responses waited for its model load; p95 stays at 4 ms
                s.instance("a", 90).instance("b", 10);
            } else {
                s.instance("a", 50).instance("b", 50);
            }
            stream.add(s.build());
        }
        List<DetectionEvent> events = feedAll(detectors, stream);

        List<ColdStart> coldStarts = only(events, ColdStart.class);
        assertThat(coldStarts).extracting(ColdStart::instanceId).containsExactly("a", "b");
        assertThat(coldStarts).extracting(ColdStart::intervalIndex).containsExactly(0L, 10L);
        assertThat(coldStarts.get(1).source()).isEqualTo(InstanceSource.RESPONSE_HEADERS);
        assertThat(coldStarts.get(1).responsesInInterval()).isEqualTo(10);
        assertThat(coldStarts.get(1).firstResponseLatencyMicros()).isNull();
        assertThat(coldStarts.get(1).decidedAtInterval()).isEqualTo(10);

        WarmLatency warm = detectors.summary().warmLatency();
        assertThat(warm.coldExclusion()).isEqualTo(ColdExclusion.INTERVALS_WITH_COLD_STARTS);
        // steady from 0 (the cold start at 0 is "a"'s, so interval 0 is excluded too), all 20 intervals steady
        assertThat(warm.steadyIntervals()).isEqualTo(20);
        assertThat(warm.coldExcludedResponses()).isEqualTo(200);
        assertThat(warm.count()).isEqualTo(18 * 100);

        List<InstancesInInterval> timeline = detectors.summary().instancesOverTime();
        assertThat(timeline).hasSize(20);
        assertThat(timeline.get(9).respondingInstances()).isEqualTo(1);
        assertThat(timeline.get(10).respondingInstances()).isEqualTo(2);
        assertThat(timeline.get(10).newInstances()).isEqualTo(1);
        assertThat(timeline.get(11).newInstances()).isZero();
        assertThat(timeline.get(10).platformRunning()).isNull();
    }

    @Test
    void reportedColdRequestsAreSubtractedExactlyAndTheFirstResponseGivesLatencyAndModelLoad() {
        LiveDetectors detectors = new LiveDetectors(ONE_SECOND, null);
        List<IntervalObservation> stream = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            SyntheticInterval s = interval(i)
                    .target(100)
                    .successes(100, 4_000)
                    .instance("a", 100)
                    .noColdSuccesses();
            if (i == 0) {
                s.firstResponses(new InstanceFirstResponse("a", true, 4_000, 3_000, 120L));
            }
            if (i == 6) {
                // 1 of the 100 successes met cold "b": 4 ms budget still holds for p95, but it is not warm
                s = interval(i)
                        .target(100)
                        .successes(99, 4_000)
                        .successes(1, 4_100)
                        .instance("a", 99)
                        .instance("b", 1)
                        .coldSuccesses(1, 4_100)
                        .firstResponses(new InstanceFirstResponse("b", true, 4_100, 6 * SECOND + 500, 310L));
            }
            stream.add(s.build());
        }
        List<DetectionEvent> events = feedAll(detectors, stream);
        ColdStart b = only(events, ColdStart.class).get(1);
        assertThat(b.firstResponseLatencyMicros()).isEqualTo(4_100);
        assertThat(b.modelLoadMillis()).isEqualTo(310L);

        WarmLatency warm = detectors.summary().warmLatency();
        assertThat(warm.coldExclusion()).isEqualTo(ColdExclusion.COLD_REQUEST_HISTOGRAMS);
        assertThat(warm.coldExcludedResponses()).isEqualTo(1);
        assertThat(warm.count()).isEqualTo(999);
        assertThat(detectors.warmLatencyHistogram().getMaxValue())
                .isEqualTo(HistogramSpec.newHistogram().highestEquivalentValue(4_000));
    }

    @Test
    void targetWithoutInstanceHeadersFallsBackToPlatformSignalsAndSaysSo() {
        List<PlatformInstance> instances = new ArrayList<>();
        instances.add(new PlatformInstance("pod-1", 0, 1_400_000L, null, 900L));
        PlatformInstanceSignals platform = new PlatformInstanceSignals() {
            @Override
            public String sourceLabel() {
                return "local driver, k8s-like (emulation)";
            }

            @Override
            public List<PlatformInstance> instances() {
                return List.copyOf(instances);
            }
        };
        LiveDetectors detectors = new LiveDetectors(ONE_SECOND, platform);
        List<DetectionEvent> events = new ArrayList<>();
        events.addAll(detectors.accept(interval(0).target(10).build()));
        events.addAll(
                detectors.accept(interval(1).target(10).successes(10, 600_000).build()));
        instances.add(new PlatformInstance("pod-2", 2_100_000, 3_200_000L, null, 950L));
        events.addAll(
                detectors.accept(interval(2).target(10).successes(10, 5_000).build()));
        events.addAll(
                detectors.accept(interval(3).target(10).successes(10, 5_000).build()));

        List<ColdStart> coldStarts = only(events, ColdStart.class);
        assertThat(coldStarts).extracting(ColdStart::instanceId).containsExactly("pod-1", "pod-2");
        assertThat(coldStarts).extracting(ColdStart::intervalIndex).containsExactly(1L, 3L);
        assertThat(coldStarts).allSatisfy(c -> {
            assertThat(c.source()).isEqualTo(InstanceSource.PLATFORM_SIGNALS);
            assertThat(c.sourceLabel()).contains("emulation");
        });
        assertThat(coldStarts.get(0).modelLoadMillis()).isEqualTo(900L);
        assertThat(detectors.summary().instanceSource()).isEqualTo(InstanceSource.PLATFORM_SIGNALS);
        List<InstancesInInterval> timeline = detectors.summary().instancesOverTime();
        assertThat(timeline.get(2).platformRunning()).isEqualTo(2);
        assertThat(timeline.get(2).platformReady()).isEqualTo(1);
        assertThat(timeline.get(3).platformReady()).isEqualTo(2);
        assertThat(timeline.get(3).respondingInstances()).isZero();
    }

    @Test
    void targetWithoutInstanceHeadersOrPlatformHasNoColdStartsAndNamesWhy() {
        LiveDetectors detectors = new LiveDetectors(ONE_SECOND, null);
        for (int i = 0; i < 6; i++) {
            detectors.accept(interval(i).target(10).successes(10, 5_000).build());
        }
        DetectorSummary summary = detectors.summary();
        assertThat(summary.instanceSource()).isEqualTo(InstanceSource.NONE);
        assertThat(summary.instanceSourceLabel()).contains("no Salvo-Instance-Id");
        assertThat(summary.coldStarts()).isEmpty();
        assertThat(summary.steadyState().startInterval()).isZero();
        assertThat(summary.warmLatency().count()).isEqualTo(60);
    }

    @Test
    void timeToFirstSuccessIsExactWithWorkerMarksAndCountsOnlyErrorsBeforeTheFirstSuccess() {
        LiveDetectors detectors = new LiveDetectors(ONE_SECOND, null);
        detectors.accept(interval(0).target(10).firstSendAt(1_250).errors(3).build());
        // interval 1: errors completed at +100 ms and +150 ms; the first 2xx at +200 ms; the error at +700 ms comes
        // after
        List<DetectionEvent> events = detectors.accept(interval(1)
                .target(10)
                .errorsCompletedAt(100_000, 150_000, 700_000)
                .firstSuccessAt(SECOND + 200_000)
                .successes(2, 800_000)
                .build());
        TimeToFirstSuccess ttfr = only(events, FirstSuccess.class).get(0).result();
        assertThat(ttfr.resolution()).isEqualTo(Resolution.EXACT);
        assertThat(ttfr.micros()).isEqualTo(SECOND + 200_000 - 1_250);
        assertThat(ttfr.lowerBoundMicros()).isEqualTo(ttfr.micros());
        assertThat(ttfr.errorsBefore()).isEqualTo(5);
        assertThat(ttfr.errorsBeforeIsUpperBound()).isFalse();
        // decided once
        assertThat(only(
                        detectors.accept(
                                interval(2).target(10).successes(10, 5_000).build()),
                        FirstSuccess.class))
                .isEmpty();
    }

    @Test
    void missingIntervalsCountAsEmptyAndOutOfOrderIntervalsAreRefused() {
        LiveDetectors detectors = new LiveDetectors(ONE_SECOND.withSteadyWindow(3), null);
        detectors.accept(interval(0).target(10).successes(10, 5_000).build());
        detectors.accept(interval(1).target(10).successes(10, 5_000).build());
        List<DetectionEvent> events =
                detectors.accept(interval(3).target(10).successes(10, 5_000).build());
        assertThat(only(events, InstancesInInterval.class))
                .extracting(InstancesInInterval::intervalIndex)
                .containsExactly(2L, 3L);
        assertThat(only(events, SteadyStateReached.class)).isEmpty();
        detectors.accept(interval(4).target(10).successes(10, 5_000).build());
        detectors.accept(interval(5).target(10).successes(10, 5_000).build());
        assertThat(detectors.summary().steadyState().startInterval()).isEqualTo(3);
        assertThat(detectors.retainedIntervals()).hasSize(3);
        assertThatThrownBy(() -> detectors.accept(interval(5).build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("index order");
    }

    @Test
    void decodesMergedIntervalsFromTheWire() {
        Histogram success = HistogramSpec.newHistogram();
        success.recordValueWithCount(7_000, 40);
        Histogram timeouts = HistogramSpec.newHistogram();
        timeouts.recordValueWithCount(30_000_000, 2);
        MergedInterval merged = MergedInterval.newBuilder()
                .setIntervalIndex(4)
                .setIntended(42)
                .setSent(42)
                .addOutcomes(OutcomeHistograms.newBuilder()
                        .setOutcome(OutcomeClass.OUTCOME_CLASS_2XX)
                        .setLatencyMicros(HistogramCodec.encode(success)))
                .addOutcomes(OutcomeHistograms.newBuilder()
                        .setOutcome(OutcomeClass.OUTCOME_CLASS_TIMEOUT)
                        .setLatencyMicros(HistogramCodec.encode(timeouts)))
                .addCapturedHeaders(CapturedHeader.newBuilder()
                        .setName("salvo-instance-id")
                        .addValues(HeaderValueCount.newBuilder().setValue("i-1").setCount(30))
                        .addValues(HeaderValueCount.newBuilder().setValue("i-2").setCount(10)))
                .build();
        IntervalObservation observation = IntervalObservation.from(merged, DetectorSettings.INSTANCE_ID_HEADER);
        assertThat(observation.index()).isEqualTo(4);
        assertThat(observation.successes()).isEqualTo(40);
        assertThat(observation.errors()).isEqualTo(2);
        assertThat(observation.responsesByInstance()).containsEntry("i-1", 30L).containsEntry("i-2", 10L);
        assertThat(observation.precise()).isEqualTo(IntervalObservation.PreciseMarks.NONE);

        LiveDetectors detectors = new LiveDetectors(ONE_SECOND, null);
        assertThat(only(detectors.accept(merged), ColdStart.class)).hasSize(2);
    }

    @Test
    void settingsRefuseNonsense() {
        assertThatThrownBy(() -> new DetectorSettings(1000, 0, 0.95, 0.001, 1.1, "x"))
                .hasMessageContaining("window");
        assertThatThrownBy(() -> new DetectorSettings(1000, 5, 0.95, 0.001, 0.9, "x"))
                .hasMessageContaining("spread");
    }
}
