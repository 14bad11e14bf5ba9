package io.salvo.thresholds;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.proto.v1.ArrivalProcess;
import io.salvo.proto.v1.LiveEvent;
import io.salvo.proto.v1.LiveEventKind;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeCount;
import io.salvo.proto.v1.RunPlan;
import io.salvo.testkit.TestPlans;
import java.util.Optional;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * abortOnFail on synthetic live snapshots: a plan of 100 requests per second for 10 s (at most 1,001 responses, one
 * worker), 1 s intervals, steady-state window 5.
 */
class AbortOnFailTest {

    private static final int WINDOW = 5;

    private static AbortOnFail watching(String... criteria) throws Exception {
        RunPlan.Builder plan = TestPlans.constantRate(100, 10_000, 1);
        for (String text : criteria) {
            boolean abort = !text.startsWith("!");
            plan.addThresholds(CriterionSyntax.parse(text.replace("!", ""))
                    .withAbortOnFail(abort)
                    .toProto());
        }
        return new AbortOnFail(plan.build(), WINDOW);
    }

    /** Interval {@code index}: 100 sent, {@code ok} successes at 10 ms, the given errors and slow responses. */
    private static LiveSnapshot.Builder interval(long index, long ok) {
        return LiveSnapshot.newBuilder()
                .setIntervalIndex(index)
                .setIntervalMillis(1000)
                .setSent(100)
                .setCompleted(ok)
                .setSuccesses(ok)
                .setLatencyMicros(HistogramCodec.encode(latencies(ok, 10_000)));
    }

    private static Histogram latencies(long count, long micros) {
        Histogram h = HistogramSpec.newHistogram();
        h.recordValueWithCount(micros, Math.max(count, 0));
        return h;
    }

    private static LiveSnapshot withSlow(long index, long ok, long slow, long slowMicros) {
        Histogram h = latencies(ok, 10_000);
        h.recordValueWithCount(slowMicros, slow);
        return interval(index, ok)
                .setCompleted(ok + slow)
                .setLatencyMicros(HistogramCodec.encode(h))
                .build();
    }

    private static LiveSnapshot withErrors(long index, OutcomeClass outcome, long errors) {
        return interval(index, 100 - errors)
                .setCompleted(100)
                .setErrors(errors)
                .addOutcomeCounts(OutcomeCount.newBuilder().setOutcome(outcome).setCount(errors))
                .build();
    }

    @Test
    void errorRateStopsOnceTheErrorsAlreadyExceedItsShareOfEveryRequestThePlanSends() throws Exception {
        AbortOnFail watch = watching("errors < 1%");

        // 10 errors are 0.999 % of the at most 1,001 responses: the rest of the run could still dilute them
        assertThat(watch.accept(withErrors(0, OutcomeClass.OUTCOME_CLASS_5XX, 5)))
                .isEmpty();
        assertThat(watch.accept(withErrors(1, OutcomeClass.OUTCOME_CLASS_5XX, 5)))
                .isEmpty();
        Optional<AbortOnFail.Verdict> verdict = watch.accept(withErrors(2, OutcomeClass.OUTCOME_CLASS_5XX, 1));

        assertThat(verdict).hasValueSatisfying(v -> {
            assertThat(v.criterion().text()).isEqualTo("errors < 1%");
            assertThat(v.why())
                    .isEqualTo("11 errors so far are already 1.0989 % of the at most 1001 requests the plan sends");
        });
    }

    @Test
    void anErrorClassCountedEqualToZeroStopsAtTheFirstSuchError() throws Exception {
        AbortOnFail watch = watching("errors.timeout == 0");

        assertThat(watch.accept(withErrors(0, OutcomeClass.OUTCOME_CLASS_5XX, 20)))
                .isEmpty();
        assertThat(watch.accept(withErrors(1, OutcomeClass.OUTCOME_CLASS_TIMEOUT, 1)))
                .hasValueSatisfying(v -> assertThat(v.why()).isEqualTo("1 so far"));
    }

