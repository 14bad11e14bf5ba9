package io.salvo.report.html;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.salvo.report.DetectorReport;
import io.salvo.report.ReportFiles;
import io.salvo.report.RunReport;
import io.salvo.report.RunReport.IntervalRow;
import io.salvo.report.RunReport.PercentilePoint;
import io.salvo.testkit.Golden;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.logging.LogEntry;

/**
 * The HTML report opened in headless Chromium with the network off: every chart is drawn, nothing is loaded from
 * anywhere, the console stays free of errors, and the numbers the page shows are the JSON report's. The inputs are
 * the committed JSON report goldens (a run with cold starts, errors of every class, a lost worker and a takeover;
 * and a run that never reached steady state), read back as {@code salvo report} reads a file.
 */
class HtmlReportBrowserTest {

    private static final Path OUT = Path.of("target", "html-report");
    private static final List<String> RUN_CHARTS =
            List.of("latency", "rate", "errors", "scheduler-lag", "instances", "distribution");

    @TempDir
    static Path profile;

    private static HeadlessChromium chromium;

    @BeforeAll
    static void startBrowser() throws IOException {
        Files.createDirectories(OUT);
        chromium = HeadlessChromium.offline(profile);
    }

    @AfterAll
    static void stopBrowser() {
        if (chromium != null) {
            chromium.close();
        }
    }

    @BeforeEach
    void forgetEarlierConsoleEntries() {
        chromium.consoleEntries();
    }

    @Test
    void theSteadyRunDrawsEveryChartOfflineWithTheJsonReportsFigures() throws Exception {
        RunReport report = golden("report-v1.json");
        Path html = OUT.resolve("report-v1.html");
        HtmlReport.write(report, html);

        chromium.open(html);

        assertRendered();
        assertThat(chromium.script("return performance.getEntriesByType('resource').length"))
                .as("resources the page loaded besides itself")
                .isEqualTo(0L);
        for (String chart : RUN_CHARTS) {
            assertDrawn(chart);
        }
        assertThat(figures(0)).isEqualTo(expectedFigures(report));
        assertThat(report.thresholds())
                .as("the golden carries passing and failing criteria")
                .hasSize(5);
        assertThat(thresholdVerdicts(0)).isEqualTo(expectedVerdicts(report));
        assertThat(chromium.driver
                        .findElement(By.cssSelector("[data-thresholds-verdict]"))
                        .getText())
                .isEqualTo("1 of 5 failed");

        List<IntervalRow> rows = report.intervals();
        assertThat(chartX("latency")).isEqualTo(column(rows, IntervalRow::startOffsetSeconds));
        assertThat(series("latency", 0)).isEqualTo(column(rows, r -> r.latency().p50()));
        assertThat(series("latency", 1)).isEqualTo(column(rows, r -> r.latency().p95()));
        assertThat(series("latency", 2)).isEqualTo(column(rows, r -> r.latency().p99()));
        assertThat(series("latency", 3)).isEqualTo(column(rows, r -> r.latency().max()));
        assertThat(series("rate", 0))
                .isEqualTo(
                        column(rows, r -> r.intended() * 1000.0 / report.run().intervalMillis()));
        assertThat(series("rate", 1)).isEqualTo(column(rows, IntervalRow::achievedRate));
        assertThat(series("rate", 2)).isEqualTo(column(rows, IntervalRow::successRate));
        assertThat(series("errors", 0))
                .isEqualTo(column(rows, r -> (double) r.errors().status4xx()));
        assertThat(series("errors", 1))
                .isEqualTo(column(rows, r -> (double) r.errors().status5xx()));
        assertThat(series("errors", 2))
                .isEqualTo(column(rows, r -> (double) r.errors().timeout()));
        assertThat(series("errors", 3))
                .isEqualTo(column(rows, r -> (double) r.errors().connectError()));
        assertThat(series("errors", 4))
                .isEqualTo(column(rows, r -> (double) r.errors().unsentTimeout()));
        assertThat(series("scheduler-lag", 1))
                .isEqualTo(column(rows, r -> r.schedulerLag().p99()));
        assertThat(series("scheduler-lag", 3))
                .isEqualTo(column(rows, r -> r.connectionWait().p99()));
        assertThat(series("instances", 0))
                .isEqualTo(report.detectors().instancesOverTime().stream()
                        .map(Integer::doubleValue)
                        .toList());
        assertDistribution("distribution", 0, report.totals().latencyDistribution());
        assertDistribution("distribution", 1, report.totals().latencySuccessDistribution());

        assertThat(markers())
                .containsExactly(
                        "cold_start@1.0",
                        "cold_start@2.0",
                        "steady_state@2.0",
                        "reslice@3.5",
                        "reslice@4.2",
                        "takeover@4.2");
        assertThat(report.detectors().steadyState().timeToSteadyStateMillis()).isEqualTo(2_000.0);

        WebElement logToggle = chromium.driver.findElement(By.cssSelector("[data-log-toggle='latency']"));
        logToggle.click();
        assertThat(chromium.script("return window.salvoReport.charts['latency'].log"))
                .isEqualTo(true);
        assertDrawn("latency");
        logToggle.click();
        assertThat(chromium.script("return window.salvoReport.charts['latency'].log"))
                .isEqualTo(false);

        chromium.screenshot(OUT.resolve("report-v1.png"));
        assertNoConsoleErrors();
    }

