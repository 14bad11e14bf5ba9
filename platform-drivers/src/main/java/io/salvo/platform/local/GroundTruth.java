package io.salvo.platform.local;

import io.salvo.platform.InstanceCountSample;
import io.salvo.platform.InstanceRecord;
import io.salvo.platform.PlatformSignals;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the local platform did to each instance, in wall-clock instants. Written from the router's event
 * loop and from process reader threads, read from anywhere: every method is synchronized. First
 * occurrences win (a second "first request" never overwrites the first).
 */
final class GroundTruth {

    private static final class Entry {
        final String name;
        String instanceId;
        Instant spawnedAt;
        Instant readyAt;
        Instant stoppedAt;
        Instant firstRoutedAt;
        Instant firstReplyAt;
        Long modelLoadMillis;
        String stopReason;

        Entry(String name) {
            this.name = name;
        }

        InstanceRecord toRecord() {
            return new InstanceRecord(
                    name,
                    instanceId,
                    spawnedAt,
                    readyAt,
                    stoppedAt,
                    firstRoutedAt,
                    firstReplyAt,
                    modelLoadMillis,
                    stopReason);
        }
    }

    private final Clock clock;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final List<InstanceCountSample> counts = new ArrayList<>();
    private Instant firstRequestAt;
    private Instant firstSuccessAt;
    /** Every request an instance served: instance index, forwarded and answered instants (epoch ns), 2xx or not. */
    private final List<Served> served = new ArrayList<>();

    /**
     * One request an instance served, for the usage the local platform reports.
     *
     * @param instance  the instance's platform name ({@code local-N})
     * @param startNanos forwarded to the instance, nanoseconds since the epoch
     * @param endNanos  its reply (or failure) arrived, nanoseconds since the epoch
     * @param success   the reply was a 2xx
     */
    record Served(String instance, long startNanos, long endNanos, boolean success) {}

    GroundTruth(Clock clock) {
        this.clock = clock;
    }

    synchronized void spawned(String name) {
        entries.computeIfAbsent(name, Entry::new).spawnedAt = clock.instant();
    }

    synchronized void ready(String name, String instanceId, Long modelLoadMillis) {
        Entry e = entries.computeIfAbsent(name, Entry::new);
        if (e.readyAt == null) {
            e.readyAt = clock.instant();
            e.instanceId = instanceId;
            e.modelLoadMillis = modelLoadMillis;
        }
    }

    synchronized void routed(String name) {
        Entry e = entries.computeIfAbsent(name, Entry::new);
        if (e.firstRoutedAt == null) {
            e.firstRoutedAt = clock.instant();
        }
    }

    synchronized void replied(String name) {
        Entry e = entries.computeIfAbsent(name, Entry::new);
        if (e.firstReplyAt == null) {
            e.firstReplyAt = clock.instant();
        }
    }

    /** The reason given first is kept: "idle" set at retirement is not replaced by the exit code. */
    synchronized void stopping(String name, String reason) {
        Entry e = entries.computeIfAbsent(name, Entry::new);
        if (e.stopReason == null) {
            e.stopReason = reason;
        }
    }

    synchronized void stopped(String name, String reasonIfNoneGiven) {
        Entry e = entries.computeIfAbsent(name, Entry::new);
        if (e.stoppedAt == null) {
            e.stoppedAt = clock.instant();
        }
        if (e.stopReason == null) {
            e.stopReason = reasonIfNoneGiven;
        }
    }

    /** A request reached the router (held or not). */
    synchronized void requestReceived() {
        if (firstRequestAt == null) {
            firstRequestAt = clock.instant();
        }
    }

    /** A 2xx reply left the router. */
    synchronized void successSent() {
        if (firstSuccessAt == null && firstRequestAt != null) {
            firstSuccessAt = clock.instant();
        }
    }

    /** After a forced cold start the next request starts a new time-to-first-success measurement. */
    synchronized void restartFirstRequestClock() {
        firstRequestAt = null;
        firstSuccessAt = null;
    }

    /** The router forwarded a request at {@code forwardedAt} and its answer came back now. */
    synchronized void served(String name, Instant forwardedAt, boolean success) {
        served.add(new Served(name, epochNanos(forwardedAt), epochNanos(clock.instant()), success));
    }

    /** The current instant, as the ground truth stamps it. */
    Instant now() {
        return clock.instant();
    }

    synchronized List<Served> served() {
        return List.copyOf(served);
    }

    static long epochNanos(Instant instant) {
        return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
    }

    synchronized void counts(int starting, int ready) {
        InstanceCountSample last = counts.isEmpty() ? null : counts.get(counts.size() - 1);
        if (last == null || last.starting() != starting || last.ready() != ready) {
            counts.add(new InstanceCountSample(clock.instant(), starting, ready));
        }
    }

    synchronized InstanceRecord record(String name) {
        Entry e = entries.get(name);
        return e == null ? null : e.toRecord();
    }

    synchronized PlatformSignals snapshot(String source) {
        return new PlatformSignals(
                source,
                entries.values().stream().map(Entry::toRecord).toList(),
                counts,
                firstRequestAt,
                firstSuccessAt);
    }
}