    /**
     * The run's snapshot with one region snapshot per region, as the coordinator sends them: {@code east} the given
     * region's part, the other region's clean.
     */
    private static LiveSnapshot regional(long index, LiveSnapshot east) {
        LiveSnapshot west = interval(index, 50).setRegion("us-west1").build();
        return interval(index, east.getSuccesses() + 50)
                .setErrors(east.getErrors())
                .addAllOutcomeCounts(east.getOutcomeCountsList())
                .addRegions(east.toBuilder().setRegion("us-east1"))
                .addRegions(west)
                .build();
    }

    @Test
    void aRegionsErrorCountStopsTheRunOnItsOwnErrorsNotTheOtherRegions() throws Exception {
        AbortOnFail east = watching("region[us-east1].errors.5xx < 3");
        AbortOnFail west = watching("region[us-west1].errors == 0");

        LiveSnapshot first = regional(0, withErrors(0, OutcomeClass.OUTCOME_CLASS_5XX, 2));
        LiveSnapshot second = regional(1, withErrors(1, OutcomeClass.OUTCOME_CLASS_5XX, 1));

        assertThat(east.accept(first)).isEmpty();
        assertThat(east.accept(second)).hasValueSatisfying(v -> {
            assertThat(v.criterion().text()).isEqualTo("region[us-east1].errors.5xx < 3");
            assertThat(v.why()).isEqualTo("3 so far");
        });
        assertThat(west.accept(first)).isEmpty();
        assertThat(west.accept(second)).isEmpty();
    }

    @Test
    void aRegionsMaxStopsAtItsFirstResponseOverTheLimit() throws Exception {
        AbortOnFail east = watching("region[us-east1].max < 1s");
        AbortOnFail west = watching("region[us-west1].max < 1s");

        LiveSnapshot slowEast = regional(0, withSlow(0, 49, 1, 2_000_000));

        assertThat(east.accept(slowEast))
                .hasValueSatisfying(v -> assertThat(v.why()).isEqualTo("1 response(s) so far took 1000 ms or more"));
        assertThat(west.accept(slowEast)).isEmpty();
        // a region the snapshots never name has nothing so far, so nothing broke
        assertThat(watching("region[asia-east1].errors == 0")
                        .accept(regional(0, withErrors(0, OutcomeClass.OUTCOME_CLASS_5XX, 5))))
                .isEmpty();
    }

    /**
     * A maximum only grows, and each snapshot carries its interval's exact maximum of connection wait and scheduler
     * lag: the run stops at the first interval whose maximum breaks the limit with its whole histogram bucket (the
     * report shows the bucket's highest value, so a limit inside the bucket is not certainly broken).
     */
    @Test
    void connectionWaitAndSchedulerLagMaximaStopAtTheFirstIntervalWhoseMaximumBreaksTheLimit() throws Exception {
        AbortOnFail wait = watching("connection_wait.max < 200ms");
        AbortOnFail lag = watching("scheduler_lag.max <= 50ms");

        long waitMax = HistogramSpec.newHistogram().highestEquivalentValue(150_000);
        assertThat(wait.accept(
                        interval(0, 100).setConnectionWaitMaxMicros(waitMax).build()))
                .isEmpty();
        assertThat(wait.accept(interval(1, 100).build())).isEmpty();
        long overLimit = HistogramSpec.newHistogram().highestEquivalentValue(250_000);
        assertThat(wait.accept(
                        interval(2, 100).setConnectionWaitMaxMicros(overLimit).build()))
                .hasValueSatisfying(v -> {
                    assertThat(v.criterion().text()).isEqualTo("connection_wait.max < 200ms");
                    assertThat(v.why()).startsWith("an interval's maximum so far was 250");
                });

        assertThat(lag.accept(interval(0, 100).setSchedulerLagMaxMicros(50_000).build()))
                .isEmpty();
        assertThat(lag.accept(interval(1, 100).setSchedulerLagMaxMicros(70_000).build()))
                .isPresent();

        // a maximum in the bucket holding the limit: the report's figure could still equal the limit
        long bucketTop = HistogramSpec.newHistogram().highestEquivalentValue(300_000);
        long bucketBottom = HistogramSpec.newHistogram().lowestEquivalentValue(300_000);
        assertThat(bucketTop).isGreaterThan(bucketBottom);
        LiveSnapshot atTheBucket =
                interval(0, 100).setConnectionWaitMaxMicros(bucketTop).build();
        assertThat(watching(String.format(java.util.Locale.ROOT, "connection_wait.max < %dus", bucketBottom + 1))
                        .accept(atTheBucket))
                .isEmpty();
        assertThat(watching(String.format(java.util.Locale.ROOT, "connection_wait.max < %dus", bucketBottom))
                        .accept(atTheBucket))
                .isPresent();
    }

