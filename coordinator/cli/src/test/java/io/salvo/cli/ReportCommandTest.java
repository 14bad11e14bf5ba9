package io.salvo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.proto.v1.MergedInterval;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeHistograms;
import io.salvo.proto.v1.Phase;
import io.salvo.proto.v1.RequestTemplate;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.RunState;
import io.salvo.report.ReportFiles;
import io.salvo.report.RunReport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code salvo report RUN.json} writes the HTML beside the JSON (or to --out) holding exactly that report; a missing,
 * unparsable or foreign file is one message naming it, exit code 2. {@code salvo compare --html} takes run reports.
 * What the page draws from the report is checked in a browser by HtmlReportBrowserTest (coordinator/analysis).
 */
class ReportCommandTest {

    private static final String DATA_START = "<script type=\"application/json\" id=\"salvo-report-data\">";

    @TempDir
    Path dir;

    private PrintStream originalOut;
    private PrintStream originalErr;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void capture() {
        originalOut = System.out;
        originalErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(originalOut);
        System.setErr(originalErr);
    }

    @Test
    void writesTheHtmlBesideTheJsonHoldingExactlyThatReport() throws Exception {
        RunReport report = RunReport.from(run("run-a", "<b>warm</b> & cold"));
        Path json = dir.resolve("run-a.json");
        ReportFiles.writeJson(report, json);

        assertThat(SalvoCli.execute("report", json.toString())).as(stderr()).isZero();

        Path html = dir.resolve("run-a.html");
        assertThat(stdout()).contains("HTML report: " + html);
        String page = Files.readString(html);
        assertThat(page).doesNotContain("<b>warm</b>").contains("<title>Salvo run &lt;b&gt;warm&lt;/b&gt; &amp; cold");
        JsonNode data = pageData(page);
        assertThat(data.at("/runs").size()).isEqualTo(1);
        assertThat(ReportFiles.json().treeToValue(data.at("/runs/0/report"), RunReport.class))
                .isEqualTo(report);
    }

    @Test
    void writesWhereOutSays() throws Exception {
        Path json = dir.resolve("run-a.json");
        ReportFiles.writeJson(RunReport.from(run("run-a", "a")), json);
        Path html = dir.resolve("elsewhere.html");

        assertThat(SalvoCli.execute("report", json.toString(), "--out", html.toString()))
                .as(stderr())
                .isZero();

        assertThat(html).exists();
        assertThat(dir.resolve("run-a.html")).doesNotExist();
    }

    @Test
    void aMissingFileIsNamed() {
        Path json = dir.resolve("nothing-here.json");

        assertThat(SalvoCli.execute("report", json.toString())).isEqualTo(2);

        assertOneMessage(json + ": no such file");
    }

    @Test
    void aFileThatIsNotJsonIsNamedWithItsLine() throws Exception {
        Path json = dir.resolve("broken.json");
        Files.writeString(json, "{\n  \"schema_version\": 1,\n  \"run\": {oops\n");

        assertThat(SalvoCli.execute("report", json.toString())).isEqualTo(2);

        assertOneMessage(json + ": not valid JSON (line 3, column");
    }

    @Test
    void jsonThatIsNotARunReportOrOfAnotherSchemaIsRefused() throws Exception {
        Path other = dir.resolve("other.json");
        Files.writeString(other, "{\"experiment\": \"warm\"}");
        assertThat(SalvoCli.execute("report", other.toString())).isEqualTo(2);
        assertOneMessage(other + ": not a Salvo JSON run report");

        err.reset();
        Path future = dir.resolve("future.json");
        Files.writeString(future, "{\"schema_version\": 2, \"run\": {}, \"totals\": {}}");
        assertThat(SalvoCli.execute("report", future.toString())).isEqualTo(2);
        assertOneMessage(future + ": schema_version 2, but this salvo reads 1");
    }

    @Test
    void compareHtmlPutsRunReportsSideBySide() throws Exception {
        Path a = dir.resolve("run-a.json");
        Path b = dir.resolve("run-b.json");
        ReportFiles.writeJson(RunReport.from(run("run-a", "same")), a);
        ReportFiles.writeJson(RunReport.from(run("run-b", "same")), b);
        Path html = dir.resolve("compare.html");

        assertThat(SalvoCli.execute("compare", a.toString(), b.toString(), "--html", html.toString()))
                .as(stderr())
                .isZero();

        JsonNode data = pageData(Files.readString(html));
        assertThat(data.at("/runs/0/label").asText()).isEqualTo("same (run-a)");
        assertThat(data.at("/runs/1/label").asText()).isEqualTo("same (run-b)");
        assertThat(data.at("/runs/1/report/run/id").asText()).isEqualTo("run-b");
        assertThat(stdout()).contains("HTML comparison: " + html);

        err.reset();
        Path missing = dir.resolve("gone.json");
        assertThat(SalvoCli.execute("compare", a.toString(), missing.toString(), "--html", html.toString()))
                .isEqualTo(2);
        assertOneMessage(missing + ": no such file");
    }

    private void assertOneMessage(String start) {
        String text = stderr().strip();
        assertThat(text.lines().count()).as("one message line: %s", text).isEqualTo(1);
        assertThat(text)
                .startsWith("salvo: " + start)
                .doesNotContain("Exception")
                .doesNotContain("\tat ");
    }

    private static JsonNode pageData(String page) throws Exception {
        int start = page.indexOf(DATA_START) + DATA_START.length();
        int end = page.indexOf("</script>", start);
        return ReportFiles.json().readTree(page.substring(start, end));
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    /** Two seconds at 20 requests/s, every response a 2xx between 10 and 29 ms. */
    private static RunResult run(String id, String name) {
        RunResult.Builder result = RunResult.newBuilder()
                .setRunId(id)
                .setState(RunState.RUN_STATE_COMPLETED)
                .setPlan(RunPlan.newBuilder()
                        .setName(name)
                        .setRequest(RequestTemplate.newBuilder()
                                .setUrl("http://127.0.0.1:1/")
                                .setMethod("GET"))
                        .addPhases(Phase.newBuilder()
                                .setDurationMillis(2_000)
                                .setStartRatePerSecond(20)
                                .setEndRatePerSecond(20))
                        .setWorkerCount(1)
                        .setIntervalMillis(1_000))
                .setStartUnixNanos(1_800_000_000_000_000_000L);
        for (int i = 0; i < 2; i++) {
            Histogram latency = HistogramSpec.newHistogram();
            for (int k = 0; k < 20; k++) {
                latency.recordValue(10_000 + k * 1_000);
            }
            result.addIntervals(MergedInterval.newBuilder()
                    .setIntervalIndex(i)
                    .setIntended(20)
                    .setSent(20)
                    .setCompleted(20)
                    .addOutcomes(OutcomeHistograms.newBuilder()
                            .setOutcome(OutcomeClass.OUTCOME_CLASS_2XX)
                            .setLatencyMicros(HistogramCodec.encode(latency))
                            .setServiceTimeMicros(HistogramCodec.encode(latency)))
                    .setSchedulerLagMicros(HistogramCodec.encode(HistogramSpec.newHistogram()))
                    .addWorkerIds("w-1"));
        }
        return result.build();
    }
}
