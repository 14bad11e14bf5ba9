package io.salvo.report;

import com.google.protobuf.ByteString;
import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.detect.PlatformInstance;
import io.salvo.detect.PlatformInstanceSignals;
import io.salvo.proto.v1.ArrivalProcess;
import io.salvo.proto.v1.CapturedHeader;
import io.salvo.proto.v1.CoordinatorTakeover;
import io.salvo.proto.v1.HeaderValueCount;
import io.salvo.proto.v1.InstanceFirstResponse;
import io.salvo.proto.v1.MergedInterval;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeHistograms;
import io.salvo.proto.v1.Phase;
import io.salvo.proto.v1.RegionShare;
import io.salvo.proto.v1.RequestTemplate;
import io.salvo.proto.v1.Reslice;
import io.salvo.proto.v1.ResliceCause;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.RunState;
import io.salvo.proto.v1.Slice;
import io.salvo.proto.v1.SteadyStateRule;
import io.salvo.proto.v1.ThresholdCriterion;
import io.salvo.proto.v1.WorkerSummary;
import io.salvo.thresholds.CriterionSyntax;
import io.salvo.thresholds.InvalidCriterionException;
import java.util.List;
import java.util.function.LongUnaryOperator;
import org.HdrHistogram.Histogram;

/**
 * The fixed merged results behind the report goldens (report-v1.json, report-not-steady-v1.json, run-v1.hlog).
 * Every value is written out or computed by a formula here, never drawn at random and never taken from shared
 * fixtures such as TestPlans, so that only a change of the writers can change what the goldens hold. Changing
 * these inputs changes the goldens, so treat them like the goldens: add, do not edit.
 */
final class GoldenRuns {

    /** 2027-01-15T08:00:00Z. */
    static final long START_UNIX_NANOS = 1_800_000_000_000_000_000L;

    private static final long SECOND = 1_000_000_000L;

    private GoldenRuns() {}

