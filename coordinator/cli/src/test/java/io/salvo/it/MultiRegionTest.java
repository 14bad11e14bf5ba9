package io.salvo.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.MergedInterval;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeHistograms;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.RunState;
import io.salvo.proto.v1.WorkerSummary;
import io.salvo.report.RunReport;
import io.salvo.target.ControllableTarget;
import io.salvo.testkit.Prerequisite;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, multi-region: two worker groups, us-east1 (two worker processes) and europe-west1 (one), whose traffic
 * to the target passes through a delaying proxy per region (10 ms and 70 ms added, on loopback). Each group resolves
 * the target's name to its own region's proxy (a hosts file per worker JVM), as workers in two regions reach one
 * endpoint over two network paths. The per-region percentiles must show each region's added delay, and the merged
 * percentiles must be those of the exact merge of both regions, in the result, the report and the live snapshots.
 */
class MultiRegionTest {

    private static final Duration US_DELAY = Duration.ofMillis(10);
    private static final Duration EU_DELAY = Duration.ofMillis(70);
    private static final String TARGET_NAME = "salvo-target.test";

    @TempDir
    Path dir;

    @Test
    void perRegionPercentilesShowEachRegionsPathAndTheMergeIsExact() throws Exception {
        Prerequisite.require(
                canBind("127.0.0.2") && canBind("127.0.0.3"),
                "loopback addresses 127.0.0.2 and 127.0.0.3 (Linux routes all of 127/8 to lo)");
        List<AutoCloseable> open = new ArrayList<>();
        try {
            ControllableTarget target = ControllableTarget.start(0);
            open.add(target);
            target.setDelay(Duration.ofMillis(2));
            InetSocketAddress upstream = new InetSocketAddress("127.0.0.1", target.port());
            // One port on two addresses: the plan has one URL, each region's hosts file names its own proxy.
            DelayingProxy us = DelayingProxy.start(new InetSocketAddress("127.0.0.2", 0), upstream, US_DELAY);
            open.add(us);
            DelayingProxy eu = DelayingProxy.start(new InetSocketAddress("127.0.0.3", us.port()), upstream, EU_DELAY);
            open.add(eu);

            InJvmCluster cluster = new InJvmCluster(0);
            open.add(cluster);
            Path token = dir.resolve("cluster-token");
            cluster.token.writeTo(token);
            String coordinator = "127.0.0.1:" + cluster.server.port();
            List<SalvoProcess> workers = List.of(
                    worker("us-1", "us-east1", us, coordinator, token),
                    worker("us-2", "us-east1", us, coordinator, token),
                    worker("eu-1", "europe-west1", eu, coordinator, token));
            open.addAll(workers);

            RunResult result = run(cluster, workers, Plans.parse("""
                    name: multi-region
                    target:
                      url: http://%s:%d/infer
                      method: POST
                      headers:
                        Content-Type: application/json
                    phases:
                      - duration: 8s
                        rate: 24
                    arrival: constant
                    regions: {us-east1: 2, europe-west1: 1}
                    workers: 3
                    interval: 1s
                    timeouts:
                      request: 5s
                      connect: 2s
                    """.formatted(TARGET_NAME, us.port())));

            String story = story(result, workers);
            assertThat(result.getState()).as(story).isEqualTo(RunState.RUN_STATE_COMPLETED);
            assertThat(result.getWorkersList())
                    .extracting(w -> w.getWorkerId() + "@" + w.getRegion())
                    .containsExactlyInAnyOrder("us-1@us-east1", "us-2@us-east1", "eu-1@europe-west1");
            for (WorkerSummary w : result.getWorkersList()) {
                double share =
                        (double) (w.getSlice().getSegmentEnd() - w.getSlice().getSegmentStart())
                                / w.getSlice().getTotalWeight();
                assertThat(share)
                        .as(w.getWorkerId())
                        .isEqualTo(1.0 / 3); // us-east1: 2/3 over two, europe-west1: 1/3 over one
            }

            // Every interval: the run's histogram is exactly the sum of the regions' (HdrHistogram add loses nothing).
            Histogram usAll = HistogramSpec.newHistogram();
            Histogram euAll = HistogramSpec.newHistogram();
            Histogram runAll = HistogramSpec.newHistogram();
            long usSent = 0;
            long euSent = 0;
            for (MergedInterval m : result.getIntervalsList()) {
                assertThat(m.getRegionsList())
                        .extracting(MergedInterval::getRegion)
                        .containsExactly("us-east1", "europe-west1");
                Histogram interval = latency(m);
                Histogram usInterval = latency(m.getRegions(0));
                Histogram euInterval = latency(m.getRegions(1));
                Histogram sum = usInterval.copy();
                sum.add(euInterval);
                assertThat(sum).as("interval %d", m.getIntervalIndex()).isEqualTo(interval);
                assertThat(m.getRegions(0).getSent() + m.getRegions(1).getSent())
                        .isEqualTo(m.getSent());
                usAll.add(usInterval);
                euAll.add(euInterval);
                runAll.add(interval);
                usSent += m.getRegions(0).getSent();
                euSent += m.getRegions(1).getSent();
            }
            // The plan's 2:1: each worker's slice is a third (us-east1's two thirds over two workers), and both regions
            // sent.
            assertThat(usSent).as(story).isGreaterThan(0);
            assertThat(euSent).as(story).isGreaterThan(0);

            // Each region's path. Exact: no request is faster than its region's proxy delay. Then the time to first
            // byte, the target's time as each worker saw it: Europe's is ~60 ms longer. Its lower percentiles are
            // compared, which scheduling noise on a loaded machine (it only adds) disturbs least.
            Histogram usTtfb = histogram(result, 0, MergedInterval::getTimeToFirstByteMicros);
            Histogram euTtfb = histogram(result, 1, MergedInterval::getTimeToFirstByteMicros);
            assertThat(usAll.getTotalCount()).as(story).isGreaterThan(60);
            assertThat(euAll.getTotalCount()).as(story).isGreaterThan(30);
            assertThat(usAll.getMinValue()).isGreaterThanOrEqualTo(US_DELAY.toNanos() / 1000);
            assertThat(euAll.getMinValue()).isGreaterThanOrEqualTo(EU_DELAY.toNanos() / 1000);
            assertThat(usTtfb.getMinValue()).isGreaterThanOrEqualTo(US_DELAY.toNanos() / 1000);
            assertThat(euTtfb.getMinValue()).isGreaterThanOrEqualTo(EU_DELAY.toNanos() / 1000);
            for (double percentile : new double[] {0, 10, 25}) {
                long gap = euTtfb.getValueAtPercentile(percentile) - usTtfb.getValueAtPercentile(percentile);
                assertThat(gap)
                        .as("europe-west1 - us-east1 time to first byte at p%s, µs\n%s", percentile, story)
                        .isBetween(30_000L, 150_000L);
            }
            assertThat(euAll.getValueAtPercentile(50))
                    .as("europe-west1 p50 above us-east1's\n%s", story)
                    .isGreaterThan(usAll.getValueAtPercentile(50));

            // The report: each region's totals are its own histograms' percentiles, the run's those of the merge.
            RunReport report = RunReport.from(result);
            assertThat(report.regions())
                    .extracting(RunReport.RegionRow::region)
                    .containsExactly("us-east1", "europe-west1");
            assertThat(report.regions().get(0).totals().latency()).isEqualTo(percentiles(usAll));
            assertThat(report.regions().get(1).totals().latency()).isEqualTo(percentiles(euAll));
            Histogram merged = usAll.copy();
            merged.add(euAll);
            assertThat(merged).isEqualTo(runAll);
            assertThat(report.totals().latency()).isEqualTo(percentiles(merged));
            assertThat(report.regions().get(0).share()).isEqualTo(2.0 / 3);
            // The start skew bound: us-east1's and europe-west1's worst clock errors added (half round trips).
            double usError = Math.max(
                    summary(result, "us-1").getClockRoundTripNanos(),
                    summary(result, "us-2").getClockRoundTripNanos());
            double euError = summary(result, "eu-1").getClockRoundTripNanos();
            assertThat(report.run().startSkewBoundMillis()).isEqualTo((usError + euError) / 2e6);
            assertThat(report.regions().get(1).clockErrorBoundMs()).isEqualTo(euError / 2e6);
            assertThat(report.totals().errors().total()).as(story).isZero();

            // The live view: every interval's snapshot has both regions, and its histogram is their exact sum.
            List<LiveSnapshot> intervals = cluster.snapshots.stream()
                    .filter(s -> s.getState() == RunState.RUN_STATE_RUNNING && s.getCompleted() > 0)
                    .toList();
            assertThat(intervals).isNotEmpty();
            for (LiveSnapshot s : intervals) {
                assertThat(s.getRegionsList())
                        .extracting(LiveSnapshot::getRegion)
                        .containsExactly("us-east1", "europe-west1");
                Histogram sum = HistogramSpec.newHistogram();
                for (LiveSnapshot r : s.getRegionsList()) {
                    if (!r.getLatencyMicros().isEmpty()) {
                        sum.add(HistogramCodec.decode(r.getLatencyMicros().toByteArray()));
                    }
                }
                assertThat(sum)
                        .isEqualTo(HistogramCodec.decode(s.getLatencyMicros().toByteArray()));
                assertThat(s.getLatencyP99Micros()).isEqualTo(sum.getValueAtPercentile(99));
                assertThat(s.getRegions(0).getWorkersAssigned()).isEqualTo(2);
                assertThat(s.getRegions(1).getWorkersAssigned()).isEqualTo(1);
            }
        } finally {
            for (int i = open.size() - 1; i >= 0; i--) {
                open.get(i).close();
            }
        }
    }

