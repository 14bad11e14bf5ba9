package io.salvo.platform;

import java.time.Instant;
import java.util.List;

/**
 * A snapshot of what the platform knows about its instances.
 *
 * @param source          names the source and whether it is an emulation, for labels in reports
 * @param instances       every instance of the deployment, in spawn order
 * @param instanceCounts  counts over time, in time order
 * @param firstRequestAt  the platform received the first request since deploy or the last forced cold start;
 *                        null if none (or the platform cannot see requests)
 * @param firstSuccessAt  it sent the first 2xx reply since then; with firstRequestAt, the ground truth of the time
 *                        to first successful response
 */
public record PlatformSignals(
        String source,
        List<InstanceRecord> instances,
        List<InstanceCountSample> instanceCounts,
        Instant firstRequestAt,
        Instant firstSuccessAt) {

    public PlatformSignals {
        instances = List.copyOf(instances);
        instanceCounts = List.copyOf(instanceCounts);
    }

    /** A platform that exposes no instance view (e.g. an existing URL). */
    public static PlatformSignals none(String source) {
        return new PlatformSignals(source, List.of(), List.of(), null, null);
    }
}