    @Test
    void aRegionsConnectionWaitMaximumStopsTheRunOnItsOwnWaits() throws Exception {
        AbortOnFail east = watching("region[us-east1].connection_wait.max < 100ms");
        AbortOnFail west = watching("region[us-west1].connection_wait.max < 100ms");

        LiveSnapshot slowEast =
                regional(0, interval(0, 50).setConnectionWaitMaxMicros(400_000).build());

        assertThat(east.accept(slowEast)).isPresent();
        assertThat(west.accept(slowEast)).isEmpty();
    }

    @Test
    void p99StopsOnceTheSlowResponsesAreMoreThanOnePercentOfThePlannedTotal() throws Exception {
        AbortOnFail watch = watching("p99 < 300ms");

        // allowed: 1 % of 1,001 plus one for the rank's rounding = 11.01 slow responses
        assertThat(watch.accept(withSlow(0, 94, 6, 400_000))).isEmpty();
        assertThat(watch.accept(withSlow(1, 95, 5, 400_000))).isEmpty();
        assertThat(watch.accept(withSlow(2, 100, 0, 400_000))).isEmpty();
        assertThat(watch.accept(withSlow(3, 99, 1, 400_000)))
                .hasValueSatisfying(v -> assertThat(v.why())
                        .isEqualTo("12 responses so far broke < 300 ms, more than 1 % of the at most 1001 requests "
                                + "the plan sends"));
    }

    @Test
    void p99CountsOnlyResponsesWhoseWholeHistogramBucketBreaksTheLimit() throws Exception {
        // 300 ms is recorded in a bucket starting a little below it (3 significant digits); the report shows the
        // bucket's highest value, so only a limit at or below the bucket's lowest value is certainly broken
        long lowest = HistogramSpec.newHistogram().lowestEquivalentValue(300_000);
        assertThat(lowest).isLessThan(300_000);
        AbortOnFail wholeBucketBreaks = watching(String.format(java.util.Locale.ROOT, "p99 < %dus", lowest));
        AbortOnFail partOfTheBucketBreaks = watching(String.format(java.util.Locale.ROOT, "p99 < %dus", lowest + 1));

        assertThat(wholeBucketBreaks.accept(withSlow(0, 0, 100, 300_000))).isPresent();
        assertThat(partOfTheBucketBreaks.accept(withSlow(0, 0, 100, 300_000))).isEmpty();
    }

    @Test
    void maxStopsAtTheFirstResponseOverTheLimitAndMeanOnceTheSumSoFarDecidesIt() throws Exception {
        AbortOnFail max = watching("max < 1s");
        AbortOnFail mean = watching("mean < 100ms");

        assertThat(max.accept(withSlow(0, 99, 1, 2_000_000)))
                .hasValueSatisfying(v -> assertThat(v.why()).isEqualTo("1 response(s) so far took 1000 ms or more"));
        // 50 responses of 2 s: at least 100 s / 1,001 = 99.9 ms over the run, not yet decided
        assertThat(mean.accept(withSlow(0, 0, 50, 2_000_000))).isEmpty();
        assertThat(mean.accept(withSlow(1, 0, 1, 2_000_000))).isPresent();
    }

