package io.salvo.cli;

import io.salvo.cli.live.LiveOutput;
import io.salvo.cli.live.PlatformUpdate;
import io.salvo.platform.FirstResponse;
import io.salvo.platform.InstanceCountSample;
import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformEvent;
import io.salvo.platform.PlatformException;
import io.salvo.platform.PlatformTimeline;
import io.salvo.platform.PlatformUsage;
import io.salvo.proto.v1.InstanceFirstResponse;
import io.salvo.proto.v1.MergedInterval;
import io.salvo.proto.v1.RunResult;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A platform driver taking part in a run of {@code salvo run}: the driver is deployed (and forced cold) by whoever
 * attaches it; the run asks it for the explicit scale-up at load start, shows its instance counts and events in the
 * live view after each interval, and writes its cold-start breakdown beside the report. Teardown stays with the caller,
 * except on Ctrl-C, where the CLI halts and tears the deployment down itself.
 */
final class PlatformAttachment {

    private final PlatformDriver driver;
    private final Set<PlatformEvent> shown = new HashSet<>();
    private volatile PlatformTimeline timeline;

    PlatformAttachment(PlatformDriver driver) {
        this.driver = driver;
    }

    PlatformDriver driver() {
        return driver;
    }

    /** Just before the first request: the explicit scale-up, where the driver does one. */
    void loadStarting() throws PlatformException, InterruptedException {
        driver.loadStarting();
    }

    /** After each shown interval: counts at its end and the events not shown yet. */
    void afterInterval(long intervalIndex, LiveOutput live) {
        List<InstanceCountSample> counts = driver.signals().instanceCounts();
        InstanceCountSample last = counts.isEmpty() ? null : counts.get(counts.size() - 1);
        List<PlatformEvent> fresh =
                driver.timeline(List.of()).events().stream().filter(shown::add).toList();
        live.platform(new PlatformUpdate(
                intervalIndex, last == null ? 0 : last.ready(), last == null ? 0 : last.starting(), fresh));
    }

    /** The first response of each instance the workers saw, as instants. */
    static List<FirstResponse> firstResponses(RunResult result) {
        Instant start = Instant.ofEpochSecond(0, result.getStartUnixNanos());
        Map<String, FirstResponse> byId = new LinkedHashMap<>();
        for (MergedInterval interval : result.getIntervalsList()) {
            for (InstanceFirstResponse r : interval.getInstanceFirstResponsesList()) {
                Instant at = start.plusNanos(r.getCompletedOffsetMicros() * 1_000);
                FirstResponse candidate = new FirstResponse(
                        r.getInstanceId(), at, r.hasModelLoadMillis() ? r.getModelLoadMillis() : null);
                byId.merge(r.getInstanceId(), candidate, (a, b) -> a.at().isAfter(b.at()) ? b : a);
            }
        }
        return List.copyOf(byId.values());
    }

    /** Writes {@code <run>-platform.json} beside the report and prints the breakdown table; returns the file. */
    Path writeReport(RunResult result, Path outDir, PrintStream out) throws IOException {
        timeline = driver.timeline(firstResponses(result));
        Instant start = Instant.ofEpochSecond(0, result.getStartUnixNanos());
        Instant end = start.plusMillis(
                (long) result.getIntervalsCount() * result.getPlan().getIntervalMillis());
        Optional<PlatformUsage> usage;
        try {
            usage = driver.usage(start, end);
        } catch (PlatformException e) {
            out.println("Platform usage unavailable: " + e.getMessage());
            usage = Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            usage = Optional.empty();
        }
        PlatformReport report =
                new PlatformReport(result.getRunId(), driver.label(), start, timeline, driver.signals(), usage);
        Path file = outDir.resolve(result.getRunId() + "-platform.json");
        report.writeJson(file);
        report.print(out);
        out.printf("Platform report: %s%n", file);
        return file;
    }

    PlatformTimeline timeline() {
        return timeline;
    }
}
