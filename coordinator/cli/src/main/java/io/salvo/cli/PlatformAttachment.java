package io.salvo.cli;

import io.salvo.benchmark.PlatformLiveFeed;
import io.salvo.benchmark.PlatformReport;
import io.salvo.benchmark.PlatformResponses;
import io.salvo.cli.live.LiveOutput;
import io.salvo.cli.live.PlatformUpdate;
import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformException;
import io.salvo.proto.v1.RunControlGrpc.RunControlBlockingStub;
import io.salvo.proto.v1.RunResult;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * A platform driver taking part in a run of {@code salvo run}: the driver is deployed (and forced cold) by whoever
 * attaches it; the run asks it for the explicit scale-up at load start, reports its instance counts and events to the
 * coordinator after each interval (so the live feed carries them to every watcher: {@link PlatformLiveFeed}), and puts
 * its cold-start breakdown into the report and beside it. Teardown stays with the caller, except on Ctrl-C, where the
 * CLI halts and tears the deployment down itself when asked to.
 */
final class PlatformAttachment {

    private final PlatformDriver driver;
    private final boolean teardownOnInterrupt;
    private final PlatformLiveFeed feed;
    private volatile PlatformReport report;

    PlatformAttachment(PlatformDriver driver, boolean teardownOnInterrupt) {
        this.driver = driver;
        this.teardownOnInterrupt = teardownOnInterrupt;
        this.feed = new PlatformLiveFeed(driver);
    }

    PlatformDriver driver() {
        return driver;
    }

    boolean teardownOnInterrupt() {
        return teardownOnInterrupt;
    }

    /** Just before the first request: the explicit scale-up, where the driver does one; then the first report. */
    void loadStarting(RunControlBlockingStub control, String runId) throws PlatformException, InterruptedException {
        driver.loadStarting();
        feed.push(control, runId);
    }

    /**
     * After each shown interval: the driver's counts and new events to the coordinator, which shows them in its next
     * snapshot. A coordinator that cannot take them (an older one) leaves the showing to this CLI, as before.
     */
    void afterInterval(long intervalIndex, RunControlBlockingStub control, String runId, LiveOutput live) {
        if (feed.push(control, runId) == null && feed.unsupported()) {
            PlatformLiveFeed.Update local = feed.next();
            live.platform(new PlatformUpdate(intervalIndex, local.ready(), local.starting(), local.events()));
        }
    }

    /**
     * Once the run has ended: tells the driver what the responses showed, then writes {@code <run>-platform.json}
     * beside the report and prints the breakdown; returns the platform's report (its {@link PlatformReport#section()}
     * goes into the JSON report).
     */
    PlatformReport finish(RunResult result, PrintStream out) {
        PlatformResponses.observe(driver, result);
        return PlatformReport.of(driver, result, out);
    }

    /** Writes the platform's report beside the run's ({@code <run>-platform.json}) and prints it; returns the file. */
    Path write(PlatformReport built, String runId, Path outDir, PrintStream out) throws IOException {
        report = built;
        Path file = outDir.resolve(runId + "-platform.json");
        built.writeJson(file);
        built.print(out);
        out.printf("Platform report: %s%n", file);
        return file;
    }

    PlatformReport report() {
        return report;
    }
}