    @Test
    void aRunThatNeverReachedSteadyStateShowsWhatIsAbsentAsAbsent() throws Exception {
        RunReport report = golden("report-not-steady-v1.json");
        Path html = OUT.resolve("report-not-steady-v1.html");
        HtmlReport.write(report, html);

        chromium.open(html);

        assertRendered();
        for (String chart : RUN_CHARTS) {
            assertDrawn(chart);
        }
        Map<String, Double> figures = figures(0);
        assertThat(figures).isEqualTo(expectedFigures(report));
        assertThat(figures.get("time_to_steady_state_ms")).isNull();
        assertThat(figures.get("warm_p99_ms")).isNull();
        assertThat(figureText("time_to_steady_state_ms")).isEqualTo("not reached");
        assertThat(figureText("warm_p50_ms")).isEqualTo("no steady-state interval");
        assertThat(series("latency", 0).get(0))
                .as("interval 0 completed nothing")
                .isNull();
        assertNoConsoleErrors();
    }

    @Test
    void aReportWrittenBeforeDistributionsAndLagExistedStillOpensAndSaysWhatItLacks() throws Exception {
        ObjectNode tree = (ObjectNode) ReportFiles.json().readTree(Golden.read("report-v1.json"));
        List<String> phases = List.of(
                "connection_wait",
                "connection_waits",
                "time_to_first_byte",
                "connect",
                "tls_handshake",
                "unsent_reasons");
        ((ObjectNode) tree.get("totals")).remove(List.of("latency_distribution", "latency_2xx_distribution"));
        ((ObjectNode) tree.get("totals")).remove(phases);
        ((ObjectNode) tree.at("/totals/errors")).remove("unsent_timeout");
        for (JsonNode interval : tree.get("intervals")) {
            ((ObjectNode) interval).remove("scheduler_lag");
            ((ObjectNode) interval).remove(phases);
            ((ObjectNode) interval.get("errors")).remove("unsent_timeout");
        }
        // A hostile run name must stay text: it cannot close the data block or run as script.
        ((ObjectNode) tree.get("run")).put("name", "</script><script>window.injected = 1</script><!--");
        RunReport report = ReportFiles.json().treeToValue(tree, RunReport.class);
        Path html = OUT.resolve("report-v1-without-additions.html");
        HtmlReport.write(report, html);

        chromium.open(html);

        assertRendered();
        assertThat(chromium.script("return window.injected === undefined")).isEqualTo(true);
        assertThat(chromium.driver.findElement(By.tagName("h1")).getText())
                .isEqualTo("</script><script>window.injected = 1</script><!--");
        assertThat(chromium.script("return window.salvoReport.charts['distribution'].empty"))
                .isEqualTo(true);
        assertThat(chromium.script("return window.salvoReport.charts['scheduler-lag'].empty"))
                .isEqualTo(true);
        assertThat(chromium.driver
                        .findElement(By.cssSelector("[data-chart='distribution'] .empty"))
                        .getText())
                .startsWith("no percentile distribution in this report");
        for (String chart : List.of("latency", "rate", "errors", "instances")) {
            assertDrawn(chart);
        }
        assertThat(figures(0)).isEqualTo(expectedFigures(report));
        assertNoConsoleErrors();
    }