    /**
     * Two workers against a target that scales from zero, reported with instance headers and the workers'
     * precise marks. Interval 0: nothing serves yet, every completion is a connect error. Interval 1: instance
     * pod-a answers its first request after 812 ms (model load 750 ms), with 4xx, 5xx and timeouts besides, a
     * late report, late sends, in-flight cap hits and two abandoned requests. Interval 2: pod-b starts (no
     * model-load header); from here on every response is a 2xx of 10-12 ms. Worker w-us-1 is lost at 3.5 s and
     * the rate re-sliced onto w-eu-1; at 4.2 s coordinator coord-b takes the run over from coord-a. Interval 6 is
     * the drain, with nothing completed. With a window of 3 intervals, steady state is reached at interval 2;
     * warm latency leaves interval 2 out because pod-b started in it. Intervals 1-5 carry the request phases
     * (connection wait, time to first byte; connects and TLS handshakes in interval 1), added within schema 1;
     * intervals 0 and 6 lack them, as reports of workers without them do.
     */
    static RunResult steady() {
        RunPlan plan = RunPlan.newBuilder()
                .setName("golden-steady")
                .setRequest(RequestTemplate.newBuilder()
                        .setUrl("http://model.example:8080/v2/models/minilm/infer")
                        .setMethod("POST"))
                .addPhases(Phase.newBuilder()
                        .setDurationMillis(2_000)
                        .setStartRatePerSecond(50)
                        .setEndRatePerSecond(100))
                .addPhases(Phase.newBuilder()
                        .setDurationMillis(4_000)
                        .setStartRatePerSecond(100)
                        .setEndRatePerSecond(100))
                .setArrival(ArrivalProcess.ARRIVAL_PROCESS_CONSTANT)
                .setWorkerCount(2)
                .setIntervalMillis(1_000)
                .setRequestTimeoutMillis(1_000)
                .setConnectTimeoutMillis(500)
                .setMaxInFlightPerWorker(64)
                .setMaxConnectionsPerWorker(16)
                .setLateSendThresholdMicros(1_000)
                .addCaptureResponseHeaders("Salvo-Instance-Id")
                .addCaptureResponseHeaders("X-Model-Version")
                .setSeed(42)
                .setSteadyState(SteadyStateRule.newBuilder()
                        .setWindowIntervals(3)
                        .setMinSuccessRateRatio(0.9)
                        .setMaxErrorRatio(0.01)
                        .setMaxP95Spread(1.2))
                .addThresholds(criterion("p99 < 2s", false))
                .addThresholds(criterion("errors < 0.1%", false))
                .addThresholds(criterion("warm.p50 <= 12ms", false))
                .addThresholds(criterion("steady_state: reached", false))
                .addThresholds(criterion("time_to_first_response < 5s", true))
                .build();
        RunResult.Builder result = RunResult.newBuilder()
                .setRunId("run-golden-steady")
                .setState(RunState.RUN_STATE_COMPLETED)
                .setPlan(plan)
                .setStartUnixNanos(START_UNIX_NANOS)
                .setEndUnixNanos(START_UNIX_NANOS + 6_800_000_000L)
                .setRejectedReports(1)
                .setMessage("worker w-us-1 lost at 3.5 s; coordinator coord-a left at 4.2 s");

        // Interval 0: the first sends find nothing listening.
        result.addIntervals(MergedInterval.newBuilder()
                .setIntervalIndex(0)
                .setIntended(62)
                .setSent(62)
                .setCompleted(52)
                .addOutcomes(outcome(
                        OutcomeClass.OUTCOME_CLASS_CONNECT_ERROR,
                        values(52, k -> 1_500 + k * 13 % 400),
                        values(52, k -> 1_400 + k * 13 % 400)))
                .setSchedulerLagMicros(bytes(values(62, k -> 40 + k * 7 % 60)))
                .addWorkerIds("w-eu-1")
                .addWorkerIds("w-us-1")
                .setFirstSendOffsetMicros(2_000)
                .setErrorCompletionOffsetMicros(bytes(values(52, k -> 10_000 + k * 19_000)))
                .setErrorCompletionOffsetsComplete(true));

        // Interval 1: pod-a's cold start, errors of every other class, and a report that came late.
        result.addIntervals(MergedInterval.newBuilder()
                .setIntervalIndex(1)
                .setIntended(88)
                .setSent(88)
                .setCompleted(98)
                .addOutcomes(outcome(
                        OutcomeClass.OUTCOME_CLASS_2XX,
                        values(70, k -> 300_000 + k * 5_000),
                        values(70, k -> 299_800 + k * 5_000)))
                .addOutcomes(outcome(
                        OutcomeClass.OUTCOME_CLASS_4XX,
                        values(6, k -> 4_000 + k * 100),
                        values(6, k -> 3_900 + k * 100)))
                .addOutcomes(outcome(
                        OutcomeClass.OUTCOME_CLASS_5XX,
                        values(12, k -> 350_000 + k * 1_000),
                        values(12, k -> 349_000 + k * 1_000)))
                .addOutcomes(outcome(
                        OutcomeClass.OUTCOME_CLASS_TIMEOUT,
                        values(10, k -> 1_000_000 + k * 1_000),
                        values(8, k -> 1_000_000)))
                .setSchedulerLagMicros(bytes(values(88, k -> 45 + k * 11 % 3_000)))
                .setLateSends(3)
                .setInFlightCapHits(5)
                .setUnsent(2)
                // Request phases (added within schema 1): 20 sends waited for one of 16 new connections (TLS),
                // and one of the two unsent requests gave up waiting for a connection, the other for a slot.
                .setConnectionWaitMicros(bytes(values(88, k -> k < 20 ? 30_000 + k * 2_000 : k % 3)))
                .setConnectionWaits(20)
                .setTimeToFirstByteMicros(bytes(values(86, k -> 3_000 + k * 4_000)))
                .setConnectMicros(bytes(values(16, k -> 400 + k * 50)))
                .setTlsHandshakeMicros(bytes(values(16, k -> 8_000 + k * 500)))
                .setUnsentConnectionWait(1)
                .addCapturedHeaders(header("Salvo-Instance-Id", "pod-a", 88))
                .addCapturedHeaders(header("X-Model-Version", "v7", 88))
                .addWorkerIds("w-eu-1")
                .addWorkerIds("w-us-1")
                .setHadLateReports(true)
                .setFirstSendOffsetMicros(1_000_150)
                .setFirstSuccessOffsetMicros(1_820_000)
                .setErrorCompletionOffsetMicros(bytes(values(28, k -> 5_000 + k * 33_000)))
                .setErrorCompletionOffsetsComplete(true)
                .addInstanceFirstResponses(InstanceFirstResponse.newBuilder()
                        .setInstanceId("pod-a")
                        .setOutcome(OutcomeClass.OUTCOME_CLASS_2XX)
                        .setLatencyMicros(812_345)
                        .setCompletedOffsetMicros(1_820_000)
                        .setModelLoadMillis(750)));

        // Intervals 2-5: warm 2xx of 10-12 ms on pod-a and pod-b; w-us-1 is gone from interval 3 on.
        for (int i = 2; i <= 5; i++) {
            int sent = i == 3 ? 96 : 100;
            MergedInterval.Builder m = MergedInterval.newBuilder()
                    .setIntervalIndex(i)
                    .setIntended(100)
                    .setSent(sent)
                    .setCompleted(sent)
                    .addOutcomes(outcome(
                            OutcomeClass.OUTCOME_CLASS_2XX,
                            values(sent, k -> 10_000 + k * 37 % 2_000),
                            values(sent, k -> 9_900 + k * 37 % 2_000)))
                    .setSchedulerLagMicros(bytes(values(sent, k -> 30 + k * 3 % 200)))
                    .setConnectionWaitMicros(bytes(values(sent, k -> k * 7 % 20)))
                    .setTimeToFirstByteMicros(bytes(values(sent, k -> 9_500 + k * 37 % 2_000)))
                    .addCapturedHeaders(CapturedHeader.newBuilder()
                            .setName("Salvo-Instance-Id")
                            .addValues(value("pod-a", sent / 2))
                            .addValues(value("pod-b", sent / 2)))
                    .addCapturedHeaders(header("X-Model-Version", "v7", sent))
                    .addWorkerIds("w-eu-1")
                    .setFirstSendOffsetMicros(i * 1_000_000L + 100)
                    .setFirstSuccessOffsetMicros(i * 1_000_000L + 10_300)
                    .setErrorCompletionOffsetsComplete(true);
            if (i == 2) {
                m.addWorkerIds("w-us-1")
                        .addInstanceFirstResponses(InstanceFirstResponse.newBuilder()
                                .setInstanceId("pod-b")
                                .setOutcome(OutcomeClass.OUTCOME_CLASS_2XX)
                                .setLatencyMicros(15_500)
                                .setCompletedOffsetMicros(2_400_000));
            }
            result.addIntervals(m);
        }

        // Interval 6: the drain; the last worker reports that nothing completed.
        result.addIntervals(MergedInterval.newBuilder()
                .setIntervalIndex(6)
                .addWorkerIds("w-eu-1")
                .setErrorCompletionOffsetsComplete(true));

        result.addWorkers(WorkerSummary.newBuilder()
                        .setWorkerId("w-eu-1")
                        .setRegion("eu-west-1")
                        .setCores(4)
                        .setSlice(Slice.newBuilder()
                                .setSegmentStart(0)
                                .setSegmentEnd(1)
                                .setTotalWeight(1)
                                .setSeed(7)
                                .setStride(1))
                        .setSent(463)
                        .setCompleted(463)
                        .setIntervalsReported(7)
                        .setClockOffsetNanos(1_250_000)
                        .setClockRoundTripNanos(310_000)
                        .setFinished(true)
                        .putSentByInterval(0, 41)
                        .putSentByInterval(1, 59)
                        .putSentByInterval(2, 67)
                        .putSentByInterval(3, 96)
                        .putSentByInterval(4, 100)
                        .putSentByInterval(5, 100))
                .addWorkers(WorkerSummary.newBuilder()
                        .setWorkerId("w-us-1")
                        .setRegion("us-east-1")
                        .setCores(2)
                        .setSlice(Slice.newBuilder()
                                .setSegmentStart(2)
                                .setSegmentEnd(3)
                                .setTotalWeight(3)
                                .setSeed(8)
                                .setStride(2))
                        .setSent(83)
                        .setCompleted(80)
                        .setIntervalsReported(3)
                        .setClockOffsetNanos(-3_400_000)
                        .setClockRoundTripNanos(95_000_000)
                        .setLost(true)
                        .putSentByInterval(0, 21)
                        .putSentByInterval(1, 29)
                        .putSentByInterval(2, 33));
        result.addReslices(Reslice.newBuilder()
                        .setAtUnixNanos(START_UNIX_NANOS + 3_500_000_000L)
                        .setEpoch(2)
                        .setCause(ResliceCause.RESLICE_CAUSE_WORKER_LOST)
                        .setWorkerId("w-us-1")
                        .addWorkerIds("w-eu-1")
                        .setUncoveredIntendedRequests(16.5))
                .addReslices(Reslice.newBuilder()
                        .setAtUnixNanos(START_UNIX_NANOS + 4_200_000_000L)
                        .setEpoch(3)
                        .setCause(ResliceCause.RESLICE_CAUSE_TAKEOVER)
                        .addWorkerIds("w-eu-1"));
        result.addTakeovers(CoordinatorTakeover.newBuilder()
                .setAtUnixNanos(START_UNIX_NANOS + 4_200_000_000L)
                .setFromCoordinatorId("coord-a")
                .setToCoordinatorId("coord-b")
                .setReportsRestored(9));
        return result.build();
    }

