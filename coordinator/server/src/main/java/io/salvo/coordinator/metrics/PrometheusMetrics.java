package io.salvo.coordinator.metrics;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import io.salvo.core.histogram.HistogramCodec;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeCount;
import io.salvo.proto.v1.RunState;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.logging.Logger;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * The merged live metrics of every run this coordinator sees, in the Prometheus text exposition format 0.0.4, for
 * a {@code /metrics} route to serve. Fed each run's {@link LiveSnapshot}s in sequence ({@link #record}); a snapshot
 * of an interval already recorded is ignored, so a feed replayed from the start (a watcher re-attached, a takeover)
 * counts nothing twice.
 *
 * <p>Every series is labelled by {@code run} and {@code region}: {@code region="all"} is the exact merge over every
 * worker; a run whose plan has regions also has every series but the state for each region alone (from the
 * snapshots' per-region breakdown), labelled with the region's name: its requests, responses, latency, rates and
 * scheduler lag, its workers assigned, connected and lost, the instances that answered its workers, and the cold
 * starts of instances that first answered its workers (a cold start known only from the platform's signals is in
 * {@code region="all"} alone, so the regions' cold starts may sum to less). The state is {@code region="all"} only.
 * Counters are the run so far; gauges are the latest interval's; the latency histogram is the exact sum of
 * every interval's merged HdrHistogram, in the buckets of {@link LatencyBuckets}. A run's series stay after it
 * ends (its state says so, its rates drop to 0) until {@code keepEndedRuns} later runs have ended.
 *
 * <p>Thread-safe: feeds record from their threads while a scrape reads.
 */
public final class PrometheusMetrics {

    private static final Logger LOG = Logger.getLogger(PrometheusMetrics.class.getName());

    /** The region label of the series merged over every region. */
    public static final String ALL_REGIONS = "all";

    private static final double MICROS_PER_SECOND = 1e6;

    /** The outcome classes in their label spelling, every one always present so a series never appears late. */
    private static final Map<OutcomeClass, String> OUTCOMES = outcomes();

    private final int keepEndedRuns;
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.builder()
            .setIncludeCreatedTimestamps(false)
            .build();
    /** Guarded by this; in the order runs were first seen, so the exposition's order is stable. */
    private final Map<String, RunSeries> runs = new LinkedHashMap<>();
    /** Guarded by this: ended runs, oldest first. */
    private final ArrayDeque<String> ended = new ArrayDeque<>();
    /**
     * Guarded by this: runs whose series were dropped, so that a feed replaying one cannot bring it back; the oldest
     * are forgotten past {@link #FORGOTTEN_KEPT} (a replay that old is not expected).
     */
    private final LinkedHashSet<String> dropped = new LinkedHashSet<>();

    private static final int FORGOTTEN_KEPT = 10_000;

    /** Keeps the series of the last 10 ended runs. */
    public PrometheusMetrics() {
        this(10);
    }

    public PrometheusMetrics(int keepEndedRuns) {
        if (keepEndedRuns < 0) {
            throw new IllegalArgumentException("keepEndedRuns must be at least 0: " + keepEndedRuns);
        }
        this.keepEndedRuns = keepEndedRuns;
    }

    /** The Content-Type of {@link #scrape}: {@code text/plain; version=0.0.4; charset=utf-8}. */
    public static String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }

    /**
     * Takes the next snapshot of run {@code runId}. An interval already recorded (by index) is ignored, and so is
     * anything after the run's terminal snapshot.
     */
    public synchronized void record(String runId, LiveSnapshot s) {
        RunSeries run = runs.get(runId);
        if (run == null) {
            if (dropped.contains(runId)) {
                return;
            }
            run = new RunSeries(runId);
            runs.put(runId, run);
        }
        if (run.ended) {
            return;
        }
        if (terminal(s.getState())) {
            run.end(s);
            ended.addLast(runId);
            while (ended.size() > keepEndedRuns) {
                String oldest = ended.removeFirst();
                runs.remove(oldest);
                dropped.add(oldest);
                if (dropped.size() > FORGOTTEN_KEPT) {
                    dropped.remove(dropped.iterator().next());
                }
            }
        } else if (s.getIntervalIndex() > run.lastIndex) {
            run.add(s);
        }
    }

    /** Whether series of {@code runId} are exposed. */
    public synchronized boolean has(String runId) {
        return runs.containsKey(runId);
    }

    /** The exposition of every run's series now. */
    public byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
        try {
            write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
        return out.toByteArray();
    }

    /** Writes the exposition to {@code out} (not closed). */
    public void write(OutputStream out) throws IOException {
        MetricSnapshots snapshots;
        synchronized (this) {
            snapshots = snapshots(List.copyOf(runs.values()));
        }
        writer.write(out, snapshots, EscapingScheme.UNDERSCORE_ESCAPING);
    }

    private static MetricSnapshots snapshots(List<RunSeries> runs) {
        // Each run's merge over every worker, then each of its regions (plan order).
        List<RunSeries> all = new ArrayList<>();
        for (RunSeries r : runs) {
            all.add(r);
            all.addAll(r.regions.values());
        }
        return snapshots(runs, all);
    }

    /** {@code runs}: the run-wide series (region "all"); {@code all}: those and every region's. */
    private static MetricSnapshots snapshots(List<RunSeries> runs, List<RunSeries> all) {
        List<MetricSnapshot> families = new ArrayList<>();
        families.add(counter(all, "salvo_requests_sent", "Requests put on the wire.", r -> r.sent));
        families.add(counter(
                all,
                "salvo_requests_unsent",
                "Requests abandoned unsent after waiting longer than the request timeout for an in-flight slot.",
                r -> r.unsent));
        CounterSnapshot.Builder responses = CounterSnapshot.builder()
                .name("salvo_responses")
                .help("Requests completed, by outcome class (2xx, 4xx (with 1xx and 3xx), 5xx, timeout,"
                        + " connect_error).");
        for (RunSeries r : all) {
            for (Map.Entry<OutcomeClass, String> o : OUTCOMES.entrySet()) {
                responses.dataPoint(CounterDataPointSnapshot.builder()
                        .labels(r.labels().add("outcome", o.getValue()))
                        .value(r.responses.getOrDefault(o.getKey(), 0L))
                        .build());
            }
        }
        families.add(responses.build());
        families.add(
                counter(all, "salvo_errors", "Requests completed in an error class (all but 2xx).", r -> r.errors));
        families.add(counter(
                all,
                "salvo_late_sends",
                "Sends later than the late-send threshold after their intended time.",
                r -> r.lateSends));
        families.add(counter(
                all,
                "salvo_in_flight_cap_hits",
                "Requests that waited for an in-flight slot (maxInFlight reached).",
                r -> r.inFlightCapHits));
        families.add(counter(
                all,
                "salvo_workers_lost",
                "Workers of the run declared lost, as inference-perf's workers_lost.",
                r -> r.workersLost));
        families.add(counter(
                all,
                "salvo_cold_starts",
                "Cold starts detected (first responses of new instances), the run so far.",
                r -> r.coldStarts));

        HistogramSnapshot.Builder latency = HistogramSnapshot.builder()
                .name("salvo_request_latency_seconds")
                .unit(Unit.SECONDS)
                .help("Latency (completion - intended send) of every completed request, all outcomes; buckets"
                        + " from the merged HdrHistograms (docs/metrics.md states the quantile error bound).");
        double[] bounds = withInfinity(LatencyBuckets.upperBoundsSeconds());
        for (RunSeries r : all) {
            latency.dataPoint(HistogramDataPointSnapshot.builder()
                    .labels(r.labels())
                    .classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, r.latencyBuckets.clone()))
                    .sum(r.latencySumSeconds)
                    .build());
        }
        families.add(latency.build());

        families.add(gauge(
                all,
                "salvo_target_requests_per_second",
                "Intended rate of the latest interval, requests per second (0 once the run ended).",
                r -> r.targetRate));
        families.add(gauge(
                all,
                "salvo_achieved_requests_per_second",
                "Requests sent per second in the latest interval (0 once the run ended).",
                r -> r.achievedRate));
        families.add(gauge(
                all,
                "salvo_successful_responses_per_second",
                "2xx responses per second in the latest interval (0 once the run ended).",
                r -> r.successRate));
        families.add(gauge(
                all,
                "salvo_scheduler_lag_p99_seconds",
                "99th percentile of scheduler lag (actual - intended send) in the latest interval.",
                r -> r.schedulerLagP99Seconds));
        families.add(gauge(
                all,
                "salvo_scheduler_lag_max_seconds",
                "Largest scheduler lag in the latest interval.",
                r -> r.schedulerLagMaxSeconds));
        families.add(gauge(
                all,
                "salvo_workers_connected",
                "Workers carrying load with a stream to a coordinator.",
                r -> r.workersConnected));
        families.add(gauge(
                all, "salvo_workers_assigned", "Workers assigned to the latest interval.", r -> r.workersAssigned));
        families.add(gauge(
                all,
                "salvo_responding_instances",
                "Distinct serving instances (Salvo-Instance-Id) that answered in the latest interval.",
                r -> r.respondingInstances));

        GaugeSnapshot.Builder state = GaugeSnapshot.builder()
                .name("salvo_run_state")
                .help("1 for the run's current state, 0 for the others (running, draining, completed, stopped,"
                        + " failed).");
        for (RunSeries r : runs) {
            for (RunState s : STATES) {
                state.dataPoint(GaugeDataPointSnapshot.builder()
                        .labels(r.labels().add("state", stateName(s)))
                        .value(r.state == s ? 1 : 0)
                        .build());
            }
        }
        families.add(state.build());
        return new MetricSnapshots(families);
    }

    private static final List<RunState> STATES = List.of(
            RunState.RUN_STATE_RUNNING,
            RunState.RUN_STATE_DRAINING,
            RunState.RUN_STATE_COMPLETED,
            RunState.RUN_STATE_STOPPED,
            RunState.RUN_STATE_FAILED);

    private static CounterSnapshot counter(
            List<RunSeries> runs, String name, String help, ToDoubleFunction<RunSeries> value) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
        for (RunSeries r : runs) {
            b.dataPoint(CounterDataPointSnapshot.builder()
                    .labels(r.labels())
                    .value(value.applyAsDouble(r))
                    .build());
        }
        return b.build();
    }

    private static GaugeSnapshot gauge(
            List<RunSeries> runs, String name, String help, ToDoubleFunction<RunSeries> value) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
        for (RunSeries r : runs) {
            b.dataPoint(GaugeDataPointSnapshot.builder()
                    .labels(r.labels())
                    .value(value.applyAsDouble(r))
                    .build());
        }
        return b.build();
    }

    private static double[] withInfinity(double[] finite) {
        double[] all = java.util.Arrays.copyOf(finite, finite.length + 1);
        all[finite.length] = Double.POSITIVE_INFINITY;
        return all;
    }

    static String stateName(RunState state) {
        return state.name().replace("RUN_STATE_", "").toLowerCase(Locale.ROOT);
    }

    private static boolean terminal(RunState state) {
        return state == RunState.RUN_STATE_COMPLETED
                || state == RunState.RUN_STATE_STOPPED
                || state == RunState.RUN_STATE_FAILED;
    }

    private static Map<OutcomeClass, String> outcomes() {
        Map<OutcomeClass, String> names = new EnumMap<>(OutcomeClass.class);
        Function<OutcomeClass, String> name =
                o -> o.name().replace("OUTCOME_CLASS_", "").toLowerCase(Locale.ROOT);
        for (OutcomeClass o : List.of(
                OutcomeClass.OUTCOME_CLASS_2XX,
                OutcomeClass.OUTCOME_CLASS_4XX,
                OutcomeClass.OUTCOME_CLASS_5XX,
                OutcomeClass.OUTCOME_CLASS_TIMEOUT,
                OutcomeClass.OUTCOME_CLASS_CONNECT_ERROR)) {
            names.put(o, name.apply(o));
        }
        return names;
    }

    /** One run's series; guarded by the PrometheusMetrics that holds it. */
    private static final class RunSeries {
        final String runId;
        /** {@link #ALL_REGIONS}, or the region this series is of. */
        final String region;
        /** A run's regions' own series, in the order their snapshots name them; empty for a region's series. */
        final Map<String, RunSeries> regions = new LinkedHashMap<>();

        long lastIndex = -1;
        boolean ended;
        RunState state = RunState.RUN_STATE_RUNNING;

        long sent;
        long unsent;
        long errors;
        long lateSends;
        long inFlightCapHits;
        final Map<OutcomeClass, Long> responses = new EnumMap<>(OutcomeClass.class);
        long workersLost;
        long coldStarts;

        /** Per bucket, not cumulative; the last is +Inf. */
        final long[] latencyBuckets = new long[LatencyBuckets.count()];

        double latencySumSeconds;

        double targetRate;
        double achievedRate;
        double successRate;
        double schedulerLagP99Seconds;
        double schedulerLagMaxSeconds;
        double workersConnected;
        double workersAssigned;
        double respondingInstances;

        RunSeries(String runId) {
            this(runId, ALL_REGIONS);
        }

        RunSeries(String runId, String region) {
            this.runId = runId;
            this.region = region;
        }

        Labels labels() {
            return Labels.of("run", runId, "region", region);
        }

        void add(LiveSnapshot s) {
            for (LiveSnapshot r : s.getRegionsList()) {
                regions.computeIfAbsent(r.getRegion(), name -> new RunSeries(runId, name))
                        .add(r.toBuilder().setState(s.getState()).build());
            }
            lastIndex = s.getIntervalIndex();
            state = s.getState();
            sent += s.getSent();
            unsent += s.getUnsent();
            errors += s.getErrors();
            lateSends += s.getLateSends();
            inFlightCapHits += s.getInFlightCapHits();
            for (OutcomeCount c : s.getOutcomeCountsList()) {
                if (OUTCOMES.containsKey(c.getOutcome())) {
                    responses.merge(c.getOutcome(), c.getCount(), Long::sum);
                }
            }
            cumulative(s);
            double intervalSeconds = s.getIntervalMillis() / 1000.0;
            targetRate = s.getTargetRatePerSecond();
            achievedRate = intervalSeconds > 0 ? s.getSent() / intervalSeconds : 0;
            successRate = s.getSuccessRatePerSecond();
            schedulerLagP99Seconds = s.getSchedulerLagP99Micros() / MICROS_PER_SECOND;
            schedulerLagMaxSeconds = s.getSchedulerLagMaxMicros() / MICROS_PER_SECOND;
            workersConnected = s.getWorkersConnected();
            workersAssigned = s.getWorkersAssigned();
            respondingInstances = s.getRespondingInstances();
            if (!s.getLatencyMicros().isEmpty()) {
                try {
                    addLatency(HistogramCodec.decode(s.getLatencyMicros()));
                } catch (HistogramCodec.CorruptHistogramException e) {
                    LOG.warning(() -> "run " + runId + ", interval " + s.getIntervalIndex()
                            + ": unreadable latency histogram left out of /metrics: " + e.getMessage());
                }
            }
        }

        /**
         * Each HdrHistogram bucket goes whole into the Prometheus bucket of its highest equivalent value, the value
         * HdrHistogram reports a percentile as; the sum takes each at its median equivalent value, as HdrHistogram's
         * mean does.
         */
        private void addLatency(Histogram h) {
            for (HistogramIterationValue v : h.recordedValues()) {
                long count = v.getCountAtValueIteratedTo();
                latencyBuckets[LatencyBuckets.bucketOf(v.getValueIteratedTo())] += count;
                latencySumSeconds +=
                        h.medianEquivalentValue(v.getValueIteratedTo()) * (double) count / MICROS_PER_SECOND;
            }
        }

        /** Cumulative counts of the run so far: never lower than already shown (a replay may hold fewer). */
        private void cumulative(LiveSnapshot s) {
            workersLost = Math.max(workersLost, s.getWorkersLost());
            coldStarts = Math.max(coldStarts, s.getColdStarts());
        }

        void end(LiveSnapshot terminal) {
            for (RunSeries region : regions.values()) {
                // the terminal snapshot's entry of the region holds its final counts; none from an older leader
                region.end(terminal.getRegionsList().stream()
                        .filter(r -> r.getRegion().equals(region.region))
                        .findFirst()
                        .orElse(LiveSnapshot.newBuilder()
                                .setState(terminal.getState())
                                .build()));
            }
            ended = true;
            state = terminal.getState();
            cumulative(terminal);
            workersConnected = terminal.getWorkersConnected();
            targetRate = 0;
            achievedRate = 0;
            successRate = 0;
        }
    }
}
