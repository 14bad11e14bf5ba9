package io.salvo.platform.cloudrun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.salvo.platform.InstanceCountSample;
import io.salvo.platform.PlatformUsage;
import io.salvo.platform.UsageQuantity;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Billed quantities from a scripted instance-count series, checked against numbers worked out by hand. */
class UsageEstimatorTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    /**
     * A cold start and a scale-out: 0 instances for the first minute, 1 for two minutes, 3 for one minute, 2 for the
     * last minute, in 60 s samples like Cloud Monitoring's. Instance-seconds: 0 + 120 + 180 + 120 = 420.
     */
    private static final List<InstanceCountSample> SERIES = List.of(
            new InstanceCountSample(T0, 0, 0),
            new InstanceCountSample(T0.plusSeconds(60), 0, 1),
            new InstanceCountSample(T0.plusSeconds(120), 0, 1),
            new InstanceCountSample(T0.plusSeconds(180), 1, 2),
            new InstanceCountSample(T0.plusSeconds(240), 0, 2));

    @Test
    void instanceSecondsIntegrateTheStepFunction() {
        assertThat(UsageEstimator.instanceSeconds(SERIES, T0, T0.plusSeconds(300)))
                .isEqualTo(420.0);
        // a window that starts inside a sample takes the count in force: [90 s, 210 s) = 30×1 + 60×1 + 30×3
        assertThat(UsageEstimator.instanceSeconds(SERIES, T0.plusSeconds(90), T0.plusSeconds(210)))
                .isEqualTo(180.0);
        // the last sample holds until the window's end
        assertThat(UsageEstimator.instanceSeconds(SERIES, T0.plusSeconds(240), T0.plusSeconds(600)))
                .isEqualTo(720.0);
        assertThat(UsageEstimator.instanceSeconds(List.of(), T0, T0.plusSeconds(60)))
                .isZero();
    }

    @Test
    void vcpuAndGibSecondsAreInstanceSecondsTimesTheConfiguredResources() {
        PlatformUsage usage = UsageEstimator.estimate(
                SERIES, "scripted counts", T0, T0.plusSeconds(300), 2, 1.5, true, 5000L, "Cloud Monitoring");
        Map<String, UsageQuantity> byDimension =
                usage.quantities().stream().collect(Collectors.toMap(UsageQuantity::dimension, q -> q));
        assertThat(byDimension.get("cloud-run:vcpu-seconds").amount()).isCloseTo(840.0, within(1e-9));
        assertThat(byDimension.get("cloud-run:vcpu-seconds").unit()).isEqualTo("vCPU-s");
        assertThat(byDimension.get("cloud-run:gib-seconds").amount()).isCloseTo(630.0, within(1e-9));
        assertThat(byDimension.get("cloud-run:gib-seconds").unit()).isEqualTo("GiB-s");
        assertThat(byDimension.get("cloud-run:requests").amount()).isEqualTo(5000.0);
        assertThat(byDimension.get("cloud-run:vcpu-seconds").basis())
                .startsWith("estimate: scripted counts × configured 2 vCPU")
                .contains("instance-based billing");
        assertThat(byDimension.get("cloud-run:requests").basis()).contains("no per-request fee");
        assertThat(usage.from()).isEqualTo(T0);
        assertThat(usage.to()).isEqualTo(T0.plus(Duration.ofMinutes(5)));
        assertThat(usage.predictions()).isNull();
    }

    @Test
    void requestBasedBillingIsLabelledAnUpperBoundAndUnknownRequestsAreLeftOut() {
        PlatformUsage usage = UsageEstimator.estimate(SERIES, "ids", T0, T0.plusSeconds(300), 1, 0.5, false, null, "");
        assertThat(usage.quantities())
                .extracting(UsageQuantity::dimension)
                .containsExactly("cloud-run:vcpu-seconds", "cloud-run:gib-seconds");
        assertThat(usage.quantities())
                .allSatisfy(q ->
                        assertThat(q.basis()).contains("request-based billing").contains("upper bound"));
        assertThat(usage.quantities().get(0).amount()).isEqualTo(420.0);
        assertThat(usage.quantities().get(1).amount()).isEqualTo(210.0);
    }
}
