package io.salvo.detect;

import io.salvo.detect.DetectionEvent.ColdStart;
import io.salvo.detect.DetectionEvent.InstancesInInterval;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides cold-start events and instances over time. The instance source is fixed once per run, so one
 * instance is never counted twice under two names: response headers as soon as any response carries an
 * instance id; otherwise, at the first interval with a successful response, the platform's signals if
 * there are any, else none.
 */
final class ColdStartDetector {

    private final DetectorSettings settings;
    private final PlatformInstanceSignals platform;
    private final Set<String> seen = new HashSet<>();
    /** Ids first seen without their seq-1 response (already running when the run started). */
    private final Set<String> warmAtFirstSight = new HashSet<>();

    private final List<ColdStart> coldStarts = new ArrayList<>();
    private final List<InstancesInInterval> timeline = new ArrayList<>();
    private InstanceSource source = InstanceSource.UNDECIDED;

    ColdStartDetector(DetectorSettings settings, PlatformInstanceSignals platform) {
        this.settings = settings;
        this.platform = platform;
    }

    /** Events decided by this interval: cold starts first, then the interval's instance count. */
    List<DetectionEvent> accept(IntervalObservation interval) {
        decideSource(interval);
        List<PlatformInstance> platformInstances = platform == null ? List.of() : platform.instances();
        List<ColdStart> fresh = switch (source) {
            case RESPONSE_HEADERS -> fromHeaders(interval, platformInstances);
            case PLATFORM_SIGNALS -> fromPlatform(interval, platformInstances);
            case NONE, UNDECIDED -> List.of();
        };
        coldStarts.addAll(fresh);
        List<DetectionEvent> events = new ArrayList<>(fresh);

        long intervalEnd = (interval.index() + 1) * settings.intervalMicros();
        Integer running = null;
        Integer ready = null;
        if (platform != null) {
            running = (int) platformInstances.stream()
                    .filter(i -> i.runningAt(intervalEnd))
                    .count();
            ready = (int) platformInstances.stream()
                    .filter(i -> i.readyAt(intervalEnd))
                    .count();
        }
        InstancesInInterval count = new InstancesInInterval(
                interval.index(), interval.responsesByInstance().size(), fresh.size(), running, ready);
        timeline.add(count);
        events.add(count);
        return events;
    }

    private void decideSource(IntervalObservation interval) {
        if (source == InstanceSource.RESPONSE_HEADERS || source == InstanceSource.PLATFORM_SIGNALS) {
            return;
        }
        if (!interval.responsesByInstance().isEmpty()) {
            source = InstanceSource.RESPONSE_HEADERS;
        } else if (source == InstanceSource.UNDECIDED && interval.successes() > 0) {
            source = platform != null ? InstanceSource.PLATFORM_SIGNALS : InstanceSource.NONE;
        }
    }

    private List<ColdStart> fromHeaders(IntervalObservation interval, List<PlatformInstance> platformInstances) {
        Map<String, InstanceFirstResponse> firstResponses = new HashMap<>();
        for (InstanceFirstResponse r : interval.precise().firstResponses()) {
            firstResponses.putIfAbsent(r.instanceId(), r);
        }
        Map<String, PlatformInstance> platformById = new HashMap<>();
        platformInstances.forEach(i -> platformById.put(i.instanceId(), i));
        List<ColdStart> fresh = new ArrayList<>();
        // With the workers' marks, a new id whose first request (seq 1) was not among the responses is an
        // instance that was already serving before the run (a warm run): not a cold start of this run,
        // unless its seq-1 response only completes in a later interval.
        boolean marksReported = interval.precise().fromMarkingWorkers();
        for (InstanceFirstResponse r : firstResponses.values().stream()
                .sorted(Comparator.comparing(InstanceFirstResponse::instanceId))
                .toList()) {
            if (warmAtFirstSight.remove(r.instanceId())) {
                fresh.add(coldStart(
                        r.instanceId(),
                        interval,
                        r,
                        platformById,
                        interval.responsesByInstance().getOrDefault(r.instanceId(), 0L)));
            }
        }
        // sorted by id, so events of one interval come in a reproducible order
        interval.responsesByInstance().entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> {
                    if (!seen.add(e.getKey())) {
                        return;
                    }
                    InstanceFirstResponse first = firstResponses.get(e.getKey());
                    if (marksReported && first == null) {
                        warmAtFirstSight.add(e.getKey());
                        return;
                    }
                    fresh.add(coldStart(e.getKey(), interval, first, platformById, e.getValue()));
                });
        return fresh;
    }

    private ColdStart coldStart(
            String instanceId,
            IntervalObservation interval,
            InstanceFirstResponse first,
            Map<String, PlatformInstance> platformById,
            long responsesInInterval) {
        Long modelLoad = first != null ? first.modelLoadMillis() : null;
        if (modelLoad == null && platformById.containsKey(instanceId)) {
            modelLoad = platformById.get(instanceId).modelLoadMillis();
        }
        return new ColdStart(
                instanceId,
                interval.index(),
                InstanceSource.RESPONSE_HEADERS,
                "response header " + settings.instanceHeader(),
                first == null ? null : first.latencyMicros(),
                modelLoad,
                responsesInInterval,
                interval.index());
    }

    private List<ColdStart> fromPlatform(IntervalObservation interval, List<PlatformInstance> platformInstances) {
        long intervalEnd = (interval.index() + 1) * settings.intervalMicros();
        List<ColdStart> fresh = new ArrayList<>();
        platformInstances.stream()
                .filter(i -> i.readyOffsetMicros() != null && i.readyOffsetMicros() < intervalEnd)
                .sorted(Comparator.comparingLong(PlatformInstance::readyOffsetMicros)
                        .thenComparing(PlatformInstance::instanceId))
                .forEach(i -> {
                    if (seen.add(i.instanceId())) {
                        long readyInterval = Math.max(0, i.readyOffsetMicros()) / settings.intervalMicros();
                        fresh.add(new ColdStart(
                                i.instanceId(),
                                readyInterval,
                                InstanceSource.PLATFORM_SIGNALS,
                                platform.sourceLabel(),
                                null,
                                i.modelLoadMillis(),
                                0,
                                interval.index()));
                    }
                });
        return fresh;
    }

    /** True if a cold start was attributed to this interval. */
    boolean hadColdStart(long intervalIndex) {
        return coldStarts.stream().anyMatch(c -> c.intervalIndex() == intervalIndex);
    }

    InstanceSource source() {
        return source;
    }

    String sourceLabel() {
        return switch (source) {
            case RESPONSE_HEADERS -> "response header " + settings.instanceHeader();
            case PLATFORM_SIGNALS -> platform.sourceLabel();
            case NONE ->
                "none: responses carry no " + settings.instanceHeader() + " and no platform signals were given";
            case UNDECIDED -> "undecided: no successful response yet";
        };
    }

    List<ColdStart> coldStarts() {
        return List.copyOf(coldStarts);
    }

    List<InstancesInInterval> timeline() {
        return List.copyOf(timeline);
    }
}
