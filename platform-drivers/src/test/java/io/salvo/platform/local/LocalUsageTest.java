package io.salvo.platform.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.salvo.platform.InstanceRecord;
import io.salvo.platform.PlatformUsage;
import io.salvo.platform.UsageQuantity;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The local platform's emulated billing, from made-up router records with round numbers. */
class LocalUsageTest {

    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    /** A request forwarded {@code atMs} after T0 that took {@code tookNanos}. */
    private static GroundTruth.Served served(String instance, long atMs, long tookNanos, boolean ok) {
        long start = GroundTruth.epochNanos(T0.plusMillis(atMs));
        return new GroundTruth.Served(instance, start, start + tookNanos, ok);
    }

    private static Map<String, Double> amounts(PlatformUsage usage) {
        return usage.quantities().stream().collect(Collectors.toMap(UsageQuantity::dimension, UsageQuantity::amount));
    }

    @Test
    void lambdaLikeBillsEachRequestRoundedUpToAMillisecondTimesMemory() {
        List<GroundTruth.Served> served = List.of(
                served("local-1", 0, 10_200_000, true), // 10.2 ms -> 11 ms
                served("local-1", 100, 5_000_000, true), // exactly 5 ms
                served("local-2", 200, 1, false), // 1 ns -> 1 ms, not a prediction
                served("local-1", 5_000, 7_000_000, true)); // outside the window
        PlatformUsage usage =
                LocalUsage.compute(LocalProfile.LAMBDA_LIKE, 1, 2048, served, List.of(), T0, T0.plusSeconds(5));
        Map<String, Double> a = amounts(usage);
        assertThat(a.get("local:lambda-like:requests")).isEqualTo(3.0);
        // (11 + 5 + 1) ms x 2 GB
        assertThat(a.get("local:lambda-like:gb-seconds")).isCloseTo(0.017 * 2, within(1e-12));
        assertThat(usage.predictions()).isEqualTo(2);
        assertThat(usage.quantities()).allSatisfy(q -> assertThat(q.basis()).contains("EMULATION"));
    }

    @Test
    void cloudRunLikeBillsBusyTimePerInstanceInHundredMillisecondSteps() {
        List<GroundTruth.Served> served = List.of(
                // local-1 busy 0..150 ms (two overlapping requests) -> 200 ms; then 1000..1010 ms -> 100 ms
                served("local-1", 0, 100_000_000, true),
                served("local-1", 50, 100_000_000, true),
                served("local-1", 1000, 10_000_000, true),
                // local-2 busy 0..100 ms exactly -> 100 ms
                served("local-2", 0, 100_000_000, true));
        PlatformUsage usage =
                LocalUsage.compute(LocalProfile.CLOUD_RUN_LIKE, 2, 512, served, List.of(), T0, T0.plusSeconds(10));
        Map<String, Double> a = amounts(usage);
        assertThat(a.get("local:cloud-run-like:requests")).isEqualTo(4.0);
        assertThat(a.get("local:cloud-run-like:vcpu-seconds")).isCloseTo(0.4 * 2, within(1e-12));
        assertThat(a.get("local:cloud-run-like:gib-seconds")).isCloseTo(0.4 * 0.5, within(1e-12));
    }

    @Test
    void k8sLikeBillsInstanceLifetimesClippedToTheWindow() {
        List<InstanceRecord> instances = List.of(
                // alive before the window and after it: the whole 10 s
                new InstanceRecord("local-1", "a", T0.minusSeconds(30), T0, null, null, null, 100L, null),
                // spawned at 4 s, stopped at 6 s: 2 s
                new InstanceRecord(
                        "local-2", "b", T0.plusSeconds(4), null, T0.plusSeconds(6), null, null, null, "idle"),
                // stopped before the window: nothing
                new InstanceRecord(
                        "local-3", "c", T0.minusSeconds(9), null, T0.minusSeconds(1), null, null, null, "idle"));
        PlatformUsage usage =
                LocalUsage.compute(LocalProfile.K8S_LIKE, 1, 1024, List.of(), instances, T0, T0.plusSeconds(10));
        Map<String, Double> a = amounts(usage);
        assertThat(a.get("local:k8s-like:vcpu-seconds")).isCloseTo(12.0, within(1e-9));
        assertThat(a.get("local:k8s-like:gib-seconds")).isCloseTo(12.0, within(1e-9));
        assertThat(a).doesNotContainKey("local:k8s-like:requests");
    }
}
