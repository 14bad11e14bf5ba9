package io.salvo.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.proto.v1.ArrivalProcess;
import io.salvo.proto.v1.MergedInterval;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeHistograms;
import io.salvo.proto.v1.Phase;
import io.salvo.proto.v1.RequestTemplate;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.RunState;
import io.salvo.proto.v1.WorkerSummary;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportFilesTest {

    @TempDir
    Path dir;

    /** Ten one-second intervals of ~1 ms responses, a 5xx burst in interval 4 and a stall in interval 7. */
    static RunResult sampleResult() {
        SplittableRandom random = new SplittableRandom(11);
        RunResult.Builder result = RunResult.newBuilder()
                .setRunId("run-test")
                .setState(RunState.RUN_STATE_COMPLETED)
                .setStartUnixNanos(1_800_000_000_000_000_000L)
                .setEndUnixNanos(1_800_000_011_000_000_000L)
                .setPlan(RunPlan.newBuilder()
                        .setName("sample")
                        .setWorkerCount(2)
                        .setIntervalMillis(1000)
                        .setArrival(ArrivalProcess.ARRIVAL_PROCESS_CONSTANT)
                        .setRequest(RequestTemplate.newBuilder()
                                .setUrl("http://127.0.0.1:9/")
                                .setMethod("GET"))
                        .addPhases(Phase.newBuilder()
                                .setDurationMillis(10_000)
                                .setStartRatePerSecond(100)
                                .setEndRatePerSecond(100)));
        for (int i = 0; i < 10; i++) {
            Histogram ok = HistogramSpec.newHistogram();
            Histogram okService = HistogramSpec.newHistogram();
            Histogram errors = HistogramSpec.newHistogram();
            for (int r = 0; r < 100; r++) {
                long service = 900 + random.nextLong(200);
                long latency = i == 7 ? service + (100 - r) * 10_000L : service + random.nextLong(50);
                if (i == 4 && r < 10) {
                    errors.recordValue(latency);
                } else {
                    ok.recordValue(latency);
                    okService.recordValue(service);
                }
            }
            MergedInterval.Builder m = MergedInterval.newBuilder()
                    .setIntervalIndex(i)
                    .setSent(100)
                    .setCompleted(100)
                    .setIntended(100)
                    .addWorkerIds("w0")
                    .addWorkerIds("w1")
                    .addOutcomes(OutcomeHistograms.newBuilder()
                            .setOutcome(OutcomeClass.OUTCOME_CLASS_2XX)
                            .setLatencyMicros(HistogramCodec.encode(ok))
                            .setServiceTimeMicros(HistogramCodec.encode(okService)));
            if (errors.getTotalCount() > 0) {
                m.addOutcomes(OutcomeHistograms.newBuilder()
                        .setOutcome(OutcomeClass.OUTCOME_CLASS_5XX)
                        .setLatencyMicros(HistogramCodec.encode(errors))
                        .setServiceTimeMicros(HistogramCodec.encode(errors)));
            }
            result.addIntervals(m);
        }
        return result.build();
    }

    @Test
    void hlogReadBackByHdrHistogramsReaderGivesTheJsonTotals() throws Exception {
        RunResult result = sampleResult();
        RunReport report = RunReport.from(result);
        Path json = dir.resolve("r.json");
        Path hlog = dir.resolve("r.hlog");
        ReportFiles.writeJson(report, json);
        ReportFiles.writeHlog(result, hlog);

        JsonNode tree = ReportFiles.json().readTree(json.toFile());
        assertThat(tree.get("schema_version").asInt()).isEqualTo(1);
        long jsonRequests = tree.get("totals").get("requests").asLong();
        double jsonP99 = tree.get("totals").get("latency").get("p99_ms").asDouble();
        double jsonServiceP50 =
                tree.get("totals").get("service_time").get("p50_ms").asDouble();
        double jsonMax = tree.get("totals").get("latency").get("max_ms").asDouble();

        Histogram latency = HistogramSpec.newHistogram();
        Histogram service = HistogramSpec.newHistogram();
        int intervals = 0;
        HistogramLogReader reader = new HistogramLogReader(hlog.toFile());
        EncodableHistogram next;
        while ((next = reader.nextIntervalHistogram()) != null) {
            if (ReportFiles.SERVICE_TIME_TAG.equals(next.getTag())) {
                service.add((Histogram) next);
            } else {
                assertThat(next.getTag()).isNull();
                latency.add((Histogram) next);
                intervals++;
            }
        }
        assertThat(intervals).isEqualTo(10);
        assertThat(latency.getTotalCount()).isEqualTo(jsonRequests).isEqualTo(1000);
        assertThat(latency.getValueAtPercentile(99) / 1000.0).isEqualTo(jsonP99);
        assertThat(latency.getMaxValue() / 1000.0).isEqualTo(jsonMax);
        assertThat(service.getValueAtPercentile(50) / 1000.0).isEqualTo(jsonServiceP50);
    }

    @Test
    void reportCountsErrorsByClassAndRatesPerInterval() throws Exception {
        RunReport report = RunReport.from(sampleResult());
        assertThat(report.totals().requests()).isEqualTo(1000);
        assertThat(report.totals().successes()).isEqualTo(990);
        assertThat(report.totals().errors().status5xx()).isEqualTo(10);
        assertThat(report.totals().errors().total()).isEqualTo(10);
        assertThat(report.totals().achievedRate()).isEqualTo(100.0);
        assertThat(report.intervals()).hasSize(10);
        assertThat(report.intervals().get(4).successRate()).isEqualTo(90.0);
        assertThat(report.intervals().get(7).latency().p99()).isGreaterThan(900.0); // the stall shows
        assertThat(report.intervals().get(7).serviceTime().p99()).isLessThan(1.2); // the server did not slow
        assertThat(report.totals().latency().p50()).isBetween(0.9, 1.2);

        RunReport back = ReportFiles.json().readValue(ReportFiles.json().writeValueAsString(report), RunReport.class);
        assertThat(back).isEqualTo(report);
    }

    @Test
    void sendsAfterTheLoadWindowDoNotCountAsAchievedRate() {
        RunResult lagging = sampleResult().toBuilder()
                .addIntervals(MergedInterval.newBuilder()
                        .setIntervalIndex(12)
                        .setSent(300)
                        .setIntended(0))
                .build();
        RunReport report = RunReport.from(lagging);
        assertThat(report.totals().sent()).isEqualTo(1300);
        assertThat(report.totals().achievedRate()).isEqualTo(100.0);
    }

    /**
     * Results name an interval's workers by bit (one per worker, in the run's order) and group a long plan's
     * per-worker series; the JSON report reads both, and results that list ids read as before.
     */
    @Test
    void workerBitsAndGroupedSeriesReachTheJsonReport() throws Exception {
        RunResult.Builder result = sampleResult().toBuilder();
        java.util.BitSet both = new java.util.BitSet();
        both.set(0, 2);
        result.setIntervals(
                0,
                result.getIntervals(0).toBuilder()
                        .clearWorkerIds()
                        .setWorkersReported(2)
                        .setReportedBy(io.salvo.core.result.ReportedBy.encode(both)));
        result.addWorkers(WorkerSummary.newBuilder()
                        .setWorkerId("w0")
                        .putSentByInterval(0, 400)
                        .putSentByInterval(8, 380)
                        .setSentByIntervalWidth(8))
                .addWorkers(WorkerSummary.newBuilder().setWorkerId("w1").putSentByInterval(3, 50));
        Path json = dir.resolve("bits.json");
        ReportFiles.writeJson(RunReport.from(result.build()), json);

        JsonNode tree = ReportFiles.json().readTree(json.toFile());
        assertThat(tree.get("intervals").get(0).get("workers_reported").asInt()).isEqualTo(2);
        assertThat(tree.get("intervals").get(1).get("workers_reported").asInt())
                .as("listed ids")
                .isEqualTo(2);
        JsonNode w0 = tree.get("workers").get(0);
        assertThat(w0.get("sent_by_interval_width").asInt()).isEqualTo(8);
        assertThat(w0.get("sent_by_interval").get("8").asLong()).isEqualTo(380);
        assertThat(tree.get("workers").get(1).has("sent_by_interval_width"))
                .as("one interval per key: not written")
                .isFalse();
        assertThat(ReportFiles.json()
                        .readValue(json.toFile(), RunReport.class)
                        .workers()
                        .get(0)
                        .sentByIntervalWidth())
                .isEqualTo(8);
    }

    @Test
    void consoleReportShowsSeriesAndTotals() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ConsoleReport.print(RunReport.from(sampleResult()), new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertThat(text)
                .contains("Run run-test 'sample': completed")
                .contains("Requests: 1000 intended, 1000 sent, 1000 completed (990 ok)")
                .contains("Errors: 4xx 0, 5xx 10, timeout 0, connect 0")
                .contains("latency (2xx only)")
                .contains("service time");
        assertThat(text.lines().filter(l -> l.matches("\\s+\\d+\\.\\d .*")).count())
                .isEqualTo(10);
    }

    @Test
    void consoleReportShowsADashWhereTheReportHasNull() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        // Interval 10 sent 5 requests and completed none: its latency percentiles are null in the JSON.
        RunResult drained = sampleResult().toBuilder()
                .addIntervals(MergedInterval.newBuilder()
                        .setIntervalIndex(10)
                        .setSent(5)
                        .setIntended(5)
                        .addWorkerIds("w0"))
                .build();
        RunReport report = RunReport.from(drained);
        assertThat(report.intervals().get(10).latency().p50()).isNull();

        ConsoleReport.print(report, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertThat(text)
                .containsPattern("(?m)^\\s+10\\.0\\s+5\\.0\\s+0\\.0\\s+0\\s+0\\s+-\\s+-\\s+-\\s+1$")
                .contains("warm latency: none (no steady-state intervals)");
    }
}
