package io.salvo.coordinator.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.salvo.coordinator.metrics.PrometheusText.Family;
import io.salvo.coordinator.metrics.PrometheusText.Sample;
import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.proto.v1.LiveEvent;
import io.salvo.proto.v1.LiveEventKind;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeCount;
import io.salvo.proto.v1.RunState;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/**
 * /metrics as Prometheus reads it: the exposition passes a strict parser of the text format, its counters equal
 * the sums of the snapshots it was fed (a replayed interval counted once), and the p99 Prometheus derives from the
 * latency buckets is within {@link LatencyBuckets#MAX_RELATIVE_ERROR} of the exact p99 of the merged HdrHistogram.
 */
class PrometheusMetricsTest {

    /** The bound docs/metrics.md states. */
    private static final double STATED_BOUND = 0.064;

    private final PrometheusMetrics metrics = new PrometheusMetrics();

    private Map<String, Family> scrape() {
        return PrometheusText.parse(new String(metrics.scrape(), StandardCharsets.UTF_8));
    }

    private static Sample only(Map<String, Family> families, String family, String runId, String... labels) {
        List<Sample> matching = samples(families, family, runId, labels);
        assertThat(matching).as(family + " of " + runId).hasSize(1);
        return matching.get(0);
    }

    private static List<Sample> samples(Map<String, Family> families, String family, String runId, String... labels) {
        assertThat(families).as("families").containsKey(family);
        List<Sample> matching = new ArrayList<>();
        for (Sample s : families.get(family).samples()) {
            boolean match = runId.equals(s.label("run"));
            for (int i = 0; i < labels.length; i += 2) {
                match &= labels[i + 1].equals(s.labels().get(labels[i]));
            }
            if (match) {
                matching.add(s);
            }
        }
        return matching;
    }

    private static double value(Map<String, Family> families, String family, String runId, String... labels) {
        return only(families, family, runId, labels).value();
    }

    /** A sample of the latency histogram family: its _count, _sum or one _bucket. */
    private static double latency(Map<String, Family> families, String sample, String runId, String... labels) {
        List<Sample> matching = samples(families, "salvo_request_latency_seconds", runId, labels).stream()
                .filter(s -> s.name().equals("salvo_request_latency_seconds_" + sample))
                .toList();
        assertThat(matching).as(sample + " of " + runId).hasSize(1);
        return matching.get(0).value();
    }

    private static List<Sample> buckets(Map<String, Family> families, String runId) {
        return samples(families, "salvo_request_latency_seconds", runId).stream()
                .filter(s -> s.name().endsWith("_bucket"))
                .toList();
    }

    /** An interval's snapshot with these latencies (µs) and the given counts. */
    private static LiveSnapshot.Builder interval(long index, Histogram latency) {
        return LiveSnapshot.newBuilder()
                .setRunId("ignored: the run is the feed's")
                .setState(RunState.RUN_STATE_RUNNING)
                .setIntervalIndex(index)
                .setIntervalMillis(1000)
                .setLatencyMicros(HistogramCodec.encode(latency));
    }

    private static Histogram histogram(long... micros) {
        Histogram h = HistogramSpec.newHistogram();
        for (long v : micros) {
            h.recordValue(v);
        }
        return h;
    }

