package io.salvo.benchmark;

import io.salvo.platform.FirstResponse;
import io.salvo.platform.PlatformDriver;
import io.salvo.proto.v1.CapturedHeader;
import io.salvo.proto.v1.HeaderValueCount;
import io.salvo.proto.v1.InstanceFirstResponse;
import io.salvo.proto.v1.MergedInterval;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.WorkerSummary;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a run's responses tell a platform driver about its instances, read from the run's merged result: the first
 * response of each instance (the last boundary of its cold start) and the responses per instance id per interval.
 */
public final class PlatformResponses {

    /** The header the model server names its instance in; the workers capture it for the report and the platform. */
    public static final String INSTANCE_ID_HEADER = "Salvo-Instance-Id";

    private PlatformResponses() {}

    /** The run's interval-0 instant. */
    static Instant runStart(RunResult result) {
        return Instant.ofEpochSecond(0, result.getStartUnixNanos());
    }

    /**
     * How far the workers' clocks may be from the coordinator's: the largest of their offset estimates' error bounds
     * (half the round trip of the probe each estimate came from). Workers send at intended instants on their own
     * clocks, so the first request, intended at the run's very start, reaches the platform up to this much before
     * the start as the coordinator's clock has it; a usage window cut exactly at the start can miss it.
     */
    static Duration clockErrorBound(RunResult result) {
        long roundTrip = result.getWorkersList().stream()
                .mapToLong(WorkerSummary::getClockRoundTripNanos)
                .max()
                .orElse(0);
        return Duration.ofNanos(Math.max(0, roundTrip) / 2);
    }

    /** The first response of each instance the workers saw, as instants, in the order the instances first answered. */
    public static List<FirstResponse> firstResponses(RunResult result) {
        Instant start = runStart(result);
        Map<String, FirstResponse> byId = new LinkedHashMap<>();
        for (MergedInterval interval : result.getIntervalsList()) {
            for (InstanceFirstResponse r : interval.getInstanceFirstResponsesList()) {
                Instant at = start.plusNanos(r.getCompletedOffsetMicros() * 1_000);
                FirstResponse candidate = new FirstResponse(
                        r.getInstanceId(), at, r.hasModelLoadMillis() ? r.getModelLoadMillis() : null);
                byId.merge(r.getInstanceId(), candidate, (a, b) -> a.at().isAfter(b.at()) ? b : a);
            }
        }
        List<FirstResponse> ordered = new ArrayList<>(byId.values());
        ordered.sort(Comparator.comparing(FirstResponse::at));
        return ordered;
    }

    /**
     * Tells {@code driver} what the run's responses showed ({@link PlatformDriver#observeResponses}), in time order:
     * each instance's first response at its exact completion instant, then the rest of each interval's responses per
     * instance id (the captured {@value #INSTANCE_ID_HEADER} counts) at the interval's end. So a driver judging a
     * forced cold start by the first instance id after it ({@link PlatformDriver#coldStartVerdict}) sees the instance
     * that really answered first. {@code Salvo-Instance-Started-At} is not paired with the id by the workers, so the
     * start instant is passed as unknown (null).
     */
    public static void observe(PlatformDriver driver, RunResult result) {
        record Observation(Instant at, String instanceId, long responses) {}
        Instant start = runStart(result);
        long intervalMillis = result.getPlan().getIntervalMillis();
        List<Observation> observations = new ArrayList<>();
        Map<String, Long> firstInInterval = new HashMap<>();
        for (FirstResponse first : firstResponses(result)) {
            observations.add(new Observation(first.at(), first.instanceId(), 1));
        }
        // the interval whose captured counts include each first response (the earliest one, as firstResponses)
        Map<String, Long> firstOffset = new HashMap<>();
        for (MergedInterval interval : result.getIntervalsList()) {
            for (InstanceFirstResponse r : interval.getInstanceFirstResponsesList()) {
                Long seen = firstOffset.get(r.getInstanceId());
                if (seen == null || r.getCompletedOffsetMicros() < seen) {
                    firstOffset.put(r.getInstanceId(), r.getCompletedOffsetMicros());
                    firstInInterval.put(r.getInstanceId(), interval.getIntervalIndex());
                }
            }
        }
        for (MergedInterval interval : result.getIntervalsList()) {
            Instant end = start.plusMillis((interval.getIntervalIndex() + 1) * intervalMillis);
            for (CapturedHeader header : interval.getCapturedHeadersList()) {
                if (!header.getName().equalsIgnoreCase(INSTANCE_ID_HEADER)) {
                    continue;
                }
                for (HeaderValueCount value : header.getValuesList()) {
                    long count = value.getCount();
                    Long firstIndex = firstInInterval.get(value.getValue());
                    if (firstIndex != null && firstIndex == interval.getIntervalIndex()) {
                        count--; // observed above, at its own instant
                    }
                    if (count > 0) {
                        observations.add(new Observation(end, value.getValue(), count));
                    }
                }
            }
        }
        observations.sort(Comparator.comparing(Observation::at));
        for (Observation o : observations) {
            driver.observeResponses(o.at(), o.instanceId(), null, o.responses());
        }
    }
}
