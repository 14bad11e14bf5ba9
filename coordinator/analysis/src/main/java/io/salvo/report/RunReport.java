package io.salvo.report;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramCodec.CorruptHistogramException;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.core.result.ReportedBy;
import io.salvo.detect.LiveDetectors;
import io.salvo.detect.PlatformInstanceSignals;
import io.salvo.proto.v1.CapturedHeader;
import io.salvo.proto.v1.MergedInterval;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeHistograms;
import io.salvo.proto.v1.Phase;
import io.salvo.proto.v1.RegionShare;
import io.salvo.proto.v1.Reslice;
import io.salvo.proto.v1.ResliceCause;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.WorkerSummary;
import io.salvo.thresholds.Criterion;
import io.salvo.thresholds.Figure;
import io.salvo.thresholds.Operator;
import io.salvo.thresholds.ThresholdResult;
import io.salvo.thresholds.Thresholds;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * The report of one run, computed from the coordinator's merged result. Every percentile is read from
 * an exactly merged histogram. Serialized as schema-versioned JSON (see docs/metrics.md for each
 * field's definition); also the source of the console table and the .hlog file.
 */
public record RunReport(
        @JsonProperty("schema_version") int schemaVersion,
        @JsonProperty("run") RunInfo run,
        @JsonProperty("totals") Totals totals,
        @JsonProperty("detectors") DetectorReport detectors,
        @JsonProperty("intervals") List<IntervalRow> intervals,
        @JsonProperty("workers") List<WorkerRow> workers,
        @JsonProperty("thresholds") List<ThresholdRow> thresholds,
        @JsonProperty("regions") List<RegionRow> regions,
        @JsonProperty("platform") PlatformSection platform,
        @JsonProperty("cost") CostSection cost) {

    public static final int SCHEMA_VERSION = 1;

    /**
     * This report with the platform's side of the run (its cold-start breakdown, instance counts and events), which
     * the CLI holding the platform driver adds; null leaves the report without one.
     */
    public RunReport withPlatform(PlatformSection section) {
        return new RunReport(
                schemaVersion, run, totals, detectors, intervals, workers, thresholds, regions, section, cost);
    }

    /**
     * This report with the run's cost estimate, which the CLI computes from the platform's billed usage once the run
     * has ended (null: none). The criteria on cost are judged again with it; the others keep their verdicts, which
     * the estimate cannot change.
     */
    public RunReport withCost(CostSection estimate) {
        List<ThresholdRow> judged = thresholds;
        if (thresholds != null) {
            ReportFigures figures = new ReportFigures(totals, detectors, regions, estimate);
            judged = thresholds.stream()
                    .map(t -> t.figure().startsWith("cost.") ? t.judgedAgain(figures) : t)
                    .toList();
        }
        return new RunReport(
                schemaVersion, run, totals, detectors, intervals, workers, judged, regions, platform, estimate);
    }

    /**
     * One of the plan's pass/fail criteria, judged on this report. {@code limit} and {@code observed} are in
     * {@code unit} ("ms", "%", "/s"; empty for counts; for steady_state 1 = reached, 0 = not reached);
     * {@code observed} is null when the run has no value for the figure, and then the criterion failed.
     */
    public record ThresholdRow(
            @JsonProperty("criterion") String criterion,
            @JsonProperty("figure") String figure,
            @JsonProperty("operator") String operator,
            @JsonProperty("limit") double limit,
            @JsonProperty("unit") String unit,
            @JsonProperty("observed") Double observed,
            @JsonProperty("passed") boolean passed,
            @JsonProperty("abort_on_fail") boolean abortOnFail) {

        /** This criterion judged on {@code figures}; a figure or operator this version does not know has no value. */
        ThresholdRow judgedAgain(Function<Figure, Double> figures) {
            Figure f = Figure.named(figure).orElse(new Figure(figure, Figure.Kind.COUNT));
            Operator op = java.util.Arrays.stream(Operator.values())
                    .filter(o -> o.symbol().equals(operator))
                    .findFirst()
                    .orElse(null);
            return of(Thresholds.evaluate(List.of(new Criterion(criterion, f, op, limit, abortOnFail)), figures)
                    .get(0));
        }

        static ThresholdRow of(ThresholdResult result) {
            Criterion c = result.criterion();
            return new ThresholdRow(
                    c.text(),
                    c.figure().name(),
                    c.operator() == null ? "?" : c.operator().symbol(),
                    c.limit(),
                    c.figure().kind().unit(),
                    result.observed(),
                    result.passed(),
                    c.abortOnFail());
        }
    }

    /** Whether any of the plan's thresholds failed (false for a plan without thresholds, or a report without them). */
    @JsonIgnore
    public boolean anyThresholdFailed() {
        return thresholds != null && thresholds.stream().anyMatch(t -> !t.passed());
    }

    public record RunInfo(
            @JsonProperty("id") String id,
            @JsonProperty("name") String name,
            @JsonProperty("state") String state,
            @JsonProperty("message") String message,
            @JsonProperty("target_url") String targetUrl,
            @JsonProperty("method") String method,
            @JsonProperty("arrival") String arrival,
            @JsonProperty("phases") List<PhaseInfo> phases,
            @JsonProperty("worker_count") int workerCount,
            @JsonProperty("interval_ms") long intervalMillis,
            @JsonProperty("load_duration_s") double loadDurationSeconds,
            @JsonProperty("start") String start,
            @JsonProperty("end") String end,
            @JsonProperty("rejected_reports") long rejectedReports,
            @JsonProperty("reslices") List<ResliceRow> reslices,
            @JsonProperty("takeovers") List<TakeoverRow> takeovers,
            @JsonProperty("start_skew_bound_ms") Double startSkewBoundMillis) {}

    /** Another coordinator carried the run on after its leader left the coordinator cluster. */
    public record TakeoverRow(
            @JsonProperty("at_s") double atSeconds,
            @JsonProperty("at") String at,
            @JsonProperty("from_coordinator") String fromCoordinator,
            @JsonProperty("to_coordinator") String toCoordinator,
            @JsonProperty("reports_restored") long reportsRestored) {}

    /** A re-division of the rate after a worker was lost or joined. */
    public record ResliceRow(
            @JsonProperty("at_s") double atSeconds,
            @JsonProperty("epoch") long epoch,
            @JsonProperty("cause") String cause,
            @JsonProperty("worker") String worker,
            @JsonProperty("workers_after") List<String> workersAfter,
            @JsonProperty("uncovered_intended_requests") double uncoveredIntendedRequests,
            @JsonProperty("region") String region,
            @JsonProperty("region_unserved") boolean regionUnserved) {}

    /**
     * One region of a run whose plan has regions: its part of the plan, its workers, and its own totals, computed
     * exactly as the run's from the merge of that region's reports alone.
     *
     * @param share              the region's fraction of the total rate
     * @param ratePerSecond      the region's own rate when the plan gave one, else null
     * @param clockErrorBoundMs  the largest clock-offset error bound (half the best probe's round trip) among the
     *                           region's workers: each started within this of the run's start instant
     * @param unservedFromS      when (s from start) the region lost its last worker and its share went unsent; null
     *                           when it always had one (or got one back)
     */
    public record RegionRow(
            @JsonProperty("region") String region,
            @JsonProperty("weight") double weight,
            @JsonProperty("rate_per_s") Double ratePerSecond,
            @JsonProperty("share") double share,
            @JsonProperty("workers") List<String> workers,
            @JsonProperty("workers_lost") int workersLost,
            @JsonProperty("clock_error_bound_ms") Double clockErrorBoundMs,
            @JsonProperty("unserved_from_s") Double unservedFromS,
            @JsonProperty("totals") Totals totals) {}

    public record PhaseInfo(
            @JsonProperty("duration_ms") long durationMillis,
            @JsonProperty("start_rate_per_s") double startRate,
            @JsonProperty("end_rate_per_s") double endRate,
            @JsonProperty("steps") int steps) {}

    /**
     * Percentiles of one histogram, in milliseconds (converted from microseconds). Without values (count 0)
     * every statistic is null: a 0 would read as a measured 0 ms, which scheduler lag often really is.
     */
    public record Percentiles(
            @JsonProperty("count") long count,
            @JsonProperty("min_ms") Double min,
            @JsonProperty("mean_ms") Double mean,
            @JsonProperty("p50_ms") Double p50,
            @JsonProperty("p90_ms") Double p90,
            @JsonProperty("p95_ms") Double p95,
            @JsonProperty("p99_ms") Double p99,
            @JsonProperty("p99_9_ms") Double p999,
            @JsonProperty("max_ms") Double max) {

        static Percentiles of(Histogram h) {
            if (h.getTotalCount() == 0) {
                return new Percentiles(0, null, null, null, null, null, null, null, null);
            }
            return new Percentiles(
                    h.getTotalCount(),
                    ms(h.getMinValue()),
                    h.getMean() / 1000.0,
                    ms(h.getValueAtPercentile(50)),
                    ms(h.getValueAtPercentile(90)),
                    ms(h.getValueAtPercentile(95)),
                    ms(h.getValueAtPercentile(99)),
                    ms(h.getValueAtPercentile(99.9)),
                    ms(h.getMaxValue()));
        }

        private static Double ms(long micros) {
            return micros / 1000.0;
        }
    }

    /**
     * Completions per error class. {@code timeout} counts requests written to a connection that got no complete
     * response in time (the target's timeouts); {@code unsent_timeout} those given up before they were ever
     * written, after waiting past the request timeout for an in-flight slot or a connection (the client's). A
     * report of schema 1 written before the split lacks {@code unsent_timeout} and counts both in
     * {@code timeout}.
     */
    public record Errors(
            @JsonProperty("status_4xx") long status4xx,
            @JsonProperty("status_5xx") long status5xx,
            @JsonProperty("timeout") long timeout,
            @JsonProperty("connect_error") long connectError,
            @JsonProperty("unsent_timeout") long unsentTimeout) {

        public long total() {
            return status4xx + status5xx + timeout + connectError + unsentTimeout;
        }
    }

    /**
     * Why requests were never written (they add up to {@code unsent}): they waited past the request timeout for
     * an in-flight slot ({@code in_flight_cap}) or for a connection ({@code connection_wait}), both counted as
     * {@code errors.unsent_timeout}, or the connection made for them failed ({@code connect_failed}, counted as
     * connect errors).
     */
    public record UnsentReasons(
            @JsonProperty("in_flight_cap") long inFlightCap,
            @JsonProperty("connection_wait") long connectionWait,
            @JsonProperty("connect_failed") long connectFailed) {

        static UnsentReasons of(MergedInterval m) {
            // Reports of workers without request phases count only backlog abandonments as unsent.
            long connectionWait = m.getUnsentConnectionWait();
            long connectFailed = m.getUnsentConnectFailed();
            return new UnsentReasons(
                    Math.max(0, m.getUnsent() - connectionWait - connectFailed), connectionWait, connectFailed);
        }

        UnsentReasons plus(UnsentReasons o) {
            return new UnsentReasons(
                    inFlightCap + o.inFlightCap, connectionWait + o.connectionWait, connectFailed + o.connectFailed);
        }

        long timeouts() {
            return inFlightCap + connectionWait;
        }
    }

    public record Totals(
            @JsonProperty("intended") long intended,
            @JsonProperty("sent") long sent,
            @JsonProperty("requests") long requests,
            @JsonProperty("successes") long successes,
            @JsonProperty("errors") Errors errors,
            @JsonProperty("achieved_rate_per_s") double achievedRate,
            @JsonProperty("success_rate_per_s") double successRate,
            @JsonProperty("late_sends") long lateSends,
            @JsonProperty("in_flight_cap_hits") long capHits,
            @JsonProperty("unsent") long unsent,
            @JsonProperty("latency") Percentiles latency,
            @JsonProperty("latency_2xx") Percentiles latencySuccess,
            @JsonProperty("service_time") Percentiles serviceTime,
            @JsonProperty("scheduler_lag") Percentiles schedulerLag,
            @JsonProperty("latency_distribution") List<PercentilePoint> latencyDistribution,
            @JsonProperty("latency_2xx_distribution") List<PercentilePoint> latencySuccessDistribution,
            @JsonProperty("connection_wait") Percentiles connectionWait,
            @JsonProperty("connection_waits") long connectionWaits,
            @JsonProperty("time_to_first_byte") Percentiles timeToFirstByte,
            @JsonProperty("connect") Percentiles connect,
            @JsonProperty("tls_handshake") Percentiles tlsHandshake,
            @JsonProperty("unsent_reasons") UnsentReasons unsentReasons) {}

    /**
     * One step of a histogram's percentile distribution: the value (ms) at or below which {@code percentile} % of
     * the recorded values lie. A list of them is HdrHistogram's percentile iteration with {@value
     * RunReport#DISTRIBUTION_TICKS_PER_HALF_DISTANCE} ticks per half distance (the steps of its classic
     * {@code outputPercentileDistribution}), so the tail gets as many points as the body; the last is 100 %, the
     * maximum.
     */
    public record PercentilePoint(
            @JsonProperty("percentile") double percentile,
            @JsonProperty("value_ms") double valueMillis) {

        static List<PercentilePoint> of(Histogram h) {
            List<PercentilePoint> points = new ArrayList<>();
            if (h.getTotalCount() == 0) {
                return points;
            }
            for (HistogramIterationValue v : h.percentiles(DISTRIBUTION_TICKS_PER_HALF_DISTANCE)) {
                points.add(new PercentilePoint(v.getPercentileLevelIteratedTo(), v.getValueIteratedTo() / 1000.0));
            }
            return points;
        }
    }

    /** Steps of the percentile distributions: about 5 points per halving of the remaining tail. */
    public static final int DISTRIBUTION_TICKS_PER_HALF_DISTANCE = 5;

    public record IntervalRow(
            @JsonProperty("index") long index,
            @JsonProperty("start_offset_s") double startOffsetSeconds,
            @JsonProperty("intended") long intended,
            @JsonProperty("sent") long sent,
            @JsonProperty("requests") long requests,
            @JsonProperty("successes") long successes,
            @JsonProperty("errors") Errors errors,
            @JsonProperty("achieved_rate_per_s") double achievedRate,
            @JsonProperty("success_rate_per_s") double successRate,
            @JsonProperty("late_sends") long lateSends,
            @JsonProperty("in_flight_cap_hits") long capHits,
            @JsonProperty("unsent") long unsent,
            @JsonProperty("latency") Percentiles latency,
            @JsonProperty("service_time") Percentiles serviceTime,
            @JsonProperty("workers_reported") int workersReported,
            @JsonProperty("had_late_reports") boolean hadLateReports,
            @JsonProperty("captured_headers") Map<String, Map<String, Long>> capturedHeaders,
            @JsonProperty("scheduler_lag") Percentiles schedulerLag,
            @JsonProperty("connection_wait") Percentiles connectionWait,
            @JsonProperty("connection_waits") long connectionWaits,
            @JsonProperty("time_to_first_byte") Percentiles timeToFirstByte,
            @JsonProperty("connect") Percentiles connect,
            @JsonProperty("tls_handshake") Percentiles tlsHandshake,
            @JsonProperty("unsent_reasons") UnsentReasons unsentReasons) {}

    public record WorkerRow(
            @JsonProperty("id") String id,
            @JsonProperty("region") String region,
            @JsonProperty("cores") int cores,
            @JsonProperty("share") double share,
            @JsonProperty("sent") long sent,
            @JsonProperty("completed") long completed,
            @JsonProperty("intervals_reported") long intervalsReported,
            @JsonProperty("clock_offset_ms") double clockOffsetMillis,
            @JsonProperty("clock_round_trip_ms") double clockRoundTripMillis,
            @JsonProperty("finished") boolean finished,
            @JsonProperty("lost") boolean lost,
            @JsonProperty("sent_by_interval") Map<Long, Long> sentByInterval,
            /*
             * Intervals per key of sent_by_interval when more than one (plans longer than 512 intervals, whose keys
             * are the first interval of each group); absent when each key is one interval.
             */
            @JsonProperty("sent_by_interval_width") @JsonInclude(JsonInclude.Include.NON_NULL)
            Integer sentByIntervalWidth) {}

    /**
     * Histograms of one merged interval, decoded; also used by the .hlog writer. The request phases are empty
     * histograms when no worker reported them.
     */
    public record DecodedInterval(
            MergedInterval source,
            Map<OutcomeClass, Histogram> latency,
            Map<OutcomeClass, Histogram> serviceTime,
            Histogram schedulerLag,
            Histogram connectionWait,
            Histogram timeToFirstByte,
            Histogram connect,
            Histogram tlsHandshake) {

        public Histogram allLatency() {
            return sum(latency);
        }

        public Histogram allServiceTime() {
            return sum(serviceTime);
        }

        private static Histogram sum(Map<OutcomeClass, Histogram> byOutcome) {
            Histogram all = HistogramSpec.newHistogram();
            byOutcome.values().forEach(all::add);
            return all;
        }

        public long count(OutcomeClass outcome) {
            Histogram h = latency.get(outcome);
            return h == null ? 0 : h.getTotalCount();
        }

        private static Histogram decodeOrEmpty(com.google.protobuf.ByteString bytes) throws CorruptHistogramException {
            return bytes.isEmpty() ? HistogramSpec.newHistogram() : HistogramCodec.decode(bytes.toByteArray());
        }

        public static DecodedInterval of(MergedInterval interval) {
            Map<OutcomeClass, Histogram> latency = new LinkedHashMap<>();
            Map<OutcomeClass, Histogram> service = new LinkedHashMap<>();
            try {
                for (OutcomeHistograms o : interval.getOutcomesList()) {
                    latency.put(
                            o.getOutcome(),
                            HistogramCodec.decode(o.getLatencyMicros().toByteArray()));
                    service.put(
                            o.getOutcome(),
                            HistogramCodec.decode(o.getServiceTimeMicros().toByteArray()));
                }
                return new DecodedInterval(
                        interval,
                        latency,
                        service,
                        decodeOrEmpty(interval.getSchedulerLagMicros()),
                        decodeOrEmpty(interval.getConnectionWaitMicros()),
                        decodeOrEmpty(interval.getTimeToFirstByteMicros()),
                        decodeOrEmpty(interval.getConnectMicros()),
                        decodeOrEmpty(interval.getTlsHandshakeMicros()));
            } catch (CorruptHistogramException e) {
                throw new IllegalStateException(
                        "the coordinator sent an undecodable merged histogram: " + e.getMessage(), e);
            }
        }
    }

    public static RunReport from(RunResult result) {
        return from(result, null);
    }

    /**
     * Builds the report; the detectors run again over the final merged intervals (late reports
     * included), with the platform's instance signals when a driver provides them (else null).
     */
    public static RunReport from(RunResult result, PlatformInstanceSignals platform) {
        long intervalMillis = result.getPlan().getIntervalMillis();
        double intervalSeconds = intervalMillis / 1000.0;
        double loadSeconds = result.getPlan().getPhasesList().stream()
                        .mapToLong(Phase::getDurationMillis)
                        .sum()
                / 1000.0;

        List<IntervalRow> rows = new ArrayList<>();
        LiveDetectors detectors = new LiveDetectors(DetectorReport.settingsFor(result.getPlan()), platform);
        TotalsSum all = new TotalsSum(intervalMillis, loadSeconds);
        Map<String, TotalsSum> byRegion = new LinkedHashMap<>();
        result.getPlan()
                .getRegionsList()
                .forEach(r -> byRegion.put(r.getRegion(), new TotalsSum(intervalMillis, loadSeconds)));
        for (MergedInterval m : result.getIntervalsList()) {
            detectors.accept(m);
            DecodedInterval d = DecodedInterval.of(m);
            Histogram intervalLatency = d.allLatency();
            Histogram intervalService = d.allServiceTime();
            Errors errors = all.add(m, d, intervalLatency, intervalService);
            for (MergedInterval regional : m.getRegionsList()) {
                TotalsSum region = byRegion.get(regional.getRegion());
                if (region != null) {
                    DecodedInterval rd = DecodedInterval.of(regional);
                    region.add(regional, rd, rd.allLatency(), rd.allServiceTime());
                }
            }
            UnsentReasons intervalUnsent = UnsentReasons.of(m);
            long successes = d.count(OutcomeClass.OUTCOME_CLASS_2XX);
            rows.add(new IntervalRow(
                    m.getIntervalIndex(),
                    m.getIntervalIndex() * intervalSeconds,
                    m.getIntended(),
                    m.getSent(),
                    intervalLatency.getTotalCount(),
                    successes,
                    errors,
                    m.getSent() / intervalSeconds,
                    successes / intervalSeconds,
                    m.getLateSends(),
                    m.getInFlightCapHits(),
                    m.getUnsent(),
                    Percentiles.of(intervalLatency),
                    Percentiles.of(intervalService),
                    ReportedBy.count(m),
                    m.getHadLateReports(),
                    headers(m.getCapturedHeadersList()),
                    Percentiles.of(d.schedulerLag()),
                    Percentiles.of(d.connectionWait()),
                    m.getConnectionWaits(),
                    Percentiles.of(d.timeToFirstByte()),
                    Percentiles.of(d.connect()),
                    Percentiles.of(d.tlsHandshake()),
                    intervalUnsent));
        }
        Totals totals = all.totals();

        List<PhaseInfo> phases = result.getPlan().getPhasesList().stream()
                .map(p -> new PhaseInfo(
                        p.getDurationMillis(), p.getStartRatePerSecond(), p.getEndRatePerSecond(), p.getSteps()))
                .toList();
        RunInfo info = new RunInfo(
                result.getRunId(),
                result.getPlan().getName(),
                result.getState().name().replace("RUN_STATE_", "").toLowerCase(Locale.ROOT),
                result.getMessage(),
                result.getPlan().getRequest().getUrl(),
                result.getPlan().getRequest().getMethod(),
                result.getPlan()
                        .getArrival()
                        .name()
                        .replace("ARRIVAL_PROCESS_", "")
                        .toLowerCase(Locale.ROOT),
                phases,
                result.getPlan().getWorkerCount(),
                intervalMillis,
                loadSeconds,
                instant(result.getStartUnixNanos()),
                instant(result.getEndUnixNanos()),
                result.getRejectedReports(),
                result.getReslicesList().stream()
                        .map(r -> new ResliceRow(
                                (r.getAtUnixNanos() - result.getStartUnixNanos()) / 1e9,
                                r.getEpoch(),
                                causeName(r.getCause()),
                                r.getWorkerId(),
                                List.copyOf(r.getWorkerIdsList()),
                                r.getUncoveredIntendedRequests(),
                                r.getRegion(),
                                r.getRegionUnserved()))
                        .toList(),
                result.getTakeoversList().stream()
                        .map(t -> new TakeoverRow(
                                (t.getAtUnixNanos() - result.getStartUnixNanos()) / 1e9,
                                instant(t.getAtUnixNanos()),
                                t.getFromCoordinatorId(),
                                t.getToCoordinatorId(),
                                t.getReportsRestored()))
                        .toList(),
                startSkewBoundMs(result.getWorkersList(), result.getPlan().getRegionsCount() > 0));

        List<WorkerRow> workers = new ArrayList<>();
        for (WorkerSummary w : result.getWorkersList()) {
            double share = w.getSlice().getTotalWeight() == 0
                    ? 0
                    : (double) (w.getSlice().getSegmentEnd() - w.getSlice().getSegmentStart())
                            / w.getSlice().getTotalWeight();
            workers.add(new WorkerRow(
                    w.getWorkerId(),
                    w.getRegion(),
                    w.getCores(),
                    share,
                    w.getSent(),
                    w.getCompleted(),
                    w.getIntervalsReported(),
                    w.getClockOffsetNanos() / 1e6,
                    w.getClockRoundTripNanos() / 1e6,
                    w.getFinished(),
                    w.getLost(),
                    new java.util.TreeMap<>(w.getSentByIntervalMap()),
                    w.getSentByIntervalWidth() > 1 ? w.getSentByIntervalWidth() : null));
        }
        DetectorReport detectorReport = DetectorReport.of(detectors.summary());
        List<RegionRow> regionRows = regions(result, byRegion);
        // the cost is not known here: the CLI adds it with withCost, which judges the cost criteria again
        List<ThresholdRow> thresholds = Thresholds.evaluate(
                        Thresholds.of(result.getPlan()), new ReportFigures(totals, detectorReport, regionRows, null))
                .stream()
                .map(ThresholdRow::of)
                .toList();
        return new RunReport(
                SCHEMA_VERSION, info, totals, detectorReport, rows, workers, thresholds, regionRows, null, null);
    }

    /** The run's totals as intervals are added: exact histogram sums and counts. One use. */
    private static final class TotalsSum {
        private final long intervalMillis;
        private final double loadSeconds;
        private final Histogram latency = HistogramSpec.newHistogram();
        private final Histogram latency2xx = HistogramSpec.newHistogram();
        private final Histogram service = HistogramSpec.newHistogram();
        private final Histogram lag = HistogramSpec.newHistogram();
        private final Histogram connectionWait = HistogramSpec.newHistogram();
        private final Histogram timeToFirstByte = HistogramSpec.newHistogram();
        private final Histogram connect = HistogramSpec.newHistogram();
        private final Histogram tlsHandshake = HistogramSpec.newHistogram();
        private long connectionWaits;
        private UnsentReasons unsentReasons = new UnsentReasons(0, 0, 0);
        private long intended;
        private long sent;
        private long sentDuringLoad;
        private long late;
        private long capHits;
        private long unsent;
        private final long[] errorCounts = new long[5];

        TotalsSum(long intervalMillis, double loadSeconds) {
            this.intervalMillis = intervalMillis;
            this.loadSeconds = loadSeconds;
        }

        /** Adds one merged interval (decoded, with its latency and service time over all outcomes); its errors. */
        Errors add(MergedInterval m, DecodedInterval d, Histogram intervalLatency, Histogram intervalService) {
            latency.add(intervalLatency);
            service.add(intervalService);
            lag.add(d.schedulerLag());
            connectionWait.add(d.connectionWait());
            timeToFirstByte.add(d.timeToFirstByte());
            connect.add(d.connect());
            tlsHandshake.add(d.tlsHandshake());
            connectionWaits += m.getConnectionWaits();
            unsentReasons = unsentReasons.plus(UnsentReasons.of(m));
            Histogram ok = d.latency().get(OutcomeClass.OUTCOME_CLASS_2XX);
            if (ok != null) {
                latency2xx.add(ok);
            }
            Errors errors = errorsOf(d);
            errorCounts[0] += errors.status4xx();
            errorCounts[1] += errors.status5xx();
            errorCounts[2] += errors.timeout();
            errorCounts[3] += errors.connectError();
            errorCounts[4] += errors.unsentTimeout();
            intended += m.getIntended();
            sent += m.getSent();
            // Sends that only happened after the load window (a worker that fell behind) are not
            // achieved rate: counting them would hide exactly the overload the rate should reveal.
            if (m.getIntervalIndex() * intervalMillis < loadSeconds * 1000) {
                sentDuringLoad += m.getSent();
            }
            late += m.getLateSends();
            capHits += m.getInFlightCapHits();
            unsent += m.getUnsent();
            return errors;
        }

        Totals totals() {
            Errors totalErrors =
                    new Errors(errorCounts[0], errorCounts[1], errorCounts[2], errorCounts[3], errorCounts[4]);
            return new Totals(
                    intended,
                    sent,
                    latency.getTotalCount(),
                    latency2xx.getTotalCount(),
                    totalErrors,
                    loadSeconds > 0 ? sentDuringLoad / loadSeconds : 0,
                    loadSeconds > 0 ? latency2xx.getTotalCount() / loadSeconds : 0,
                    late,
                    capHits,
                    unsent,
                    Percentiles.of(latency),
                    Percentiles.of(latency2xx),
                    Percentiles.of(service),
                    Percentiles.of(lag),
                    PercentilePoint.of(latency),
                    PercentilePoint.of(latency2xx),
                    Percentiles.of(connectionWait),
                    connectionWaits,
                    Percentiles.of(timeToFirstByte),
                    Percentiles.of(connect),
                    Percentiles.of(tlsHandshake),
                    unsentReasons);
        }
    }

    /**
     * The regions of a run whose plan has them, with their totals; empty otherwise. A region's workers are those of
     * the run whose region label it is; it is unserved from the re-slice that left it without a worker, unless a
     * later one served it again.
     */
    private static List<RegionRow> regions(RunResult result, Map<String, TotalsSum> byRegion) {
        List<RegionRow> rows = new ArrayList<>();
        double weightSum = result.getPlan().getRegionsList().stream()
                .mapToDouble(RegionShare::getWeight)
                .sum();
        for (RegionShare r : result.getPlan().getRegionsList()) {
            List<WorkerSummary> members = result.getWorkersList().stream()
                    .filter(w -> w.getRegion().equals(r.getRegion()))
                    .toList();
            Double unservedFrom = null;
            for (Reslice reslice : result.getReslicesList()) {
                if (reslice.getRegion().equals(r.getRegion())) {
                    unservedFrom = reslice.getRegionUnserved()
                            ? Double.valueOf((reslice.getAtUnixNanos() - result.getStartUnixNanos()) / 1e9)
                            : null;
                }
            }
            rows.add(new RegionRow(
                    r.getRegion(),
                    r.getWeight(),
                    r.getRatePerSecond() > 0 ? r.getRatePerSecond() : null,
                    weightSum > 0 ? r.getWeight() / weightSum : 0,
                    members.stream().map(WorkerSummary::getWorkerId).toList(),
                    (int) members.stream().filter(WorkerSummary::getLost).count(),
                    clockErrorBoundMs(members),
                    unservedFrom,
                    byRegion.get(r.getRegion()).totals()));
        }
        return rows;
    }

    /** The largest half round trip of the workers' clock probes, in ms; null without a measured one. */
    private static Double clockErrorBoundMs(List<WorkerSummary> workers) {
        long worst = -1;
        for (WorkerSummary w : workers) {
            if (w.getClockRoundTripNanos() >= 0) {
                worst = Math.max(worst, w.getClockRoundTripNanos());
            }
        }
        return worst < 0 ? null : worst / 2e6;
    }

    /**
     * The bound on how far apart two workers of different regions (of any two workers, for a run without regions)
     * started: each converts the start instant with its clock-offset estimate, whose error is at most half its best
     * probe's round trip, so two of them are at most the sum of their halves apart. Null with fewer than two workers.
     */
    static Double startSkewBoundMs(List<WorkerSummary> workers, boolean byRegion) {
        Double bound = null;
        for (int i = 0; i < workers.size(); i++) {
            for (int j = i + 1; j < workers.size(); j++) {
                WorkerSummary a = workers.get(i);
                WorkerSummary b = workers.get(j);
                if (byRegion && a.getRegion().equals(b.getRegion())) {
                    continue;
                }
                double ms = (Math.max(0, a.getClockRoundTripNanos()) + Math.max(0, b.getClockRoundTripNanos())) / 2e6;
                bound = bound == null ? ms : Math.max(bound, ms);
            }
        }
        return bound;
    }

    /** The interval's errors; timeouts of requests never written are the client's, not the target's. */
    static Errors errorsOf(DecodedInterval d) {
        long timeouts = d.count(OutcomeClass.OUTCOME_CLASS_TIMEOUT);
        long unsentTimeouts = Math.min(timeouts, UnsentReasons.of(d.source()).timeouts());
        return new Errors(
                d.count(OutcomeClass.OUTCOME_CLASS_4XX),
                d.count(OutcomeClass.OUTCOME_CLASS_5XX),
                timeouts - unsentTimeouts,
                d.count(OutcomeClass.OUTCOME_CLASS_CONNECT_ERROR),
                unsentTimeouts);
    }

    private static Map<String, Map<String, Long>> headers(List<CapturedHeader> captured) {
        Map<String, Map<String, Long>> result = new LinkedHashMap<>();
        for (CapturedHeader h : captured) {
            Map<String, Long> values = new LinkedHashMap<>();
            h.getValuesList().forEach(v -> values.put(v.getValue(), v.getCount()));
            result.put(h.getName(), values);
        }
        return result;
    }

    /** The JSON report's name for a re-slice cause: "lost", "joined" or "takeover" (schema version 1). */
    static String causeName(ResliceCause cause) {
        return switch (cause) {
            case RESLICE_CAUSE_WORKER_LOST -> "lost";
            case RESLICE_CAUSE_WORKER_JOINED -> "joined";
            case RESLICE_CAUSE_TAKEOVER -> "takeover";
            case RESLICE_CAUSE_UNSPECIFIED, UNRECOGNIZED -> "unknown";
        };
    }

    private static String instant(long unixNanos) {
        return unixNanos == 0 ? null : Instant.ofEpochSecond(0, unixNanos).toString();
    }
}