    @Test
    void timeToFirstResponseStopsWhenTheLimitHasPassedSinceTheFirstSendWithoutASuccess() throws Exception {
        AbortOnFail watch = watching("time_to_first_response < 10s");

        assertThat(watch.accept(interval(0, 0).setSent(0).build())).isEmpty(); // nothing sent yet
        for (long i = 1; i <= 10; i++) {
            // first send in interval 1 (at most 2 s into the run); after interval 10 ends at 11 s, at least 9 s
            assertThat(watch.accept(withErrors(i, OutcomeClass.OUTCOME_CLASS_CONNECT_ERROR, 100)))
                    .as("interval %d", i)
                    .isEmpty();
        }
        assertThat(watch.accept(withErrors(11, OutcomeClass.OUTCOME_CLASS_CONNECT_ERROR, 100)))
                .hasValueSatisfying(
                        v -> assertThat(v.why()).isEqualTo("no successful response 10.0 s after the first send"));
    }

    @Test
    void timeToFirstResponseNeverStopsARunThatHadASuccess() throws Exception {
        AbortOnFail watch = watching("time_to_first_response < 2s");

        assertThat(watch.accept(interval(0, 1).build())).isEmpty();
        for (long i = 1; i < 30; i++) {
            assertThat(watch.accept(withErrors(i, OutcomeClass.OUTCOME_CLASS_5XX, 100)))
                    .isEmpty();
        }
    }

    @Test
    void timeToSteadyStateStopsOnlyWhenNoWindowCanStartBeforeTheLimit() throws Exception {
        AbortOnFail watch = watching("time_to_steady_state < 60s");

        // a window of 5 closing at interval 64 starts at interval 60 = 60 s: still possible after interval 62
        for (long i = 0; i <= 62; i++) {
            assertThat(watch.accept(interval(i, 100).build()))
                    .as("interval %d", i)
                    .isEmpty();
        }
        assertThat(watch.accept(interval(63, 100).build()))
                .hasValueSatisfying(v -> assertThat(v.why())
                        .isEqualTo("no steady state yet: a 5-interval window can no longer start before 60.0 s"));
    }

    @Test
    void timeToSteadyStateNeverStopsOnceTheSteadyStateEventCame() throws Exception {
        AbortOnFail watch = watching("time_to_steady_state < 10s");

        assertThat(watch.accept(interval(0, 100)
                        .addLiveEvents(LiveEvent.newBuilder().setKind(LiveEventKind.LIVE_EVENT_KIND_STEADY_STATE))
                        .build()))
                .isEmpty();
        for (long i = 1; i < 40; i++) {
            assertThat(watch.accept(interval(i, 100).build())).isEmpty();
        }
    }

    @Test
    void coldStartsCountTheLiveColdStartEvents() throws Exception {
        AbortOnFail watch = watching("cold_starts <= 1");
        LiveEvent coldStart = LiveEvent.newBuilder()
                .setKind(LiveEventKind.LIVE_EVENT_KIND_COLD_START)
                .build();

        assertThat(watch.accept(interval(0, 100).addLiveEvents(coldStart).build()))
                .isEmpty();
        assertThat(watch.accept(interval(1, 100).addLiveEvents(coldStart).build()))
                .hasValueSatisfying(v -> assertThat(v.why()).isEqualTo("2 so far"));
    }

    @Test
    void criteriaWithoutAbortOnFailAreNotWatched() throws Exception {
        AbortOnFail watch = watching("!errors == 0", "!max < 1ms");

        assertThat(watch.watching()).isFalse();
        assertThat(watch.accept(withErrors(0, OutcomeClass.OUTCOME_CLASS_5XX, 100)))
                .isEmpty();
    }

