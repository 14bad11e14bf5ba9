package io.salvo.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.report.DetectorReport;
import io.salvo.report.RunReport;
import io.salvo.testkit.Chromium;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;

/** A report file a real run wrote, opened in {@link Chromium#offline offline} headless Chromium. */
final class OfflineReportPage {

    private static final List<String> RUN_CHARTS =
            List.of("latency", "rate", "errors", "scheduler-lag", "instances", "distribution");

    private OfflineReportPage() {}

    /**
     * The page renders from its own file alone: ready, nothing else loaded, every run chart drawn on a canvas, the
     * headline figures those of the JSON report, no console warning or error. A screenshot is left at
     * {@code screenshot}.
     */
    static void assertRendersOffline(Path html, RunReport report, Path profile, Path screenshot) throws IOException {
        Chromium.require("the HTML report's browser check");
        ChromeDriver browser = Chromium.offline(profile, 1280, 1800);
        try {
            browser.get(html.toAbsolutePath().toUri().toString());
            assertThat(browser.executeScript(
                            "return window.salvoReport !== undefined && window.salvoReport.ready === true"))
                    .as("the page rendered; console: %s", console(browser))
                    .isEqualTo(true);
            assertThat(browser.executeScript("return performance.getEntriesByType('resource').length"))
                    .as("resources the page loaded besides itself")
                    .isEqualTo(0L);
            for (String chart : RUN_CHARTS) {
                assertThat(browser.executeScript("""
                                const entry = window.salvoReport.charts[arguments[0]];
                                const canvas = document.querySelector('[data-chart="' + arguments[0] + '"] canvas');
                                return !!entry && entry.drawn && !entry.empty && !!canvas && canvas.width > 0;
                                """, chart))
                        .as("chart %s drawn", chart)
                        .isEqualTo(true);
            }
            assertThat(figures(browser)).containsAllEntriesOf(expectedFigures(report));
            Files.createDirectories(screenshot.getParent());
            Files.write(screenshot, browser.getScreenshotAs(OutputType.BYTES));
            assertThat(console(browser))
                    .as("console warnings and errors")
                    .filteredOn(e -> e.getLevel().intValue() >= Level.WARNING.intValue())
                    .isEmpty();
        } finally {
            browser.quit();
        }
    }

    private static List<LogEntry> console(ChromeDriver browser) {
        return browser.manage().logs().get(LogType.BROWSER).getAll();
    }

    /** The headline cells of the page's (only) run, by key, from their data-value (null when absent). */
    @SuppressWarnings("unchecked")
    private static Map<String, Double> figures(ChromeDriver browser) {
        List<Map<String, Object>> cells = (List<Map<String, Object>>)
                browser.executeScript("return Array.from(document.querySelectorAll('[data-figure][data-run=\"0\"]'))"
                        + ".map(c => ({key: c.dataset.figure, value: c.dataset.value}))");
        Map<String, Double> figures = new LinkedHashMap<>();
        for (Map<String, Object> cell : cells) {
            String value = (String) cell.get("value");
            figures.put((String) cell.get("key"), "null".equals(value) ? null : Double.valueOf(value));
        }
        return figures;
    }

    /** The figures the headline shows, read from the JSON report by Java (HtmlReportBrowserTest's list). */
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
        return expected;
    }
}
