package io.salvo.platform;

import java.util.List;

/**
 * A snapshot of what the platform knows about its instances.
 *
 * @param source          names the source and whether it is an emulation, for labels in reports
 * @param instances       every instance of the deployment, in spawn order
 * @param instanceCounts  counts over time, in time order
 */
public record PlatformSignals(String source, List<InstanceRecord> instances, List<InstanceCountSample> instanceCounts) {

    public PlatformSignals {
        instances = List.copyOf(instances);
        instanceCounts = List.copyOf(instanceCounts);
    }

    /** A platform that exposes no instance view (e.g. an existing URL). */
    public static PlatformSignals none(String source) {
        return new PlatformSignals(source, List.of(), List.of());
    }
}
