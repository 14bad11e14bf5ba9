package io.salvo.platform.cloudrun;

import io.salvo.platform.InstanceCountSample;
import io.salvo.platform.PlatformUsage;
import io.salvo.platform.UsageQuantity;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Cloud Run's billed quantities over a window, estimated from instance counts over time × the configured vCPU and
 * memory. Cloud Run bills vCPU-seconds and GiB-seconds of instance time, plus requests under request-based billing:
 *
 * <ul>
 *   <li><b>Instance-based billing</b> (CPU always allocated): every second an instance exists is billed, so
 *       instance-seconds from the counts are the billed time (an estimate: samples are a minute apart).</li>
 *   <li><b>Request-based billing</b> (CPU only during requests): only the time an instance handles at least one
 *       request (plus start-up and shutdown) is billed, which instance counts cannot see; the figure is an upper
 *       bound, and says so.</li>
 * </ul>
 *
 * <p>A count holds from its sample's instant until the next sample; the last holds until {@code to}. Samples before
 * {@code from} set the count at {@code from}.
 */
public final class UsageEstimator {

    public static final String REQUESTS = "cloud-run:requests";
    public static final String VCPU_SECONDS = "cloud-run:vcpu-seconds";
    public static final String GIB_SECONDS = "cloud-run:gib-seconds";

    private UsageEstimator() {}

    /** Instance-seconds under the step function of {@code samples} within [from, to). */
    public static double instanceSeconds(List<InstanceCountSample> samples, Instant from, Instant to) {
        double total = 0;
        for (int i = 0; i < samples.size(); i++) {
            InstanceCountSample sample = samples.get(i);
            Instant start = sample.at().isBefore(from) ? from : sample.at();
            Instant end = i + 1 < samples.size() ? samples.get(i + 1).at() : to;
            if (end.isAfter(to)) {
                end = to;
            }
            if (end.isAfter(start)) {
                total += sample.total() * (Duration.between(start, end).toNanos() / 1e9);
            }
        }
        return total;
    }

    /**
     * The usage of one window from the platform's own count of billable instance-seconds (Cloud Monitoring's {@code
     * container/billable_instance_time}): what Cloud Run bills under either billing mode, times the configured vCPU
     * and GiB. Still an estimate of the invoice (billing rounds up to 100 ms per instance; free tiers).
     */
    public static PlatformUsage fromBillableTime(
            double billableInstanceSeconds,
            String source,
            Instant from,
            Instant to,
            double vcpu,
            double memoryGib,
            boolean cpuAlwaysAllocated,
            Long requests,
            String requestsBasis) {
        String billing = cpuAlwaysAllocated ? "instance-based billing" : "request-based billing";
        List<UsageQuantity> quantities = new ArrayList<>();
        if (requests != null) {
            quantities.add(new UsageQuantity(
                    REQUESTS,
                    requests,
                    "requests",
                    requestsBasis + (cpuAlwaysAllocated ? " (instance-based billing has no per-request fee)" : "")));
        }
        quantities.add(new UsageQuantity(
                VCPU_SECONDS,
                billableInstanceSeconds * vcpu,
                "vCPU-s",
                source + " × configured " + CloudRunLimits.fmt(vcpu) + " vCPU; " + billing
                        + " (estimate: before rounding and free tier)"));
        quantities.add(new UsageQuantity(
                GIB_SECONDS,
                billableInstanceSeconds * memoryGib,
                "GiB-s",
                source + " × configured " + CloudRunLimits.fmt(memoryGib) + " GiB; " + billing
                        + " (estimate: before rounding and free tier)"));
        return new PlatformUsage(from, to, null, quantities);
    }

    /**
     * The usage of one window.
     *
     * @param countsSource  where the samples come from (Cloud Monitoring, or instance ids seen in responses)
     * @param requests      requests served in the window; null when unknown
     * @param requestsBasis where {@code requests} comes from
     */
    public static PlatformUsage estimate(
            List<InstanceCountSample> samples,
            String countsSource,
            Instant from,
            Instant to,
            double vcpu,
            double memoryGib,
            boolean cpuAlwaysAllocated,
            Long requests,
            String requestsBasis) {
        double seconds = instanceSeconds(samples, from, to);
        String billing = cpuAlwaysAllocated
                ? "instance-based billing (CPU always allocated): every instance-second is billed"
                : "request-based billing (CPU only during requests): an upper bound, Cloud Run bills only the time"
                        + " instances handle requests, plus start-up and shutdown";
        List<UsageQuantity> quantities = new ArrayList<>();
        if (requests != null) {
            quantities.add(new UsageQuantity(
                    REQUESTS,
                    requests,
                    "requests",
                    requestsBasis + (cpuAlwaysAllocated ? " (instance-based billing has no per-request fee)" : "")));
        }
        quantities.add(new UsageQuantity(
                VCPU_SECONDS,
                seconds * vcpu,
                "vCPU-s",
                "estimate: " + countsSource + " × configured " + CloudRunLimits.fmt(vcpu) + " vCPU; " + billing));
        quantities.add(new UsageQuantity(
                GIB_SECONDS,
                seconds * memoryGib,
                "GiB-s",
                "estimate: " + countsSource + " × configured " + CloudRunLimits.fmt(memoryGib) + " GiB; " + billing));
        return new PlatformUsage(from, to, null, quantities);
    }
}