    @Test
    void countersAreTheSnapshotsSumsGaugesTheLatestAndAReplayedIntervalCountsOnce() {
        List<LiveSnapshot> feed = List.of(
                interval(0, histogram(1_000, 2_000, 3_000))
                        .setSent(100)
                        .setCompleted(3)
                        .setSuccesses(2)
                        .setErrors(1)
                        .addOutcomeCounts(count(OutcomeClass.OUTCOME_CLASS_2XX, 2))
                        .addOutcomeCounts(count(OutcomeClass.OUTCOME_CLASS_5XX, 1))
                        .setLateSends(4)
                        .setUnsent(1)
                        .setInFlightCapHits(6)
                        .setTargetRatePerSecond(100)
                        .setSuccessRatePerSecond(2)
                        .setSchedulerLagP99Micros(120)
                        .setSchedulerLagMaxMicros(1_500)
                        .setWorkersAssigned(2)
                        .setWorkersConnected(2)
                        .setRespondingInstances(2)
                        .setColdStarts(2)
                        .build(),
                interval(1, histogram(4_000, 250_000))
                        .setSent(90)
                        .setCompleted(2)
                        .setSuccesses(1)
                        .setErrors(1)
                        .addOutcomeCounts(count(OutcomeClass.OUTCOME_CLASS_2XX, 1))
                        .addOutcomeCounts(count(OutcomeClass.OUTCOME_CLASS_TIMEOUT, 1))
                        .setLateSends(1)
                        .setTargetRatePerSecond(120)
                        .setSuccessRatePerSecond(1)
                        .setSchedulerLagP99Micros(300)
                        .setSchedulerLagMaxMicros(9_000)
                        .setWorkersAssigned(2)
                        .setWorkersConnected(1)
                        .setWorkersLost(1)
                        .setRespondingInstances(3)
                        .setColdStarts(3)
                        .addLiveEvents(LiveEvent.newBuilder()
                                .setKind(LiveEventKind.LIVE_EVENT_KIND_WORKER_LOST)
                                .setWorkerId("w-2"))
                        .build());
        for (LiveSnapshot s : feed) {
            metrics.record("run-1", s);
        }
        // A feed re-attached replays from the start: nothing counts twice.
        for (LiveSnapshot s : feed) {
            metrics.record("run-1", s);
        }
        metrics.record("run-2", interval(0, histogram(7)).setSent(1).build());

        Map<String, Family> f = scrape();
        assertThat(value(f, "salvo_requests_sent_total", "run-1")).isEqualTo(190);
        assertThat(value(f, "salvo_requests_unsent_total", "run-1")).isEqualTo(1);
        assertThat(value(f, "salvo_errors_total", "run-1")).isEqualTo(2);
        assertThat(value(f, "salvo_late_sends_total", "run-1")).isEqualTo(5);
        assertThat(value(f, "salvo_in_flight_cap_hits_total", "run-1")).isEqualTo(6);
        assertThat(value(f, "salvo_responses_total", "run-1", "outcome", "2xx")).isEqualTo(3);
        assertThat(value(f, "salvo_responses_total", "run-1", "outcome", "4xx")).isZero();
        assertThat(value(f, "salvo_responses_total", "run-1", "outcome", "5xx")).isEqualTo(1);
        assertThat(value(f, "salvo_responses_total", "run-1", "outcome", "timeout"))
                .isEqualTo(1);
        assertThat(value(f, "salvo_responses_total", "run-1", "outcome", "connect_error"))
                .isZero();
        assertThat(value(f, "salvo_workers_lost_total", "run-1")).isEqualTo(1);
        assertThat(value(f, "salvo_cold_starts_total", "run-1")).isEqualTo(3);
        assertThat(value(f, "salvo_target_requests_per_second", "run-1")).isEqualTo(120);
        assertThat(value(f, "salvo_achieved_requests_per_second", "run-1")).isEqualTo(90);
        assertThat(value(f, "salvo_successful_responses_per_second", "run-1")).isEqualTo(1);
        assertThat(value(f, "salvo_scheduler_lag_p99_seconds", "run-1")).isEqualTo(300e-6);
        assertThat(value(f, "salvo_scheduler_lag_max_seconds", "run-1")).isEqualTo(9e-3);
        assertThat(value(f, "salvo_workers_connected", "run-1")).isEqualTo(1);
        assertThat(value(f, "salvo_workers_assigned", "run-1")).isEqualTo(2);
        assertThat(value(f, "salvo_responding_instances", "run-1")).isEqualTo(3);
        assertThat(value(f, "salvo_run_state", "run-1", "state", "running")).isEqualTo(1);
        assertThat(value(f, "salvo_run_state", "run-1", "state", "completed")).isZero();
        // Every series has its run and the merged region.
        for (Family family : f.values()) {
            for (Sample s : family.samples()) {
                assertThat(s.labels()).containsKeys("run", "region");
                assertThat(s.label("region")).isEqualTo("all");
                assertThat(s.name()).startsWith("salvo_");
            }
        }

        Histogram merged = histogram(1_000, 2_000, 3_000, 4_000, 250_000);
        assertThat(latency(f, "count", "run-1")).isEqualTo(5);
        assertThat(latency(f, "sum", "run-1")).isCloseTo(merged.getMean() * 5 / 1e6, within(1e-9));
        assertThat(buckets(f, "run-1")).hasSize(LatencyBuckets.count());
        // 2 ms lands in the bucket up to 2 ms (bounds are 10^(k/40) µs rounded to 3 digits: 2.00 ms is one).
        assertThat(latency(f, "bucket", "run-1", "le", "0.002")).isEqualTo(2);
        assertThat(latency(f, "count", "run-2")).isEqualTo(1);
        assertThat(latency(f, "bucket", "run-2", "le", "1.0E-5")).isEqualTo(1);
    }