    /**
     * One worker, Poisson arrivals stepping from 10 to 40 requests/s, stopped by the user before it ended (no end
     * instant). Responses carry no instance header and the workers sent no precise marks, so instances come from
     * the platform's signals and time to first response has interval resolution. A fifth of the responses are
     * 5xx, so steady state is not reached and there is no warm latency. Interval 0 completes nothing.
     */
    static RunResult notSteady() {
        RunPlan plan = RunPlan.newBuilder()
                .setName("golden-not-steady")
                .setRequest(RequestTemplate.newBuilder()
                        .setUrl("http://127.0.0.1:9000/predict")
                        .setMethod("GET"))
                .addPhases(Phase.newBuilder()
                        .setDurationMillis(4_000)
                        .setStartRatePerSecond(10)
                        .setEndRatePerSecond(40)
                        .setSteps(4))
                .setArrival(ArrivalProcess.ARRIVAL_PROCESS_POISSON)
                .setWorkerCount(1)
                .setIntervalMillis(1_000)
                .setRequestTimeoutMillis(2_000)
                .setConnectTimeoutMillis(1_000)
                .setMaxInFlightPerWorker(8)
                .setMaxConnectionsPerWorker(8)
                .setSeed(7)
                .addThresholds(criterion("warm.p99 < 100ms", false))
                .addThresholds(criterion("steady_state == reached", false))
                .addThresholds(criterion("errors.5xx == 0", true))
                .build();
        RunResult.Builder result = RunResult.newBuilder()
                .setRunId("run-golden-not-steady")
                .setState(RunState.RUN_STATE_STOPPED)
                .setPlan(plan)
                .setStartUnixNanos(START_UNIX_NANOS + 3_600 * SECOND)
                .setMessage("stopped: interrupted");
        result.addIntervals(MergedInterval.newBuilder()
                .setIntervalIndex(0)
                .setIntended(10)
                .setSent(10)
                .setSchedulerLagMicros(bytes(values(10, k -> 50 + k)))
                .addWorkerIds("w-local-1"));
        int[][] counts = {{15, 10, 0}, {24, 6, 0}, {30, 4, 2}};
        for (int i = 1; i <= 3; i++) {
            int ok = counts[i - 1][0];
            int failed = counts[i - 1][1];
            int timedOut = counts[i - 1][2];
            long base = 900_000 / i;
            MergedInterval.Builder m = MergedInterval.newBuilder()
                    .setIntervalIndex(i)
                    .setIntended(10L * (i + 1))
                    .setSent(i == 3 ? 38 : 10L * (i + 1))
                    .setCompleted(ok + failed + timedOut)
                    .addOutcomes(outcome(
                            OutcomeClass.OUTCOME_CLASS_2XX,
                            values(ok, k -> base + k * 20_000),
                            values(ok, k -> base - 300 + k * 20_000)))
                    .addOutcomes(outcome(
                            OutcomeClass.OUTCOME_CLASS_5XX,
                            values(failed, k -> 50_000 + k * 1_000),
                            values(failed, k -> 49_000 + k * 1_000)))
                    .setSchedulerLagMicros(bytes(values(i == 3 ? 38 : 10 * (i + 1), k -> 60 + k * 5)))
                    .addWorkerIds("w-local-1");
            if (timedOut > 0) {
                m.addOutcomes(outcome(
                                OutcomeClass.OUTCOME_CLASS_TIMEOUT,
                                values(timedOut, k -> 2_000_000 + k),
                                values(0, k -> 0)))
                        .setUnsent(2)
                        .setInFlightCapHits(3)
                        .setLateSends(1);
            }
            result.addIntervals(m);
        }
        result.addWorkers(WorkerSummary.newBuilder()
                .setWorkerId("w-local-1")
                .setCores(2)
                .setSlice(Slice.newBuilder()
                        .setSegmentStart(0)
                        .setSegmentEnd(1)
                        .setTotalWeight(1)
                        .setSeed(7)
                        .setStride(1))
                .setSent(98)
                .setCompleted(91)
                .setIntervalsReported(4)
                .setClockRoundTripNanos(120_000)
                .putSentByInterval(0, 10)
                .putSentByInterval(1, 20)
                .putSentByInterval(2, 30)
                .putSentByInterval(3, 38));
        return result.build();
    }

