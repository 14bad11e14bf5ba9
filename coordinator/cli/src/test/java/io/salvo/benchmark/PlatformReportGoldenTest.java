package io.salvo.benchmark;

import io.salvo.platform.ColdStartPhases;
import io.salvo.platform.ColdStartPhases.Phase;
import io.salvo.platform.InstanceCountSample;
import io.salvo.platform.PlatformEvent;
import io.salvo.platform.PlatformSignals;
import io.salvo.platform.PlatformTimeline;
import io.salvo.platform.PlatformUsage;
import io.salvo.platform.UsageQuantity;
import io.salvo.testkit.Golden;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code <run>-platform.json}, format {@code platform_schema_version} 1: two cold starts of a Deployment, one on a
 * node the cluster autoscaler added (102.3 s) and one on a node that was there (9.4 s), the ready-pod counts, a
 * FailedScheduling warning and the node-hours, written as today's writer does and compared line by line.
 */
class PlatformReportGoldenTest {

    private static final String GOLDEN = "platform-report-v1.json";
    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    private static Instant t(long millis) {
        return T0.plusMillis(millis);
    }

    static PlatformReport report() {
        ColdStartPhases a = new ColdStartPhases(
                "salvo-model-r1-a",
                "salvo-model-r1-a/0f1e",
                "pool-a-1",
                List.of(
                        new Phase("scheduling", t(0), t(250)),
                        new Phase("image pull", t(250), t(3000)),
                        new Phase("container start", t(3000), t(4000)),
                        new Phase("model load + readiness", t(4000), t(9000)),
                        new Phase("first response", t(9000), t(9400))),
                2100L,
                true);
        ColdStartPhases b = new ColdStartPhases(
                "salvo-model-r1-b",
                "salvo-model-r1-b/77aa",
                "pool-a-2",
                List.of(
                        new Phase("scale-up trigger", t(0), t(2000)),
                        new Phase("node provisioning", t(2000), t(40_000)),
                        new Phase("node ready", t(40_000), t(70_000)),
                        new Phase("scheduling", t(70_000), t(71_000)),
                        new Phase("image pull", t(71_000), t(95_000)),
                        new Phase("container start", t(95_000), t(96_000)),
                        new Phase("model load + readiness", t(96_000), t(102_000)),
                        new Phase("first response", t(102_000), t(102_300))),
                2300L,
                true);
        PlatformTimeline timeline = new PlatformTimeline(
                List.of(a, b),
                List.of(new PlatformEvent(
                        t(1000),
                        "Warning",
                        "pod/salvo-model-r1-b",
                        "FailedScheduling",
                        "0/1 nodes are available: 1 Insufficient cpu.")));
        PlatformSignals signals = new PlatformSignals(
                "kubernetes Deployment bench/salvo-model-r1",
                List.of(),
                List.of(
                        new InstanceCountSample(t(0), 2, 0),
                        new InstanceCountSample(t(9000), 1, 1),
                        new InstanceCountSample(t(102_000), 0, 2)),
                null,
                null);
        PlatformUsage usage = new PlatformUsage(
                T0,
                t(200_000),
                null,
                List.of(new UsageQuantity(
                        "kubernetes:node-hours:e2-standard-4", 0.0912, "node-h", "nodes hosting the model's pods")));
        return new PlatformReport(
                "run-r1", "kubernetes Deployment bench/salvo-model-r1", T0, timeline, signals, Optional.of(usage));
    }

    @Test
    void theWriterProducesTheGoldenFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("run-r1-platform.json");
        report().writeJson(file);
        Golden.assertMatches(
                GOLDEN,
                Files.readAllBytes(file),
                (golden, actual) -> Golden.lineDifferences(
                        new String(golden, StandardCharsets.UTF_8), new String(actual, StandardCharsets.UTF_8)));
    }
}
