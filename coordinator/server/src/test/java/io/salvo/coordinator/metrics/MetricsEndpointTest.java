package io.salvo.coordinator.metrics;

import static io.salvo.coordinator.server.ScriptedReports.report;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.salvo.coordinator.clock.WallClock;
import io.salvo.coordinator.http.DashboardServer;
import io.salvo.coordinator.http.DashboardSettings;
import io.salvo.coordinator.metrics.PrometheusText.Family;
import io.salvo.coordinator.metrics.PrometheusText.Sample;
import io.salvo.coordinator.run.RunSettings;
import io.salvo.coordinator.server.CoordinatorServer;
import io.salvo.coordinator.server.FakeWorker;
import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.core.security.ClusterToken;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.ProtocolVersion;
import io.salvo.proto.v1.RunControlGrpc;
import io.salvo.proto.v1.StartRunRequest;
import io.salvo.proto.v1.WatchRunRequest;
import io.salvo.proto.v1.WorkerEvent;
import io.salvo.proto.v1.WorkerFinished;
import io.salvo.proto.v1.WorkerMessage;
import io.salvo.testkit.Await;
import io.salvo.testkit.TestPlans;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The coordinator's {@code /metrics} over real loopback HTTP during a run with a scripted worker: what a Prometheus
 * server scrapes passes the strict text-format parser and equals the run's merged live snapshots, and the p99 that
 * PromQL computes from its buckets is within the bound docs/metrics.md states of the exact merged p99.
 */
class MetricsEndpointTest {

    /** The bound docs/metrics.md states for histogram_quantile(0.99, ...) against the exact value. */
    private static final double STATED_BOUND = 0.064;

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private CoordinatorServer coordinator;
    private ManagedChannel channel;
    private DashboardServer dashboard;
    private FakeWorker worker;

    @BeforeEach
    void start() throws Exception {
        String name = InProcessServerBuilder.generateName();
        RunSettings settings = RunSettings.defaults()
                .withStartLead(Duration.ofMillis(300))
                .withGrace(Duration.ofSeconds(30))
                .withHeartbeatTimeout(Duration.ofSeconds(30))
                .withTick(Duration.ofMillis(20));
        coordinator = CoordinatorServer.start(InProcessServerBuilder.forName(name), WallClock.system(), settings, null);
        channel = InProcessChannelBuilder.forName(name).build();
        dashboard = DashboardServer.start(coordinator, DashboardSettings.loopback(0, ClusterToken.generate()));
    }

    @AfterEach
    void stop() throws Exception {
        if (worker != null) {
            worker.close();
        }
        dashboard.close();
        channel.shutdownNow();
        coordinator.close();
    }