    /**
     * Three workers in two regions, us-east1 (weight 2, two workers, about 2 ms) and europe-west1 (weight 1, one
     * worker, about 80 ms), 30 requests/s for 3 s; europe's only worker is lost in interval 2, which leaves the
     * region unserved from 2.2 s. Each interval carries each region's own merge and the exact merge of both.
     */
    static RunResult regions() {
        RunPlan plan = RunPlan.newBuilder()
                .setName("golden-regions")
                .setRequest(RequestTemplate.newBuilder()
                        .setUrl("http://127.0.0.1:9000/predict")
                        .setMethod("GET"))
                .addPhases(Phase.newBuilder()
                        .setDurationMillis(3_000)
                        .setStartRatePerSecond(30)
                        .setEndRatePerSecond(30))
                .setArrival(ArrivalProcess.ARRIVAL_PROCESS_CONSTANT)
                .setWorkerCount(3)
                .setIntervalMillis(1_000)
                .setRequestTimeoutMillis(2_000)
                .setConnectTimeoutMillis(1_000)
                .setMaxInFlightPerWorker(8)
                .setMaxConnectionsPerWorker(8)
                .setSeed(11)
                .addRegions(RegionShare.newBuilder().setRegion("us-east1").setWeight(2))
                .addRegions(RegionShare.newBuilder().setRegion("europe-west1").setWeight(1))
                .build();
        RunResult.Builder result = RunResult.newBuilder()
                .setRunId("run-golden-regions")
                .setState(RunState.RUN_STATE_COMPLETED)
                .setPlan(plan)
                .setStartUnixNanos(START_UNIX_NANOS + 7_200 * SECOND)
                .setEndUnixNanos(START_UNIX_NANOS + 7_205 * SECOND)
                .setMessage("worker eu-1 was lost (stream closed); region europe-west1 has no worker left after "
                        + "worker eu-1 (europe-west1) lost: its share of the rate is not sent until a worker of the "
                        + "region joins");
        for (int i = 0; i < 3; i++) {
            int euCount = i == 2 ? 2 : 10;
            Histogram us = values(20, k -> 1_800 + k * 25L);
            Histogram eu = values(euCount, k -> 80_000 + k * 500L);
            Histogram all = us.copy();
            all.add(eu);
            MergedInterval.Builder usPart = regional("us-east1", i, us, List.of("us-1", "us-2"));
            MergedInterval.Builder euPart = regional("europe-west1", i, eu, List.of("eu-1"));
            result.addIntervals(MergedInterval.newBuilder()
                    .setIntervalIndex(i)
                    .setIntended(30)
                    .setSent(20 + euCount)
                    .setCompleted(20 + euCount)
                    .addOutcomes(outcome(OutcomeClass.OUTCOME_CLASS_2XX, all, all))
                    .addAllWorkerIds(List.of("us-1", "us-2", "eu-1"))
                    .addRegions(usPart)
                    .addRegions(euPart));
        }
        result.addReslices(Reslice.newBuilder()
                .setAtUnixNanos(START_UNIX_NANOS + 7_202 * SECOND + 200_000_000L)
                .setEpoch(2)
                .setCause(ResliceCause.RESLICE_CAUSE_WORKER_LOST)
                .setWorkerId("eu-1")
                .addWorkerIds("us-1")
                .addWorkerIds("us-2")
                .setUncoveredIntendedRequests(2)
                .setRegion("europe-west1")
                .setRegionUnserved(true));
        String[][] workers = {{"us-1", "us-east1"}, {"us-2", "us-east1"}, {"eu-1", "europe-west1"}};
        long[] roundTrips = {400_000, 600_000, 30_000_000};
        for (int w = 0; w < 3; w++) {
            result.addWorkers(WorkerSummary.newBuilder()
                    .setWorkerId(workers[w][0])
                    .setRegion(workers[w][1])
                    .setCores(2)
                    .setSlice(Slice.newBuilder()
                            .setSegmentStart(w * 720_720L)
                            .setSegmentEnd((w + 1) * 720_720L)
                            .setTotalWeight(3 * 720_720L)
                            .setSeed(11)
                            .setStride(1_336_373))
                    .setSent(w == 2 ? 22 : 30)
                    .setCompleted(w == 2 ? 22 : 30)
                    .setIntervalsReported(3)
                    .setClockRoundTripNanos(roundTrips[w])
                    .setFinished(w != 2)
                    .setLost(w == 2));
        }
        return result.build();
    }

