package io.salvo.platform.local;

import io.salvo.platform.InstanceRecord;
import io.salvo.platform.PlatformUsage;
import io.salvo.platform.UsageQuantity;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a local deployment would be billed for on the platform its profile emulates, from the router's own records:
 * an EMULATION, labelled so in every quantity's basis, priced by the {@code local:<profile>:...} entries of the
 * price table. Each profile copies its model's billing rule:
 *
 * <ul>
 *   <li>{@code lambda-like} (Lambda): requests, and every request's duration at the instance rounded up to 1 ms ×
 *       configured memory (GB-s, GB = 1024 MiB as Lambda counts it);
 *   <li>{@code cloud-run-like} (Cloud Run, request-based billing): requests, and per instance the time it had at
 *       least one request in flight, each busy period rounded up to 100 ms, × configured vCPU and × memory (GiB-s);
 *   <li>{@code k8s-like} (a Deployment): each instance's lifetime × vCPU and × memory, since a replica is paid for
 *       while it exists, busy or not.
 * </ul>
 *
 * A pure function of its inputs, so it is tested with made-up records.
 */
final class LocalUsage {

    private static final long MILLI = 1_000_000L;
    private static final long CLOUD_RUN_GRANULE = 100 * MILLI;

    private LocalUsage() {}

    static PlatformUsage compute(
            LocalProfile profile,
            double cpus,
            int memoryMb,
            List<GroundTruth.Served> served,
            List<InstanceRecord> instances,
            Instant from,
            Instant to) {
        long fromNs = GroundTruth.epochNanos(from);
        long toNs = GroundTruth.epochNanos(to);
        List<GroundTruth.Served> inWindow = served.stream()
                .filter(s -> s.startNanos() >= fromNs && s.startNanos() < toNs)
                .toList();
        long requests = inWindow.size();
        long successes = inWindow.stream().filter(GroundTruth.Served::success).count();
        double gib = memoryMb / 1024.0;
        String prefix = LocalPlatformDriver.NAME + ":" + profile.profileName() + ":";
        String emulation = " (EMULATION of " + profile.emulates() + "'s billing on this machine)";
        List<UsageQuantity> quantities = new ArrayList<>();
        switch (profile) {
            case LAMBDA_LIKE -> {
                long billedNanos = 0;
                for (GroundTruth.Served s : inWindow) {
                    billedNanos += ceil(s.endNanos() - s.startNanos(), MILLI);
                }
                quantities.add(new UsageQuantity(
                        prefix + "requests", requests, "requests", "requests routed to an instance" + emulation));
                quantities.add(new UsageQuantity(
                        prefix + "gb-seconds",
                        billedNanos / 1e9 * gib,
                        "GB-s",
                        "each request's duration at its instance rounded up to 1 ms x " + memoryMb + " MB"
                                + emulation));
            }
            case CLOUD_RUN_LIKE -> {
                double busySeconds = busyNanos(inWindow, toNs) / 1e9;
                quantities.add(new UsageQuantity(
                        prefix + "requests", requests, "requests", "requests routed to an instance" + emulation));
                quantities.add(new UsageQuantity(
                        prefix + "vcpu-seconds",
                        busySeconds * cpus,
                        "vCPU-s",
                        "per instance, time with a request in flight (periods rounded up to 100 ms) x " + cpus + " vCPU"
                                + emulation));
                quantities.add(new UsageQuantity(
                        prefix + "gib-seconds",
                        busySeconds * gib,
                        "GiB-s",
                        "the same busy time x " + memoryMb + " MiB" + emulation));
            }
            case K8S_LIKE -> {
                double lifeSeconds = lifetimeNanos(instances, fromNs, toNs) / 1e9;
                quantities.add(new UsageQuantity(
                        prefix + "vcpu-seconds",
                        lifeSeconds * cpus,
                        "vCPU-s",
                        "instance lifetimes within the window x " + cpus + " vCPU" + emulation));
                quantities.add(new UsageQuantity(
                        prefix + "gib-seconds",
                        lifeSeconds * gib,
                        "GiB-s",
                        "instance lifetimes within the window x " + memoryMb + " MiB" + emulation));
            }
        }
        return new PlatformUsage(from, to, successes, quantities);
    }

    /** Per instance, the union of its requests' intervals (clipped at {@code toNs}), each busy period rounded up. */
    static long busyNanos(List<GroundTruth.Served> served, long toNs) {
        Map<String, List<GroundTruth.Served>> byInstance = new HashMap<>();
        served.forEach(s ->
                byInstance.computeIfAbsent(s.instance(), k -> new ArrayList<>()).add(s));
        long total = 0;
        for (List<GroundTruth.Served> list : byInstance.values()) {
            list.sort(Comparator.comparingLong(GroundTruth.Served::startNanos));
            long start = -1;
            long end = -1;
            for (GroundTruth.Served s : list) {
                long sEnd = Math.min(s.endNanos(), toNs);
                if (start < 0) {
                    start = s.startNanos();
                    end = sEnd;
                } else if (s.startNanos() <= end) {
                    end = Math.max(end, sEnd);
                } else {
                    total += ceil(end - start, CLOUD_RUN_GRANULE);
                    start = s.startNanos();
                    end = sEnd;
                }
            }
            if (start >= 0) {
                total += ceil(end - start, CLOUD_RUN_GRANULE);
            }
        }
        return total;
    }

    /** Sum over instances of spawned..stopped (or still running at {@code toNs}) within [fromNs, toNs). */
    static long lifetimeNanos(List<InstanceRecord> instances, long fromNs, long toNs) {
        long total = 0;
        for (InstanceRecord i : instances) {
            if (i.spawnedAt() == null) {
                continue;
            }
            long start = Math.max(fromNs, GroundTruth.epochNanos(i.spawnedAt()));
            long end = Math.min(toNs, i.stoppedAt() == null ? toNs : GroundTruth.epochNanos(i.stoppedAt()));
            total += Math.max(0, end - start);
        }
        return total;
    }

    private static long ceil(long nanos, long granule) {
        if (nanos <= 0) {
            return 0;
        }
        return (nanos + granule - 1) / granule * granule;
    }
}
