package io.salvo.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.coordinator.http.DashboardServer;
import io.salvo.coordinator.http.DashboardSettings;
import io.salvo.proto.v1.LiveEvent;
import io.salvo.proto.v1.LiveEventKind;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeCount;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.RunState;
import io.salvo.target.ControllableTarget;
import io.salvo.testkit.Await;
import io.salvo.testkit.Chromium;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;

/**
 * The live dashboard in headless Chromium (Debian's chromium and chromedriver) during a real run: a coordinator and a
 * worker in this JVM firing at a local target. The page's data must be the coordinator's merged snapshots, new
 * intervals must arrive while it is open, a page opened mid-run must show the earlier history, event markers must
 * appear, and the console must stay free of errors. Host names resolve to nothing in this browser, so the page
 * cannot load anything from a CDN. A screenshot is left in target/dashboard/.
 */
class DashboardBrowserTest {

    @Test
    void pageFollowsALiveRunWithTheCoordinatorsNumbers(@TempDir Path profile) throws Exception {
        Chromium.require("the dashboard's browser test");
        try (ControllableTarget target = ControllableTarget.start(0);
                InJvmCluster cluster = new InJvmCluster(1);
                DashboardServer dashboard =
                        DashboardServer.start(cluster.server, DashboardSettings.loopback(0, cluster.token))) {
            target.setDelay(Duration.ofMillis(2));
            // The browser first: it is the slow part to start, and the run must still be under way when it looks.
            ChromeDriver browser = Chromium.loopbackOnly(profile, 1280, 2400);
            try {
                browser.get(dashboard.url() + "/");
                Await.until(
                        "the empty run list",
                        Duration.ofSeconds(30),
                        () -> Boolean.TRUE.equals(browser.executeScript(
                                "return !!(window.salvoDashboard && window.salvoDashboard.ready)")));
                CompletableFuture<RunResult> run = CompletableFuture.supplyAsync(() -> {
                    try {
                        return cluster.run(Plans.parse(Plans.yaml(target.port(), 50, "15s", 1, "")));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                Await.until(
                        "the run in the page's run list",
                        Duration.ofSeconds(60),
                        () -> cluster.runId != null
                                && Boolean.TRUE.equals(browser.executeScript(
                                        "return !!document.querySelector('a[href=\"/runs/' + arguments[0] + '\"]')",
                                        cluster.runId)));
                String page = dashboard.url() + "/runs/" + cluster.runId;
                browser.get(page);
                String first = browser.getWindowHandle();
                int seen = Await.value("the page's first interval", Duration.ofSeconds(30), () -> {
                    long n = intervalsOnPage(browser);
                    return n >= 1 ? (int) n : null;
                });
                Await.until(
                        "a new interval on the open page",
                        Duration.ofSeconds(30),
                        () -> intervalsOnPage(browser) > seen);
                // the client driving the platform reports a pod pending after a FailedScheduling (issue 13)
                var control = io.salvo.proto.v1.RunControlGrpc.newBlockingStub(cluster.channel)
                        .withCallCredentials(new io.salvo.core.security.BearerTokenCredentials(cluster.token));
                control.reportPlatform(io.salvo.proto.v1.ReportPlatformRequest.newBuilder()
                        .setRunId(cluster.runId)
                        .setInstances(io.salvo.proto.v1.PlatformInstances.newBuilder()
                                .setReady(0)
                                .setStarting(1))
                        .addEvents(io.salvo.proto.v1.PlatformEventReport.newBuilder()
                                .setAtUnixNanos(System.currentTimeMillis() * 1_000_000L)
                                .setSeverity("Warning")
                                .setObject("pod/model-1")
                                .setReason("FailedScheduling")
                                .setMessage("0/1 nodes are available: 1 Insufficient cpu."))
                        .build());
                Await.until(
                        "the platform's warning on the open page",
                        Duration.ofSeconds(30),
                        () -> String.valueOf(browser.executeScript("return document.body.innerText"))
                                .contains("0/1 nodes are available: 1 Insufficient cpu."));
                assertThat(String.valueOf(browser.executeScript("return document.getElementById('now').innerText")))
                        .contains("platform: ready / starting")
                        .contains("0 / 1");
                control.reportPlatform(io.salvo.proto.v1.ReportPlatformRequest.newBuilder()
                        .setRunId(cluster.runId)
                        .setInstances(io.salvo.proto.v1.PlatformInstances.newBuilder()
                                .setReady(1)
                                .setStarting(0))
                        .build());

                // A second viewer arriving mid-run sees everything so far at once.
                Await.until("a few intervals shown", Duration.ofSeconds(30), () -> cluster.snapshots.size() >= 3);
                int shownBeforeSecondViewer = cluster.snapshots.size();
                assertThat(run).isNotDone();
                browser.switchTo().newWindow(WindowType.TAB);
                browser.get(page);
                String second = browser.getWindowHandle();
                Await.until(
                        "the history on a page opened mid-run",
                        Duration.ofSeconds(30),
                        () -> intervalsOnPage(browser) >= shownBeforeSecondViewer);
                assertThat(browser.executeScript("return window.salvoDashboard.intervals[0].interval_index"))
                        .isEqualTo(0L);

                RunResult result = run.get(90, TimeUnit.SECONDS);
                assertThat(result.getState()).isEqualTo(RunState.RUN_STATE_COMPLETED);
                List<LiveSnapshot> intervals = cluster.snapshots.stream()
                        .filter(s -> s.getState() == RunState.RUN_STATE_RUNNING
                                || s.getState() == RunState.RUN_STATE_DRAINING)
                        .toList();
                for (String tab : List.of(first, second)) {
                    browser.switchTo().window(tab);
                    Await.until(
                            "the run's end on the page",
                            Duration.ofSeconds(30),
                            () -> Boolean.TRUE.equals(browser.executeScript(
                                    "return window.salvoDashboard.ended && window.salvoDashboard.ready")));
                    assertPageHolds(browser, intervals);
                }
                Path screenshot = Path.of("target", "dashboard", "dashboard.png");
                Files.createDirectories(screenshot.getParent());
                browser.executeScript("window.scrollTo(0, 0)");
                Files.write(screenshot, browser.getScreenshotAs(OutputType.BYTES));

                assertThat(consoleProblems(browser)).as("browser console").isEmpty();
            } finally {
                browser.quit();
            }
        }
    }

    /**
     * The event markers a run of the model-server kind draws, and the errors chart, on a live page: the target names
     * its instance as the model server does, so its first response is a cold start, answers 503 for a moment (the errors
     * chart must hold the coordinator's per-class counts), one of two workers is closed mid-run (a re-slice), and the
     * run is long enough after both for a steady-state window.
     */
    @Test
    @SuppressWarnings("unchecked")
    void pageMarksColdStartReSliceAndSteadyStateAndChartsTheErrorClasses(@TempDir Path profile) throws Exception {
        Chromium.require("the dashboard's browser test");
        // 500 ms of service: a loaded machine's jitter (tens of ms) stays well inside the steady-state rule's 10 %.
        try (InstanceTarget target = InstanceTarget.start(Duration.ofMillis(500));
                InJvmCluster cluster = new InJvmCluster(2);
                DashboardServer dashboard =
                        DashboardServer.start(cluster.server, DashboardSettings.loopback(0, cluster.token))) {
            ChromeDriver browser = Chromium.loopbackOnly(profile, 1280, 2400);
            try {
                CompletableFuture<RunResult> run = CompletableFuture.supplyAsync(() -> {
                    try {
                        return cluster.run(Plans.parse(
                                Plans.yaml(target.port(), 40, "16s", 2, "captureHeaders: [Salvo-Instance-Id]")));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                Await.until("the run started", Duration.ofSeconds(60), () -> cluster.runId != null);
                browser.get(dashboard.url() + "/runs/" + cluster.runId);

                // Early in the run, so that a steady window has room after it: a burst of 503s (counted by what the
                // target answered, not by time), then one worker goes and its share is re-sliced to the other.
                Await.until("a second of load", Duration.ofSeconds(60), () -> target.requestsReceived() >= 40);
                long before = target.requestsReceived();
                target.setStatus(503);
                Await.until("a few 503s", Duration.ofSeconds(30), () -> target.requestsReceived() >= before + 10);
                target.setStatus(200);
                cluster.workers.get(1).close();

                RunResult result = run.get(90, TimeUnit.SECONDS);
                assertThat(result.getState()).isEqualTo(RunState.RUN_STATE_COMPLETED);
                Await.until(
                        "the run's end on the page",
                        Duration.ofSeconds(30),
                        () -> Boolean.TRUE.equals(browser.executeScript(
                                "return window.salvoDashboard.ended && window.salvoDashboard.ready")));
                List<LiveSnapshot> intervals = cluster.snapshots.stream()
                        .filter(s -> s.getState() == RunState.RUN_STATE_RUNNING
                                || s.getState() == RunState.RUN_STATE_DRAINING)
                        .toList();

                // Errors by class: every point is the coordinator's count of that class in that interval.
                List<List<Object>> errors = (List<List<Object>>)
                        browser.executeScript("return window.salvoDashboard.charts['errors'].series");
                assertThat(errors).hasSize(4);
                List<OutcomeClass> classes = List.of(
                        OutcomeClass.OUTCOME_CLASS_4XX,
                        OutcomeClass.OUTCOME_CLASS_5XX,
                        OutcomeClass.OUTCOME_CLASS_TIMEOUT,
                        OutcomeClass.OUTCOME_CLASS_CONNECT_ERROR);
                long fiveHundreds = 0;
                for (int i = 0; i < intervals.size(); i++) {
                    for (int c = 0; c < classes.size(); c++) {
                        OutcomeClass outcome = classes.get(c);
                        long expected = intervals.get(i).getOutcomeCountsList().stream()
                                .filter(o -> o.getOutcome() == outcome)
                                .mapToLong(OutcomeCount::getCount)
                                .sum();
                        assertThat(number(errors.get(c).get(i)))
                                .as("%s in interval %d", outcome, i)
                                .isEqualTo(expected);
                        if (outcome == OutcomeClass.OUTCOME_CLASS_5XX) {
                            fiveHundreds += expected;
                        }
                    }
                }
                assertThat(fiveHundreds).isGreaterThanOrEqualTo(1);

                // The markers: the detectors' cold start and steady state at the coordinator's instants, and the
                // re-slice at the instant the run recorded.
                List<Map<String, Object>> markers = (List<Map<String, Object>>)
                        browser.executeScript("return window.salvoDashboard.charts['latency'].markers");
                List<String> shown = markers.stream()
                        .map(m -> m.get("kind") + "@" + number(m.get("at_s")))
                        .toList();
                for (LiveEventKind kind :
                        List.of(LiveEventKind.LIVE_EVENT_KIND_COLD_START, LiveEventKind.LIVE_EVENT_KIND_STEADY_STATE)) {
                    LiveEvent event = intervals.stream()
                            .flatMap(s -> s.getLiveEventsList().stream())
                            .filter(e -> e.getKind() == kind)
                            .findFirst()
                            .orElseThrow(() -> new AssertionError("no " + kind + " in " + intervals));
                    assertThat(shown)
                            .contains(
                                    kind.name().replace("LIVE_EVENT_KIND_", "").toLowerCase(Locale.ROOT) + "@"
                                            + event.getOffsetMicros() / 1e6);
                }
                assertThat(result.getReslicesList()).hasSize(1);
                var reslice = result.getReslices(0);
                assertThat(reslice.getWorkerId()).isEqualTo("w1");
                // Shown once although both the snapshots' events and the run record carry it.
                assertThat(markers)
                        .filteredOn(m -> "reslice".equals(m.get("kind")))
                        .singleElement()
                        .satisfies(m -> assertThat(number(m.get("at_s")))
                                .isCloseTo(
                                        (reslice.getAtUnixNanos() - result.getStartUnixNanos()) / 1e9,
                                        org.assertj.core.data.Offset.offset(1e-3)));
                for (String kind : List.of("cold_start", "steady_state", "reslice")) {
                    assertThat(browser.executeScript(
                                    "return document.querySelectorAll('#events li[data-kind=\"' + arguments[0]"
                                            + " + '\"]').length",
                                    kind))
                            .as("%s in the event list", kind)
                            .isEqualTo(1L);
                }
                // Every time chart carries the same markers.
                for (String chart : List.of("rate", "errors", "scheduler-lag", "instances")) {
                    assertThat(browser.executeScript(
                                    "return window.salvoDashboard.charts[arguments[0]].markers.length", chart))
                            .isEqualTo((long) markers.size());
                }
                // The run with every kind of marker is the one the user guide's picture shows.
                Path screenshot = Path.of("target", "dashboard", "dashboard-events.png");
                Files.createDirectories(screenshot.getParent());
                browser.executeScript("window.scrollTo(0, 0)");
                Files.write(screenshot, browser.getScreenshotAs(OutputType.BYTES));
                assertThat(consoleProblems(browser)).as("browser console").isEmpty();
            } finally {
                browser.quit();
            }
        }
    }

    private static List<String> consoleProblems(ChromeDriver browser) {
        List<String> problems = new ArrayList<>();
        for (LogEntry e : browser.manage().logs().get(LogType.BROWSER).getAll()) {
            if (e.getLevel().intValue() >= Level.WARNING.intValue()) {
                problems.add(e.getLevel() + " " + e.getMessage());
            }
        }
        return problems;
    }

    private static long intervalsOnPage(ChromeDriver browser) {
        Object n = browser.executeScript("return window.salvoDashboard ? window.salvoDashboard.intervals.length : 0");
        return ((Number) n).longValue();
    }

    @SuppressWarnings("unchecked")
    private static void assertPageHolds(ChromeDriver browser, List<LiveSnapshot> intervals) {
        Map<String, Object> latency =
                (Map<String, Object>) browser.executeScript("return window.salvoDashboard.charts['latency']");
        List<Object> x = (List<Object>) latency.get("x");
        List<List<Object>> series = (List<List<Object>>) latency.get("series");
        assertThat(latency.get("drawn")).isEqualTo(true);
        assertThat(x).hasSize(intervals.size());
        for (int i = 0; i < intervals.size(); i++) {
            LiveSnapshot s = intervals.get(i);
            assertThat(number(x.get(i))).isEqualTo(s.getIntervalIndex() * s.getIntervalMillis() / 1000.0);
            assertThat(number(series.get(0).get(i))).isEqualTo(s.getLatencyP50Micros() / 1000.0);
            assertThat(number(series.get(2).get(i))).isEqualTo(s.getLatencyP99Micros() / 1000.0);
            assertThat(number(series.get(3).get(i))).isEqualTo(s.getLatencyMaxMicros() / 1000.0);
        }
        List<List<Object>> rate =
                (List<List<Object>>) browser.executeScript("return window.salvoDashboard.charts['rate'].series");
        List<List<Object>> instances =
                (List<List<Object>>) browser.executeScript("return window.salvoDashboard.charts['instances'].series");
        List<List<Object>> generator = (List<List<Object>>)
                browser.executeScript("return window.salvoDashboard.charts['scheduler-lag'].series");
        for (int i = 0; i < intervals.size(); i++) {
            LiveSnapshot s = intervals.get(i);
            assertThat(number(rate.get(0).get(i))).isEqualTo(s.getTargetRatePerSecond());
            assertThat(number(rate.get(2).get(i))).isEqualTo(s.getSuccessRatePerSecond());
            assertThat(number(instances.get(0).get(i))).isEqualTo(s.getRespondingInstances());
            // the platform's ready pods beside them, from the snapshots that carry the client's report
            if (s.hasPlatform()) {
                assertThat(number(instances.get(1).get(i)))
                        .isEqualTo(s.getPlatform().getReady());
            } else {
                assertThat(instances.get(1).get(i)).isNull();
            }
            assertThat(number(generator.get(0).get(i))).isEqualTo(s.getSchedulerLagP99Micros() / 1000.0);
            assertThat(number(generator.get(2).get(i))).isEqualTo(s.getConnectionWaitP99Micros() / 1000.0);
            assertThat(number(generator.get(3).get(i))).isEqualTo(s.getConnectionWaitMaxMicros() / 1000.0);
        }

        // Markers: one per detector event the coordinator decided, at its instant.
        List<String> expectedMarkers = new ArrayList<>();
        for (LiveSnapshot s : intervals) {
            for (LiveEvent e : s.getLiveEventsList()) {
                expectedMarkers.add(
                        e.getKind().name().replace("LIVE_EVENT_KIND_", "").toLowerCase(Locale.ROOT) + "@"
                                + e.getOffsetMicros() / 1e6);
            }
        }
        assertThat(expectedMarkers).anyMatch(m -> m.startsWith("first_success@"));
        assertThat(expectedMarkers).anyMatch(m -> m.startsWith("platform@"));
        assertThat(intervals).anyMatch(s -> s.hasPlatform() && s.getPlatform().getReady() == 1);
        List<Map<String, Object>> markers = (List<Map<String, Object>>)
                browser.executeScript("return window.salvoDashboard.charts['latency'].markers");
        assertThat(markers.stream()
                        .map(m -> m.get("kind") + "@" + number(m.get("at_s")))
                        .toList())
                .containsExactlyElementsOf(expectedMarkers);
        assertThat(browser.executeScript("return document.querySelectorAll('#events li').length"))
                .isEqualTo((long) expectedMarkers.size());

        // The distribution of the run so far counts every completed response.
        long completed =
                intervals.stream().mapToLong(LiveSnapshot::getCompleted).sum();
        assertThat(browser.executeScript("return window.salvoDashboard.distribution.count"))
                .isEqualTo(completed);
        assertThat(browser.executeScript("return window.salvoDashboard.charts['distribution'].drawn"))
                .isEqualTo(true);
        assertThat(browser.executeScript("return window.salvoDashboard.workers.map(w => w.worker_id)"))
                .isEqualTo(List.of("w0"));
    }

    private static double number(Object value) {
        return ((Number) value).doubleValue();
    }
}
