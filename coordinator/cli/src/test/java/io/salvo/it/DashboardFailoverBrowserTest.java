package io.salvo.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.target.ControllableTarget;
import io.salvo.testkit.Await;
import io.salvo.testkit.Chromium;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.logging.Level;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;

/**
 * The dashboard through a coordinator takeover, in headless Chromium: two coordinator processes of one cluster, a
 * worker process and {@code salvo run} using both; the page is opened on the leader's dashboard, the leader is killed
 * (SIGKILL) mid-run, and the page must carry on from the other coordinator's dashboard to the run's end, every
 * interval once, with the takeover marked.
 */
class DashboardFailoverBrowserTest {

    private static final Pattern DASHBOARD = Pattern.compile("Salvo dashboard on (http://\\S+)/");

    @TempDir
    Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void thePageContinuesOnTheOtherCoordinatorWhenItsOwnDies() throws Exception {
        Chromium.require("the dashboard's browser test");
        ControllableTarget target = ControllableTarget.start(0);
        target.setDelay(Duration.ofMillis(2));
        List<SalvoProcess> processes = new ArrayList<>();
        ChromeDriver browser = null;
        try {
            String tokenFile = dir.resolve("token").toString();
            String clusterName =
                    "dashboard-failover-" + UUID.randomUUID().toString().substring(0, 8);
            int memberPortA = freePort();
            int memberPortB = freePort();
            String members = "127.0.0.1:" + memberPortA + ",127.0.0.1:" + memberPortB;
            SalvoProcess leader = coordinator(processes, "coordinator-a", tokenFile, clusterName, memberPortA, members);
            String portA = leader.awaitLine(Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)"), 60_000);
            String dashboardA = leader.awaitLine(DASHBOARD, 30_000);
            SalvoProcess follower =
                    coordinator(processes, "coordinator-b", tokenFile, clusterName, memberPortB, members);
            String portB = follower.awaitLine(Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)"), 60_000);
            String dashboardB = follower.awaitLine(DASHBOARD, 30_000);
            assertThat(follower.awaitLine(Pattern.compile("Coordinator cluster .* member \\S+ of (\\d+),"), 10_000))
                    .isEqualTo("2");
            String a = "127.0.0.1:" + portA;
            String b = "127.0.0.1:" + portB;
            processes.add(SalvoProcess.start(
                    dir, "worker", "worker", "--coordinator", a + "," + b, "--id", "w0", "--token-file", tokenFile));

            // The browser before the run: it is the slow part to start.
            browser = Chromium.loopbackOnly(dir.resolve("profile"), 1280, 2400);
            Path plan = dir.resolve("plan.yaml");
            Files.writeString(plan, Plans.yaml(target.port(), 50, "20s", 1, ""));
            SalvoProcess run = SalvoProcess.start(
                    dir,
                    "run",
                    "run",
                    plan.toString(),
                    "--coordinator",
                    a + "," + b,
                    "--out",
                    dir.resolve("results").toString(),
                    "--token-file",
                    tokenFile);
            processes.add(run);
            String runId = run.awaitLine(Pattern.compile("Run (\\S+) started"), 120_000);

            ChromeDriver page = browser;
            page.get(dashboardA + "/runs/" + runId);
            Await.until("three intervals on the leader's page", Duration.ofSeconds(60), () -> intervals(page) >= 3);
            assertThat(page.executeScript("return window.salvoDashboard.dashboards"))
                    .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.LIST)
                    .contains(dashboardB);
            leader.process.destroyForcibly(); // SIGKILL: the page's coordinator goes with its dashboard
            assertThat(run.awaitExit(120)).as(run.output()).isZero();

            Await.until(
                    "the run's end on the page",
                    Duration.ofSeconds(60),
                    () -> Boolean.TRUE.equals(
                            page.executeScript("return window.salvoDashboard.ended && window.salvoDashboard.ready")));
            assertThat(page.executeScript("return window.salvoDashboard.base")).isEqualTo(dashboardB);
            assertThat(page.executeScript("return window.salvoDashboard.end.state"))
                    .isEqualTo("completed");
            List<Object> indices = (List<Object>)
                    page.executeScript("return window.salvoDashboard.intervals.map(i => i.interval_index)");
            List<Object> sequences =
                    (List<Object>) page.executeScript("return window.salvoDashboard.intervals.map(i => i.sequence)");
            assertThat(indices).hasSizeGreaterThanOrEqualTo(20);
            for (int i = 0; i < indices.size(); i++) {
                assertThat(((Number) indices.get(i)).longValue())
                        .as("interval %d on the page", i)
                        .isEqualTo(i);
                assertThat(((Number) sequences.get(i)).longValue()).isEqualTo(i);
            }
            Await.until(
                    "the takeover marker",
                    Duration.ofSeconds(30),
                    () -> Boolean.TRUE.equals(page.executeScript(
                            "return window.salvoDashboard.markers.some(m => m.kind === 'takeover')")));

            // Only the dead coordinator's refused connections may appear on the console, no script error.
            List<String> problems = new ArrayList<>();
            for (LogEntry e : page.manage().logs().get(LogType.BROWSER).getAll()) {
                boolean deadCoordinator = e.getMessage().contains("net::ERR_CONNECTION_REFUSED")
                        || e.getMessage().contains("net::ERR_EMPTY_RESPONSE")
                        || e.getMessage().contains("net::ERR_INCOMPLETE_CHUNKED_ENCODING");
                if (e.getLevel().intValue() >= Level.WARNING.intValue() && !deadCoordinator) {
                    problems.add(e.getLevel() + " " + e.getMessage());
                }
            }
            assertThat(problems).as("browser console").isEmpty();
        } finally {
            if (browser != null) {
                browser.quit();
            }
            processes.forEach(SalvoProcess::close);
            target.close();
        }
    }

    private SalvoProcess coordinator(
            List<SalvoProcess> processes,
            String name,
            String tokenFile,
            String clusterName,
            int memberPort,
            String members)
            throws IOException {
        SalvoProcess p = SalvoProcess.start(
                dir,
                name,
                "coordinator",
                "--port",
                "0",
                "--http-port",
                "0",
                "--token-file",
                tokenFile,
                "--cluster-name",
                clusterName,
                "--cluster-port",
                "" + memberPort,
                "--cluster-members",
                members);
        processes.add(p);
        return p;
    }

    private static long intervals(ChromeDriver browser) {
        Object n = browser.executeScript("return window.salvoDashboard ? window.salvoDashboard.intervals.length : 0");
        return ((Number) n).longValue();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