    @Test
    void twoRunsSideBySideDrawTheOverlaidChartsAndEachRunsOwn() throws Exception {
        RunReport steady = golden("report-v1.json");
        RunReport notSteady = golden("report-not-steady-v1.json");
        Path html = OUT.resolve("compare.html");
        HtmlReport.writeComparison(
                "two goldens",
                List.of(
                        new HtmlReport.LabelledRun("steady", steady),
                        new HtmlReport.LabelledRun("not steady", notSteady)),
                html);

        chromium.open(html);

        assertRendered();
        assertThat(chromium.script("return performance.getEntriesByType('resource').length"))
                .isEqualTo(0L);
        for (String chart :
                List.of("compare-distribution", "compare-p99", "compare-p50", "compare-rate", "compare-instances")) {
            assertDrawn(chart);
        }
        assertThat(figures(0)).isEqualTo(expectedFigures(steady));
        assertThat(figures(1)).isEqualTo(expectedFigures(notSteady));
        assertThat(thresholdVerdicts(0)).isEqualTo(expectedVerdicts(steady));
        assertThat(thresholdVerdicts(1)).isEqualTo(expectedVerdicts(notSteady));
        assertDistribution("compare-distribution", 0, steady.totals().latencySuccessDistribution());
        assertDistribution("compare-distribution", 1, notSteady.totals().latencySuccessDistribution());

        for (WebElement summary : chromium.driver.findElements(By.cssSelector("details[data-run-details] > summary"))) {
            summary.click();
        }
        for (int run = 0; run < 2; run++) {
            for (String chart : RUN_CHARTS) {
                assertDrawn("run-" + run + "-" + chart);
            }
        }
        assertThat(series("run-1-latency", 2))
                .isEqualTo(column(notSteady.intervals(), r -> r.latency().p99()));
        chromium.screenshot(OUT.resolve("compare.png"));
        assertNoConsoleErrors();
    }

    /**
     * A run that drove a platform: the breakdown table per run as the report's section has it, each cold start, the
     * FailedScheduling warning with its message, and the platform's ready count per interval beside the instances.
     */
    @Test
    void aPlatformRunShowsWhereTheColdStartTimeWentAndTheReadyPods() throws Exception {
        RunReport report = golden("report-platform-v1.json");
        Path html = OUT.resolve("report-platform-v1.html");
        HtmlReport.write(report, html);

        chromium.open(html);

        assertRendered();
        Object rows = chromium.script("return window.salvoReport.platformPhases");
        List<String> shown = new ArrayList<>();
        for (Object row : (List<?>) rows) {
            Map<?, ?> r = (Map<?, ?>) row;
            shown.add(r.get("phase") + " " + r.get("count") + " " + r.get("median_ms") + " " + r.get("max_ms"));
        }
        assertThat(shown)
                .isEqualTo(report.platform().phaseTable().stream()
                        .map(r -> r.phase() + " " + r.count() + " " + r.medianMs() + " " + r.maxMs())
                        .toList());
        String page = chromium.driver.findElement(By.tagName("body")).getText();
        assertThat(page)
                .contains("Platform: where the cold-start time went")
                .contains("forced cold start: verified")
                .contains("salvo-model-g1-b")
                .contains("0/1 nodes are available: 1 Insufficient cpu.");
        // ready at each interval's end: 0 until 1.6 s, 1 until 4.1 s, then 2 (the samples of the section)
        List<Double> ready = series("instances", 1);
        assertThat(ready).hasSize(report.detectors().instancesOverTime().size());
        for (int i = 0; i < ready.size(); i++) {
            double endMs = (i + 1) * report.run().intervalMillis();
            double expected = endMs < 1_600 ? 0 : endMs < 4_100 ? 1 : 2;
            assertThat(ready.get(i))
                    .as("ready pods at the end of interval %d", i)
                    .isEqualTo(expected);
        }
        assertNoConsoleErrors();
    }