    @Test
    void theFirstCriterionThatCanNoLongerPassIsNamed() throws Exception {
        AbortOnFail watch = watching("p99 < 1s", "errors.5xx < 3", "errors < 50");

        assertThat(watch.accept(withErrors(0, OutcomeClass.OUTCOME_CLASS_5XX, 60)))
                .hasValueSatisfying(v -> assertThat(v.criterion().text()).isEqualTo("errors.5xx < 3"));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "p99 > 1ms",
                "p99 == 1ms",
                "latency.min < 1ms",
                "latency_2xx.p99 < 1s",
                "warm.p99 < 1s",
                "steady_state: reached",
                "achieved_rate > 95/s",
                "errors != 0",
                "errors > 3",
                "successes < 10",
                "time_to_first_response > 1s",
                // decided only at the end, or needing a bound this class does not have
                "connection_wait.max > 1s",
                "connection_wait.p99 < 1s",
                "scheduler_lag.max == 1s",
                "time_to_first_byte.p99 < 1s",
                // as monotone as connection wait's, but live snapshots do not carry these maxima
                "time_to_first_byte.max < 1s",
                "service_time.max < 1s",
                "latency_2xx.max < 1s",
                "connect.max < 1s",
                "tls_handshake.max < 1s",
                "region[us-east1].connection_wait.p99 < 1s",
                "connection_waits < 10",
                "first_cold_start.first_response_latency < 10s",
                "cost < 1 USD",
                "cost.per_million_predictions < 20 USD",
                "region[us-east1].p99 < 1s",
                "region[us-east1].error_rate < 1%",
                "region[us-east1].errors != 0",
                "region[us-east1].max > 1s",
                "region[us-east1].late_sends < 3",
            })
    void criteriaThatMoreDataCouldStillSaveAreRefused(String text) throws Exception {
        assertThat(AbortOnFail.unsupportedReason(CriterionSyntax.parse(text)))
                .hasValueSatisfying(
                        why -> assertThat(why).contains("'" + text + "' is only decided when the run ends"));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "p99 < 300ms",
                "p99.9 <= 1s",
                "max < 1s",
                "mean < 10ms",
                "errors < 0.1%",
                "error_rate.timeout <= 1%",
                "errors == 0",
                "errors.connect < 5",
                "late_sends < 100",
                "unsent <= 0",
                "in_flight_cap_hits < 1",
                "cold_starts <= 2",
                "time_to_first_response < 10s",
                "time_to_steady_state <= 60s",
                "region[us-east1].errors < 5",
                "region[us-east1].errors.5xx == 0",
                "region[us-east1].max <= 1s",
                "connection_wait.max < 1s",
                "scheduler_lag.max <= 500ms",
                "region[us-east1].connection_wait.max < 1s",
                "region[us-east1].scheduler_lag.max <= 1s",
            })
    void criteriaThatMoreDataCanOnlyMakeWorseAreWatched(String text) throws Exception {
        assertThat(AbortOnFail.unsupportedReason(CriterionSyntax.parse(text))).isEmpty();
    }

    @Test
    void poissonArrivalsWidenThePlannedTotalBySixStandardDeviations() {
        RunPlan constant = TestPlans.constantRate(100, 10_000, 2).build();
        RunPlan poisson = constant.toBuilder()
                .setArrival(ArrivalProcess.ARRIVAL_PROCESS_POISSON)
                .build();

        assertThat(AbortOnFail.plannedUpperBound(constant)).isEqualTo(1002.0);
        assertThat(AbortOnFail.plannedUpperBound(poisson))
                .isCloseTo(1002 + 6 * Math.sqrt(1000) + 10, org.assertj.core.data.Offset.offset(1e-9));
    }
}