    @Test
    void aRunWithRegionsHasEachRegionsSeriesBesideTheMergeOverAll() {
        Histogram us = histogram(2_000, 3_000);
        Histogram eu = histogram(80_000);
        Histogram all = us.copy();
        all.add(eu);
        metrics.record(
                "run-r",
                interval(0, all)
                        .setSent(3)
                        .setWorkersAssigned(3)
                        .setWorkersConnected(2)
                        .setWorkersLost(1)
                        .setRespondingInstances(3)
                        .setColdStarts(3)
                        .addOutcomeCounts(count(OutcomeClass.OUTCOME_CLASS_2XX, 3))
                        .addRegions(interval(0, us)
                                .setRegion("us-east1")
                                .setSent(2)
                                .setWorkersAssigned(2)
                                .setWorkersConnected(1)
                                .setWorkersLost(1)
                                .setRespondingInstances(2)
                                .setColdStarts(2)
                                .addOutcomeCounts(count(OutcomeClass.OUTCOME_CLASS_2XX, 2)))
                        .addRegions(interval(0, eu)
                                .setRegion("europe-west1")
                                .setSent(1)
                                .setWorkersAssigned(1)
                                .setWorkersConnected(1)
                                .setRespondingInstances(1)
                                .setColdStarts(1)
                                .addOutcomeCounts(count(OutcomeClass.OUTCOME_CLASS_2XX, 1)))
                        .build());

        Map<String, Family> f = scrape();
        assertThat(value(f, "salvo_requests_sent_total", "run-r", "region", "all"))
                .isEqualTo(3);
        assertThat(value(f, "salvo_requests_sent_total", "run-r", "region", "us-east1"))
                .isEqualTo(2);
        assertThat(value(f, "salvo_requests_sent_total", "run-r", "region", "europe-west1"))
                .isEqualTo(1);
        assertThat(value(f, "salvo_responses_total", "run-r", "region", "us-east1", "outcome", "2xx"))
                .isEqualTo(2);
        assertThat(value(f, "salvo_workers_assigned", "run-r", "region", "europe-west1"))
                .isEqualTo(1);
        assertThat(latency(f, "count", "run-r", "region", "us-east1")).isEqualTo(2);
        assertThat(latency(f, "count", "run-r", "region", "europe-west1")).isEqualTo(1);
        assertThat(latency(f, "count", "run-r", "region", "all")).isEqualTo(3);
        // The regions' buckets add up to the merge's, bucket by bucket.
        assertThat(latency(f, "bucket", "run-r", "region", "all", "le", "0.1"))
                .isEqualTo(latency(f, "bucket", "run-r", "region", "us-east1", "le", "0.1")
                        + latency(f, "bucket", "run-r", "region", "europe-west1", "le", "0.1"));
        // Workers connected and lost, responding instances and cold starts: the run's and each region's own.
        for (String[] expected : new String[][] {
            {"salvo_workers_connected", "2", "1", "1"},
            {"salvo_workers_lost_total", "1", "1", "0"},
            {"salvo_responding_instances", "3", "2", "1"},
            {"salvo_cold_starts_total", "3", "2", "1"}
        }) {
            assertThat(value(f, expected[0], "run-r", "region", "all"))
                    .as(expected[0])
                    .isEqualTo(Double.parseDouble(expected[1]));
            assertThat(value(f, expected[0], "run-r", "region", "us-east1"))
                    .as(expected[0])
                    .isEqualTo(Double.parseDouble(expected[2]));
            assertThat(value(f, expected[0], "run-r", "region", "europe-west1"))
                    .as(expected[0])
                    .isEqualTo(Double.parseDouble(expected[3]));
        }
        // The state is the run's only.
        assertThat(samples(f, "salvo_run_state", "run-r"))
                .allSatisfy(s -> assertThat(s.label("region")).isEqualTo("all"));

        // The terminal snapshot's region entries end each region with its final counts; no worker carries load.
        metrics.record(
                "run-r",
                LiveSnapshot.newBuilder()
                        .setState(RunState.RUN_STATE_COMPLETED)
                        .setWorkersLost(2)
                        .setColdStarts(4)
                        .addRegions(LiveSnapshot.newBuilder()
                                .setRegion("us-east1")
                                .setState(RunState.RUN_STATE_COMPLETED)
                                .setWorkersLost(1)
                                .setColdStarts(2))
                        .addRegions(LiveSnapshot.newBuilder()
                                .setRegion("europe-west1")
                                .setState(RunState.RUN_STATE_COMPLETED)
                                .setWorkersLost(1)
                                .setColdStarts(2))
                        .build());
        Map<String, Family> ended = scrape();
        assertThat(value(ended, "salvo_workers_lost_total", "run-r", "region", "europe-west1"))
                .isEqualTo(1);
        assertThat(value(ended, "salvo_cold_starts_total", "run-r", "region", "europe-west1"))
                .isEqualTo(2);
        assertThat(value(ended, "salvo_workers_lost_total", "run-r", "region", "us-east1"))
                .isEqualTo(1);
        assertThat(value(ended, "salvo_workers_lost_total", "run-r", "region", "all"))
                .isEqualTo(2);
        assertThat(value(ended, "salvo_workers_connected", "run-r", "region", "us-east1"))
                .isZero();
        assertThat(value(ended, "salvo_workers_connected", "run-r", "region", "europe-west1"))
                .isZero();
    }