    /**
     * The cost estimate in the headline, the JSON report's figures, in the run's page and in the headline row of a
     * comparison; a run without one says why.
     */
    @Test
    void theHeadlineShowsTheCostEstimateTheJsonReportCarries() throws Exception {
        RunReport priced = golden("report-platform-v1.json");
        RunReport unpriced = golden("report-v1.json");
        assertThat(priced.cost()).isNotNull();
        assertThat(unpriced.cost()).isNull();
        Path html = OUT.resolve("report-cost-v1.html");
        HtmlReport.write(priced, html);

        chromium.open(html);

        assertRendered();
        Map<String, Double> figures = figures(0);
        assertThat(figures).isEqualTo(expectedFigures(priced));
        assertThat(figures.get("cost_total")).isEqualTo(priced.cost().total());
        assertThat(figures.get("cost_per_million_predictions"))
                .isEqualTo(priced.cost().perMillionPredictions());
        // $0.000562850 to three significant digits, as the console's cost tables print money
        assertThat(figureText("cost_total")).startsWith("$0.000563 (estimate; built-in prices of 2026-12-06)");
        assertThat(figureText("cost_per_million_predictions"))
                .isEqualTo("$1.21 (466 predictions counted by salvo 2xx responses)");
        assertThat(chromium.driver.findElement(By.cssSelector(".cost-note")).getText())
                .contains("not included: free tiers");
        assertNoConsoleErrors();

        Path compared = OUT.resolve("compare-cost.html");
        HtmlReport.writeComparison(
                "priced and not",
                List.of(new HtmlReport.LabelledRun("priced", priced), new HtmlReport.LabelledRun("unpriced", unpriced)),
                compared);
        chromium.open(compared);

        assertRendered();
        assertThat(figures(0)).isEqualTo(expectedFigures(priced));
        assertThat(figures(1)).isEqualTo(expectedFigures(unpriced));
        assertThat(chromium.driver
                        .findElement(By.cssSelector("[data-figure='cost_total'][data-run='1']"))
                        .getText())
                .isEqualTo("no estimate: the run drove no platform");
        assertNoConsoleErrors();
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private static RunReport golden(String name) throws IOException {
        return ReportFiles.json().readValue(Golden.read(name), RunReport.class);
    }

    /** Criterion text to the PASS or FAIL the page shows for run {@code run}. */
    private static Map<String, String> thresholdVerdicts(int run) {
        Object rows = chromium.script("return window.salvoReport.runs[arguments[0]].thresholds", run);
        Map<String, String> verdicts = new LinkedHashMap<>();
        for (Object row : (List<?>) rows) {
            Map<?, ?> r = (Map<?, ?>) row;
            verdicts.put((String) r.get("criterion"), (String) r.get("verdict"));
        }
        return verdicts;
    }

    private static Map<String, String> expectedVerdicts(RunReport report) {
        Map<String, String> verdicts = new LinkedHashMap<>();
        for (RunReport.ThresholdRow t : report.thresholds()) {
            verdicts.put(t.criterion(), t.passed() ? "PASS" : "FAIL");
        }
        return verdicts;
    }

    private static void assertRendered() {
        assertThat(chromium.script("return window.salvoReport !== undefined && window.salvoReport.ready === true"))
                .as("the page rendered; console: %s", chromium.consoleEntries())
                .isEqualTo(true);
    }

    private static void assertNoConsoleErrors() {
        List<LogEntry> entries = chromium.consoleEntries();
        assertThat(entries)
                .as("console warnings and errors")
                .filteredOn(e -> e.getLevel().intValue() >= Level.WARNING.intValue())
                .isEmpty();
    }

    /**
     * The chart has a canvas with pixels in the colour of one of its (coloured) series: a line was drawn, not only
     * the axes.
     */
    private static void assertDrawn(String chart) {
        Object seriesPixels = chromium.script("""
                const id = arguments[0];
                const entry = window.salvoReport.charts[id];
                const canvas = document.querySelector('[data-chart="' + id + '"] canvas');
                if (!entry || !entry.drawn || !canvas || canvas.width === 0 || canvas.height === 0) return -1;
                const colours = entry.colors.map(c => [1, 3, 5].map(i => parseInt(c.substr(i, 2), 16)))
                    .filter(rgb => Math.max(...rgb) - Math.min(...rgb) >= 40);
                const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
                let n = 0;
                for (let i = 0; i < d.length; i += 4) {
                  if (d[i + 3] < 200) continue;
                  if (colours.some(c => Math.abs(d[i] - c[0]) + Math.abs(d[i + 1] - c[1]) + Math.abs(d[i + 2] - c[2]) < 24)) n++;
                }
                return n;
                """, chart);
        assertThat(((Number) seriesPixels).longValue())
                .as("pixels of %s's series drawn", chart)
                .isGreaterThan(20);
    }

    /** The headline figures the page shows for one run, by key, from the cells' data-value (null when absent). */
    @SuppressWarnings("unchecked")
    private static Map<String, Double> figures(int run) {
        List<Map<String, Object>> cells = (List<Map<String, Object>>) chromium.script(
                "return Array.from(document.querySelectorAll('[data-figure][data-run=\"' + arguments[0] + '\"]'))"
                        + ".map(c => ({key: c.dataset.figure, value: c.dataset.value}))",
                run);
        Map<String, Double> figures = new LinkedHashMap<>();
        for (Map<String, Object> cell : cells) {
            String value = (String) cell.get("value");
            figures.put((String) cell.get("key"), "null".equals(value) ? null : Double.valueOf(value));
        }
        return figures;
    }

    private static String figureText(String key) {
        return chromium.driver
                .findElement(By.cssSelector("[data-figure='" + key + "']"))
                .getText();
    }

    /** The same figures, read from the JSON report by Java. */
    private static Map<String, Double> expectedFigures(RunReport report) {
        DetectorReport d = report.detectors();
        RunReport.Totals t = report.totals();
        Map<String, Double> expected = new LinkedHashMap<>();
        expected.put("cold_starts", (double) d.coldStarts().size());
        expected.put(
                "first_cold_start_first_response_ms",
                d.coldStarts().isEmpty() ? null : d.coldStarts().get(0).firstResponseLatencyMillis());
        expected.put(
                "time_to_first_success_ms",
                d.timeToFirstSuccess() == null ? null : d.timeToFirstSuccess().millis());
        expected.put("time_to_steady_state_ms", d.steadyState().timeToSteadyStateMillis());
        expected.put("warm_p50_ms", d.warmLatency().p50());
        expected.put("warm_p95_ms", d.warmLatency().p95());
        expected.put("warm_p99_ms", d.warmLatency().p99());
        expected.put("warm_count", (double) d.warmLatency().count());
        expected.put("latency_p50_ms", t.latency().p50());
        expected.put("latency_p99_ms", t.latency().p99());
        expected.put("latency_max_ms", t.latency().max());
        expected.put("requests", (double) t.requests());
        expected.put("successes", (double) t.successes());
        expected.put("errors", (double) t.errors().total());
        expected.put("achieved_rate_per_s", t.achievedRate());
        expected.put("success_rate_per_s", t.successRate());
        expected.put("cost_total", report.cost() == null ? null : report.cost().total());
        expected.put(
                "cost_per_million_predictions",
                report.cost() == null ? null : report.cost().perMillionPredictions());
        return expected;
    }

    private static List<Double> column(List<IntervalRow> rows, Function<IntervalRow, Double> value) {
        List<Double> values = new ArrayList<>();
        rows.forEach(r -> values.add(value.apply(r)));
        return values;
    }

    private static List<Double> chartX(String chart) {
        return numbers(chromium.script("return window.salvoReport.charts[arguments[0]].x", chart));
    }

    private static List<Double> series(String chart, int index) {
        return numbers(
                chromium.script("return window.salvoReport.charts[arguments[0]].series[arguments[1]]", chart, index));
    }

    private static List<Double> numbers(Object list) {
        List<Double> values = new ArrayList<>();
        for (Object o : (List<?>) list) {
            values.add(o == null ? null : ((Number) o).doubleValue());
        }
        return values;
    }

    private static List<String> markers() {
        List<String> markers = new ArrayList<>();
        for (Object o : (List<?>) chromium.script("return window.salvoReport.markers")) {
            Map<?, ?> m = (Map<?, ?>) o;
            markers.add(m.get("kind") + "@" + ((Number) m.get("at_s")).doubleValue());
        }
        return markers;
    }

    /**
     * A distribution drawn on the classic 1/(1-p) axis: each point below 100 % (the maximum has no place on that
     * axis) at x = 1/(1-p), in order, with the JSON report's value.
     */
    private static void assertDistribution(String chart, int index, List<PercentilePoint> points) {
        List<Double> x = chartX(chart);
        List<Double> values = series(chart, index);
        List<PercentilePoint> drawn =
                points.stream().filter(p -> p.percentile() < 100).toList();
        assertThat(drawn).hasSizeGreaterThan(5);
        List<Double> drawnValues = new ArrayList<>();
        List<Double> drawnX = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            if (values.get(i) != null) {
                drawnValues.add(values.get(i));
                drawnX.add(x.get(i));
            }
        }
        assertThat(drawnValues)
                .containsExactlyElementsOf(
                        drawn.stream().map(PercentilePoint::valueMillis).toList());
        for (int i = 0; i < drawn.size(); i++) {
            assertThat(drawnX.get(i)).isCloseTo(1 / (1 - drawn.get(i).percentile() / 100), within(1e-9));
        }
    }
}