    /** The console report and the workers' logs, for a failure's message. */
    private static String story(RunResult result, List<SalvoProcess> workers) throws IOException {
        java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
        io.salvo.report.ConsoleReport.print(
                RunReport.from(result), new java.io.PrintStream(text, true, java.nio.charset.StandardCharsets.UTF_8));
        StringBuilder story = new StringBuilder(text.toString(java.nio.charset.StandardCharsets.UTF_8));
        for (SalvoProcess w : workers) {
            story.append("\n--- ").append(w.log.getFileName()).append(":\n").append(w.output());
        }
        return story.toString();
    }

    /** Runs the plan; when it cannot, fails with what the workers logged. */
    private static RunResult run(InJvmCluster cluster, List<SalvoProcess> workers, io.salvo.proto.v1.RunPlan plan)
            throws IOException {
        try {
            // Worker JVMs start slowly on a loaded 2-core machine: give them time to connect.
            return cluster.run(plan, Duration.ofSeconds(120));
        } catch (RuntimeException e) {
            StringBuilder logs = new StringBuilder();
            for (SalvoProcess w : workers) {
                logs.append("\n--- ").append(w.log.getFileName()).append(":\n").append(w.output());
            }
            throw new AssertionError(e.getMessage() + logs, e);
        }
    }