    @Test
    void theTerminalSnapshotEndsTheRunAndOnlyTheLastEndedRunsAreKept() {
        PrometheusMetrics kept = new PrometheusMetrics(1);
        for (String run : List.of("a", "b", "c")) {
            kept.record(
                    run,
                    interval(0, histogram(1_000))
                            .setSent(10)
                            .setTargetRatePerSecond(10)
                            .build());
        }
        kept.record(
                "a",
                LiveSnapshot.newBuilder()
                        .setState(RunState.RUN_STATE_COMPLETED)
                        .setWorkersLost(2)
                        .setColdStarts(5)
                        .build());
        Map<String, Family> f = PrometheusText.parse(new String(kept.scrape(), StandardCharsets.UTF_8));
        assertThat(value(f, "salvo_run_state", "a", "state", "completed")).isEqualTo(1);
        assertThat(value(f, "salvo_run_state", "a", "state", "running")).isZero();
        assertThat(value(f, "salvo_workers_lost_total", "a")).isEqualTo(2);
        assertThat(value(f, "salvo_cold_starts_total", "a")).isEqualTo(5);
        assertThat(value(f, "salvo_target_requests_per_second", "a")).isZero();
        assertThat(value(f, "salvo_requests_sent_total", "a")).isEqualTo(10);
        // Nothing after the end counts.
        kept.record("a", interval(1, histogram(1_000)).setSent(10).build());
        assertThat(kept.has("a")).isTrue();

        kept.record(
                "b",
                LiveSnapshot.newBuilder().setState(RunState.RUN_STATE_FAILED).build());
        assertThat(kept.has("a")).isFalse();
        assertThat(kept.has("b")).isTrue();
        assertThat(kept.has("c")).isTrue();
        // A replay of an evicted run does not bring it back.
        kept.record("a", interval(0, histogram(1_000)).setSent(10).build());
        assertThat(kept.has("a")).isFalse();
    }

    @Test
    void labelValuesAreEscapedAndTheContentTypeIsTheTextFormats() throws Exception {
        String awkward = "run \"quoted\" \\ back\nline";
        metrics.record(awkward, interval(0, histogram(1_000)).setSent(3).build());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        metrics.write(out);
        Map<String, Family> f = PrometheusText.parse(out.toString(StandardCharsets.UTF_8));
        assertThat(value(f, "salvo_requests_sent_total", awkward)).isEqualTo(3);
        assertThat(PrometheusMetrics.contentType()).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
        for (Family family : f.values()) {
            assertThat(family.help()).as("HELP of " + family.name()).isNotBlank();
        }
        assertThat(f.get("salvo_requests_sent_total").type()).isEqualTo("counter");
        assertThat(f.get("salvo_request_latency_seconds").type()).isEqualTo("histogram");
        assertThat(f.get("salvo_target_requests_per_second").type()).isEqualTo("gauge");
    }

