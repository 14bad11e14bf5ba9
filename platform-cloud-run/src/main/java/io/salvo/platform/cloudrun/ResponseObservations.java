package io.salvo.platform.cloudrun;

import io.salvo.platform.ColdStartVerdict;
import io.salvo.platform.InstanceCountSample;
import io.salvo.platform.InstanceRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What responses told about the service's instances: the {@code Salvo-Instance-Id} each came from, and when. The
 * driver's own probes record here, and so can the caller with what a run's workers captured
 * ({@link CloudRunPlatformDriver#observeResponses}). Without Cloud Monitoring this is the only view of instances Cloud Run
 * gives, and it is a lower bound: an instance that answered nothing in a window is invisible in it.
 *
 * <p>Thread-safe (every method synchronized; they are rare and short).
 */
public final class ResponseObservations {

    /** First and last time one instance id was seen. */
    private record Seen(Instant first, Instant last) {}

    private final Map<String, Seen> byId = new LinkedHashMap<>();
    /** responses per instant they were observed at (a worker interval's count, or 1 per probe) */
    private final TreeMap<Instant, Long> responses = new TreeMap<>();
    /** (instant, id) of every observation, for counts per window */
    private final List<Map.Entry<Instant, String>> sightings = new ArrayList<>();

    private Set<String> idsBeforeCold = Set.of();
    private Instant coldMark;
    private String firstIdAfterCold;
    private Instant firstStartedAfterCold;

    /**
     * Records {@code responseCount} responses observed at {@code at}, from {@code instanceId} (null when the response
     * carried no id), an instance that started at {@code instanceStartedAt} (null when unknown).
     */
    public synchronized void observe(Instant at, String instanceId, Instant instanceStartedAt, long responseCount) {
        if (responseCount > 0) {
            responses.merge(at, responseCount, Long::sum);
        }
        if (instanceId == null || instanceId.isBlank()) {
            return;
        }
        Seen seen = byId.get(instanceId);
        byId.put(instanceId, seen == null ? new Seen(at, at) : new Seen(seen.first(), max(seen.last(), at)));
        sightings.add(Map.entry(at, instanceId));
        if (coldMark != null && firstIdAfterCold == null && !at.isBefore(coldMark)) {
            firstIdAfterCold = instanceId;
            firstStartedAfterCold = instanceStartedAt;
        }
    }

    /** Starts a forced cold start's verification: ids seen so far are the old ones. */
    public synchronized void markCold(Instant at) {
        idsBeforeCold = Set.copyOf(byId.keySet());
        coldMark = at;
        firstIdAfterCold = null;
        firstStartedAfterCold = null;
    }

    /** The verdict on the last forced cold start, from the first instance id seen after it. */
    public synchronized ColdStartVerdict coldStartVerdict() {
        if (coldMark == null) {
            return new ColdStartVerdict(ColdStartVerdict.State.NOT_FORCED, null, Set.of());
        }
        if (firstIdAfterCold == null) {
            return new ColdStartVerdict(ColdStartVerdict.State.PENDING, null, idsBeforeCold);
        }
        ColdStartVerdict.State state;
        if (idsBeforeCold.contains(firstIdAfterCold)) {
            state = ColdStartVerdict.State.REUSED_INSTANCE;
        } else if (firstStartedAfterCold != null && firstStartedAfterCold.isBefore(coldMark)) {
            state = ColdStartVerdict.State.PRESTARTED_INSTANCE;
        } else {
            state = ColdStartVerdict.State.VERIFIED;
        }
        return new ColdStartVerdict(state, firstIdAfterCold, idsBeforeCold);
    }

    /** Every instance id seen, in the order first seen, as instance records (spawn unknown: first seen instead). */
    public synchronized List<InstanceRecord> instances() {
        List<InstanceRecord> out = new ArrayList<>();
        int n = 0;
        for (Map.Entry<String, Seen> e : byId.entrySet()) {
            n++;
            out.add(new InstanceRecord(
                    "seen-" + n,
                    e.getKey(),
                    null,
                    null,
                    null,
                    e.getValue().first(),
                    e.getValue().first(),
                    null,
                    null));
        }
        return out;
    }

    /**
     * Distinct instance ids seen per window of {@code window}, from the first observation on: one sample at each
     * window's start (counted as ready; Cloud Run does not show starting instances to responses).
     */
    public synchronized List<InstanceCountSample> countsPerWindow(Duration window) {
        if (sightings.isEmpty()) {
            return List.of();
        }
        Instant start = sightings.stream()
                .map(Map.Entry::getKey)
                .min(Instant::compareTo)
                .orElseThrow();
        TreeMap<Long, Set<String>> buckets = new TreeMap<>();
        long windowNanos = window.toNanos();
        for (Map.Entry<Instant, String> s : sightings) {
            long index = Duration.between(start, s.getKey()).toNanos() / windowNanos;
            buckets.computeIfAbsent(index, k -> new HashSet<>()).add(s.getValue());
        }
        List<InstanceCountSample> out = new ArrayList<>();
        long last = buckets.lastKey();
        for (long i = 0; i <= last; i++) {
            Set<String> ids = buckets.getOrDefault(i, Set.of());
            out.add(new InstanceCountSample(start.plusNanos(i * windowNanos), 0, ids.size()));
        }
        return out;
    }

    /** Responses observed in [from, to). */
    public synchronized long responsesBetween(Instant from, Instant to) {
        return responses.subMap(from, true, to, false).values().stream()
                .mapToLong(Long::longValue)
                .sum();
    }

    /** True once any response has been observed. */
    public synchronized boolean any() {
        return !responses.isEmpty() || !byId.isEmpty();
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