    /** A worker process of {@code region} whose JVM resolves the target's name to that region's proxy. */
    private SalvoProcess worker(String id, String region, DelayingProxy proxy, String coordinator, Path token)
            throws IOException {
        Path hosts = dir.resolve("hosts-" + id);
        Files.writeString(hosts, "127.0.0.1 localhost\n" + proxy.address().getHostAddress() + " " + TARGET_NAME + "\n");
        return SalvoProcess.start(
                dir,
                "worker-" + id,
                // The JDK's resolver (not Vert.x's own DNS client), so the hosts file applies to the HTTP engine.
                List.of("-Dvertx.disableDnsResolver=true", "-Djdk.net.hosts.file=" + hosts),
                "worker",
                "--coordinator",
                coordinator,
                "--id",
                id,
                "--region",
                region,
                "--warmup-requests",
                "300",
                "--token-file",
                token.toString());
    }

    private static WorkerSummary summary(RunResult result, String id) {
        return result.getWorkersList().stream()
                .filter(w -> w.getWorkerId().equals(id))
                .findFirst()
                .orElseThrow();
    }

    /** One histogram of one region over every interval. */
    private static Histogram histogram(
            RunResult result,
            int region,
            java.util.function.Function<MergedInterval, com.google.protobuf.ByteString> of)
            throws Exception {
        Histogram h = HistogramSpec.newHistogram();
        for (MergedInterval m : result.getIntervalsList()) {
            com.google.protobuf.ByteString bytes = of.apply(m.getRegions(region));
            if (!bytes.isEmpty()) {
                h.add(HistogramCodec.decode(bytes.toByteArray()));
            }
        }
        return h;
    }

    /** Latency of all outcomes of one merged interval (a region's or the run's). */
    private static Histogram latency(MergedInterval m) throws Exception {
        Histogram h = HistogramSpec.newHistogram();
        for (OutcomeHistograms o : m.getOutcomesList()) {
            if (o.getOutcome() != OutcomeClass.OUTCOME_CLASS_UNSPECIFIED) {
                h.add(HistogramCodec.decode(o.getLatencyMicros().toByteArray()));
            }
        }
        return h;
    }

    /** What the report says of a histogram: count, min, mean, p50 … max in ms. */
    private static RunReport.Percentiles percentiles(Histogram h) {
        return new RunReport.Percentiles(
                h.getTotalCount(),
                h.getMinValue() / 1000.0,
                h.getMean() / 1000.0,
                h.getValueAtPercentile(50) / 1000.0,
                h.getValueAtPercentile(90) / 1000.0,
                h.getValueAtPercentile(95) / 1000.0,
                h.getValueAtPercentile(99) / 1000.0,
                h.getValueAtPercentile(99.9) / 1000.0,
                h.getMaxValue() / 1000.0);
    }

    private static boolean canBind(String address) {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(address))) {
            return s.isBound();
        } catch (IOException e) {
            return false;
        }
    }
}