    private Map<String, Family> scrape() {
        try {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(dashboard.url() + "/metrics"))
                            .timeout(Duration.ofSeconds(20))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            return PrometheusText.parse(r.body());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static List<Sample> of(Map<String, Family> families, String family, String runId) {
        Family f = families.get(family);
        if (f == null) {
            return List.of();
        }
        return f.samples().stream()
                .filter(s -> runId.equals(s.label("run")) && "all".equals(s.label("region")))
                .toList();
    }

    private static double value(Map<String, Family> families, String family, String runId) {
        List<Sample> samples = of(families, family, runId);
        assertThat(samples).as(family).hasSize(1);
        return samples.get(0).value();
    }

    @Test
    void aScrapeDuringAndAfterTheRunEqualsTheMergedSnapshotsAndItsP99IsWithinTheStatedBound() throws Exception {
        worker = new FakeWorker(channel, "a", ProtocolVersion.PROTOCOL_VERSION_1, 0);
        Await.until("worker a connected", () -> coordinator.registry().get("a") != null);
        String runId = RunControlGrpc.newBlockingStub(channel)
                .withDeadlineAfter(20, TimeUnit.SECONDS)
                .startRun(StartRunRequest.newBuilder()
                        .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1)
                        .setPlan(TestPlans.constantRate(100, 60_000, 1)
                                .setName("metrics-endpoint")
                                .build())
                        .setWorkerWaitMillis(10_000)
                        .build())
                .getRunId();
        worker.awaitAssignment();
        Iterator<LiveSnapshot> watch = RunControlGrpc.newBlockingStub(channel)
                .withDeadlineAfter(60, TimeUnit.SECONDS)
                .watchRun(WatchRunRequest.newBuilder().setRunId(runId).build());

        // Three intervals of log-uniform latencies between 1 ms and 1 s: a spread that crosses many buckets.
        Random random = new Random(42);
        List<LiveSnapshot> snapshots = new ArrayList<>();
        for (int index = 0; index < 3; index++) {
            long[] latencies = new long[400];
            for (int i = 0; i < latencies.length; i++) {
                latencies[i] = (long) Math.pow(10, 3 + 3 * random.nextDouble());
            }
            worker.send(WorkerMessage.newBuilder()
                    .setIntervalReport(report(runId, "a", index, latencies))
                    .build());
            snapshots.add(watch.next());
        }
        long sent = snapshots.stream().mapToLong(LiveSnapshot::getSent).sum();
        assertThat(sent).isEqualTo(1_200);

        // Mid-run: the three intervals are there, the run is running.
        Map<String, Family> during = Await.value("three intervals in /metrics", () -> {
            Map<String, Family> f = scrape();
            List<Sample> s = of(f, "salvo_requests_sent_total", runId);
            return !s.isEmpty() && s.get(0).value() == sent ? f : null;
        });
        assertThat(of(during, "salvo_run_state", runId).stream()
                        .filter(s -> "running".equals(s.label("state")))
                        .map(Sample::value))
                .containsExactly(1.0);

        worker.send(WorkerMessage.newBuilder()
                .setEvent(WorkerEvent.newBuilder()
                        .setRunId(runId)
                        .setFinished(WorkerFinished.newBuilder().setLastIntervalIndex(2)))
                .build());
        while (watch.hasNext()) {
            LiveSnapshot s = watch.next();
            if (s.getIntervalIndex() > 2 || s.getSent() > 0) {
                snapshots.add(s);
            }
        }
        Map<String, Family> after = Await.value("the run ended in /metrics", () -> {
            Map<String, Family> f = scrape();
            return of(f, "salvo_run_state", runId).stream()
                            .anyMatch(s -> "completed".equals(s.label("state")) && s.value() == 1)
                    ? f
                    : null;
        });

        Histogram merged = HistogramSpec.newHistogram();
        long completed = 0;
        long successes = 0;
        for (LiveSnapshot s : snapshots) {
            if (!s.getLatencyMicros().isEmpty()) {
                merged.add(HistogramCodec.decode(s.getLatencyMicros()));
            }
            completed += s.getCompleted();
            successes += s.getSuccesses();
        }
        assertThat(value(after, "salvo_requests_sent_total", runId)).isEqualTo(sent);
        assertThat(merged.getTotalCount()).isEqualTo(completed).isEqualTo(1_200);
        List<Sample> latency = of(after, "salvo_request_latency_seconds", runId);
        List<Sample> buckets =
                latency.stream().filter(s -> s.name().endsWith("_bucket")).toList();
        double count = latency.stream()
                .filter(s -> s.name().endsWith("_count"))
                .findFirst()
                .orElseThrow()
                .value();
        assertThat(count).isEqualTo(merged.getTotalCount());
        assertThat(of(after, "salvo_responses_total", runId).stream()
                        .filter(s -> "2xx".equals(s.label("outcome")))
                        .map(Sample::value))
                .containsExactly((double) successes);

        double exactP99 = merged.getValueAtPercentile(99) / 1e6;
        double promP99 = PrometheusText.histogramQuantile(0.99, buckets);
        assertThat(promP99).isCloseTo(exactP99, within(exactP99 * STATED_BOUND));
    }
}