    @Test
    void theBucketsBoundHistogramQuantileToTheStatedError() {
        assertThat(LatencyBuckets.MAX_RELATIVE_ERROR).isLessThan(STATED_BOUND).isGreaterThan(0.059);
        double[] bounds = LatencyBuckets.upperBoundsSeconds();
        assertThat(bounds[0]).isEqualTo(1e-5);
        assertThat(bounds[bounds.length - 1]).isEqualTo(1000.0);
        assertThat(bounds).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void histogramQuantileP99IsWithinTheBoundOfTheExactP99ForUniformLognormalAndBimodalLatencies() {
        SplittableRandom random = new SplittableRandom(20261206L);
        record Distribution(String name, LongSupplier micros) {}
        List<Distribution> distributions = List.of(
                new Distribution("uniform 1..200 ms", () -> random.nextLong(1_000, 200_001)),
                new Distribution("lognormal median 40 ms, sigma 0.8", () -> lognormal(random, 40_000, 0.8)),
                new Distribution("lognormal median 300 us, sigma 1.5", () -> lognormal(random, 300, 1.5)),
                // Warm responses around 20 ms, and 2 % cold starts of 3 to 12 s: p99 lands among the cold ones.
                new Distribution(
                        "bimodal cold-start-like",
                        () -> random.nextDouble() < 0.02
                                ? random.nextLong(3_000_000, 12_000_001)
                                : lognormal(random, 20_000, 0.3)));
        int run = 0;
        for (Distribution d : distributions) {
            for (int samples : new int[] {137, 5_000, 60_000}) {
                String runId = "run-" + run++;
                PrometheusMetrics one = new PrometheusMetrics();
                Histogram exact = HistogramSpec.newHistogram();
                // Spread over intervals, as a run's snapshots are.
                for (int interval = 0; interval < 6; interval++) {
                    Histogram h = HistogramSpec.newHistogram();
                    for (int i = 0; i < samples / 6; i++) {
                        h.recordValue(Math.min(
                                HistogramSpec.HIGHEST_MICROS,
                                Math.max(0, d.micros().getAsLong())));
                    }
                    exact.add(h);
                    one.record(runId, interval(interval, h).build());
                }
                assertP99WithinBound(d.name() + ", " + samples + " samples", one, runId, exact);
            }
        }
    }

    @Test
    void theBoundHoldsWhereverP99FallsBetweenTenMicrosecondsAndAThousandSeconds() {
        // Adversarial placements: p99 on, just above and just below bucket bounds across the whole range.
        SplittableRandom random = new SplittableRandom(7);
        double[] bounds = LatencyBuckets.upperBoundsSeconds();
        for (int k = 1; k < bounds.length; k += 4) {
            long boundMicros = Math.round(bounds[k] * 1e6);
            for (long p99Micros : new long[] {boundMicros - 1, boundMicros, boundMicros + 1}) {
                if (p99Micros <= 10) {
                    continue;
                }
                String runId = "edge-" + k + "-" + p99Micros;
                Histogram h = HistogramSpec.newHistogram();
                // 98 values well below, then the p99 value, then one far above: p99 is that value's bucket.
                for (int i = 0; i < 98; i++) {
                    h.recordValue(Math.max(11, p99Micros / (2 + random.nextInt(8))));
                }
                h.recordValue(p99Micros);
                h.recordValue(Math.min(HistogramSpec.HIGHEST_MICROS, p99Micros * 3));
                PrometheusMetrics one = new PrometheusMetrics();
                one.record(runId, interval(0, h).build());
                assertP99WithinBound("p99 at " + p99Micros + " us", one, runId, h);
            }
        }
    }

    private static void assertP99WithinBound(String what, PrometheusMetrics from, String runId, Histogram exact) {
        double exactP99 = exact.getValueAtPercentile(99) / 1e6;
        Map<String, Family> families = PrometheusText.parse(new String(from.scrape(), StandardCharsets.UTF_8));
        double derived = PrometheusText.histogramQuantile(0.99, buckets(families, runId));
        assertThat(Math.abs(derived / exactP99 - 1))
                .as("%s: histogram_quantile %.9f s vs exact %.9f s", what, derived, exactP99)
                .isLessThanOrEqualTo(LatencyBuckets.MAX_RELATIVE_ERROR);
    }

    private static long lognormal(SplittableRandom random, double medianMicros, double sigma) {
        // Box-Muller: one standard normal from two uniforms.
        double z = Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
        return Math.round(medianMicros * Math.exp(sigma * z));
    }

    private static OutcomeCount count(OutcomeClass outcome, long n) {
        return OutcomeCount.newBuilder().setOutcome(outcome).setCount(n).build();
    }
}