    private static MergedInterval.Builder regional(String region, long index, Histogram latency, List<String> workers) {
        return MergedInterval.newBuilder()
                .setRegion(region)
                .setIntervalIndex(index)
                .setIntended(region.equals("us-east1") ? 20 : 10)
                .setSent(latency.getTotalCount())
                .setCompleted(latency.getTotalCount())
                .addOutcomes(outcome(OutcomeClass.OUTCOME_CLASS_2XX, latency, latency))
                .addAllWorkerIds(workers);
    }

    /**
     * The platform's view for {@link #notSteady()}: fn-1 ready at 0.85 s after a 600 ms model load, fn-2 ready at
     * 2.3 s without a known load time, fn-3 spawned at 3.5 s and never ready.
     */
    static PlatformInstanceSignals notSteadyPlatform() {
        List<PlatformInstance> instances = List.of(
                new PlatformInstance("fn-1", 100_000, 850_000L, null, 600L),
                new PlatformInstance("fn-2", 1_900_000, 2_300_000L, null, null),
                new PlatformInstance("fn-3", 3_500_000, null, null, null));
        return new PlatformInstanceSignals() {
            @Override
            public String sourceLabel() {
                return "local driver, lambda-like (emulation)";
            }

            @Override
            public List<PlatformInstance> instances() {
                return instances;
            }
        };
    }

    /** A plan's threshold, as the plan reader makes it from the text. */
    static ThresholdCriterion criterion(String text, boolean abortOnFail) {
        try {
            return CriterionSyntax.parse(text).withAbortOnFail(abortOnFail).toProto();
        } catch (InvalidCriterionException e) {
            throw new IllegalArgumentException(text + ": " + e.getMessage(), e);
        }
    }

    private static Histogram values(int count, LongUnaryOperator valueOf) {
        Histogram h = HistogramSpec.newHistogram();
        for (int k = 0; k < count; k++) {
            h.recordValue(valueOf.applyAsLong(k));
        }
        return h;
    }

    private static ByteString bytes(Histogram h) {
        return HistogramCodec.encode(h);
    }

    private static OutcomeHistograms outcome(OutcomeClass outcome, Histogram latency, Histogram serviceTime) {
        return OutcomeHistograms.newBuilder()
                .setOutcome(outcome)
                .setLatencyMicros(bytes(latency))
                .setServiceTimeMicros(bytes(serviceTime))
                .build();
    }

    private static CapturedHeader header(String name, String value, long count) {
        return CapturedHeader.newBuilder()
                .setName(name)
                .addValues(value(value, count))
                .build();
    }

    /**
     * The platform's side of the steady run as a kubernetes driver would give it: two pods, one that waited for a node
     * the cluster autoscaler added (FailedScheduling first), one on a node that was there; the ready count stepping
     * 0 → 1 → 2; the node-hours. Offsets count from the steady run's start, 2027-01-15T08:00:00Z.
     */
    static PlatformSection steadyPlatform() {
        String t0 = "2027-01-15T08:00:00Z";
        PlatformSection.ColdStart a = new PlatformSection.ColdStart(
                "salvo-model-g1-a",
                "salvo-model-g1-a/5c1d",
                "pool-a-1",
                true,
                812L,
                1_800,
                List.of(
                        new PlatformSection.Phase("scheduling", t0, "2027-01-15T08:00:00.100Z", 0, 100),
                        new PlatformSection.Phase(
                                "image pull", "2027-01-15T08:00:00.100Z", "2027-01-15T08:00:00.600Z", 100, 500),
                        new PlatformSection.Phase(
                                "container start", "2027-01-15T08:00:00.600Z", "2027-01-15T08:00:00.700Z", 600, 100),
                        new PlatformSection.Phase(
                                "model load + readiness",
                                "2027-01-15T08:00:00.700Z",
                                "2027-01-15T08:00:01.600Z",
                                700,
                                900),
                        new PlatformSection.Phase(
                                "first response", "2027-01-15T08:00:01.600Z", "2027-01-15T08:00:01.800Z", 1_600, 200)));
        PlatformSection.ColdStart b = new PlatformSection.ColdStart(
                "salvo-model-g1-b",
                "salvo-model-g1-b/9e02",
                "pool-a-2",
                true,
                null,
                4_300,
                List.of(
                        new PlatformSection.Phase("scale-up trigger", t0, "2027-01-15T08:00:00.500Z", 0, 500),
                        new PlatformSection.Phase(
                                "node provisioning", "2027-01-15T08:00:00.500Z", "2027-01-15T08:00:03Z", 500, 2_500),
                        new PlatformSection.Phase(
                                "scheduling", "2027-01-15T08:00:03Z", "2027-01-15T08:00:03.200Z", 3_000, 200),
                        new PlatformSection.Phase(
                                "model load + readiness",
                                "2027-01-15T08:00:03.200Z",
                                "2027-01-15T08:00:04.100Z",
                                3_200,
                                900),
                        new PlatformSection.Phase(
                                "first response", "2027-01-15T08:00:04.100Z", "2027-01-15T08:00:04.300Z", 4_100, 200)));
        return new PlatformSection(
                PlatformSection.VERSION,
                "kubernetes Deployment bench/salvo-model-g1",
                t0,
                "verified",
                List.of(a, b),
                List.of(
                        new PlatformSection.PhaseRow("scheduling", 2, 100, 200),
                        new PlatformSection.PhaseRow("image pull", 1, 500, 500),
                        new PlatformSection.PhaseRow("container start", 1, 100, 100),
                        new PlatformSection.PhaseRow("model load + readiness", 2, 900, 900),
                        new PlatformSection.PhaseRow("first response", 2, 200, 200),
                        new PlatformSection.PhaseRow("scale-up trigger", 1, 500, 500),
                        new PlatformSection.PhaseRow("node provisioning", 1, 2_500, 2_500),
                        new PlatformSection.PhaseRow("total", 2, 1_800, 4_300)),
                List.of(
                        new PlatformSection.CountSample(t0, 0, 0, 2),
                        new PlatformSection.CountSample("2027-01-15T08:00:01.600Z", 1_600, 1, 1),
                        new PlatformSection.CountSample("2027-01-15T08:00:04.100Z", 4_100, 2, 0)),
                List.of(new PlatformSection.Event(
                        "2027-01-15T08:00:00.200Z",
                        200,
                        "Warning",
                        "pod/salvo-model-g1-b",
                        "FailedScheduling",
                        "0/1 nodes are available: 1 Insufficient cpu.")),
                List.of(new PlatformSection.Usage(
                        "kubernetes:node-hours:e2-standard-4", 0.0042, "node-h", "nodes hosting the model's pods")));
    }

    /**
     * The steady run's cost estimate as the CLI prices {@link #steadyPlatform()}'s node-hours: the built-in table's
     * e2-standard-4 price of 2026-12-06, per the run's 466 2xx responses (Kubernetes counts no predictions itself).
     */
    static CostSection steadyCost() {
        double price = 0.134012;
        double total = 0.0042 * price;
        return new CostSection(
                total,
                "USD",
                total / 466 * 1e6,
                466,
                "salvo 2xx responses",
                6.0,
                "built-in",
                "2026-12-06",
                false,
                List.of(),
                CostSection.LEAVES_OUT,
                List.of(new CostSection.Line(
                        "kubernetes:node-hours:e2-standard-4",
                        0.0042,
                        "node-h",
                        "nodes hosting the model's pods",
                        "kubernetes:node-hours:e2-standard-4",
                        price,
                        total)));
    }

    private static HeaderValueCount value(String value, long count) {
        return HeaderValueCount.newBuilder().setValue(value).setCount(count).build();
    }
}
