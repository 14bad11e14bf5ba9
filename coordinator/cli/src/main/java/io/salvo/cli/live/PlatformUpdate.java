package io.salvo.cli.live;

import io.salvo.platform.PlatformEvent;
import io.salvo.proto.v1.LiveEvent;
import io.salvo.proto.v1.LiveEventKind;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.PlatformEventReport;
import java.time.Instant;
import java.util.List;

/**
 * What the platform under test said during one interval: its instance counts at the interval's end and the events it
 * emitted since the previous update (scheduling failures with their message, node scale-ups, image pulls).
 *
 * @param intervalIndex the interval this update follows
 * @param ready         instances ready (pods passing their readiness probe)
 * @param starting      instances that exist but are not ready yet
 * @param events        new platform events, in time order
 */
public record PlatformUpdate(long intervalIndex, int ready, int starting, List<PlatformEvent> events) {

    public PlatformUpdate {
        events = List.copyOf(events);
    }

    /**
     * What a snapshot carries of the platform under test (reported to the coordinator by the client driving it:
     * {@code ReportPlatform}): its counts and its events; null when it carries nothing of the platform.
     */
    public static PlatformUpdate of(LiveSnapshot s) {
        List<PlatformEvent> events = s.getLiveEventsList().stream()
                .filter(PlatformUpdate::isPlatform)
                .map(e -> event(e.getPlatformEvent()))
                .toList();
        if (!s.hasPlatform() && events.isEmpty()) {
            return null;
        }
        return new PlatformUpdate(
                s.getIntervalIndex(),
                s.getPlatform().getReady(),
                s.getPlatform().getStarting(),
                events);
    }

    /** A platform event in a snapshot, which the platform lines show (so the interval's event lines skip it). */
    public static boolean isPlatform(LiveEvent e) {
        return e.getKind() == LiveEventKind.LIVE_EVENT_KIND_PLATFORM;
    }

    static PlatformEvent event(PlatformEventReport e) {
        return new PlatformEvent(
                Instant.ofEpochSecond(0, e.getAtUnixNanos()),
                e.getSeverity(),
                e.getObject(),
                e.getReason(),
                e.getMessage());
    }

    /** {@code ready 2, starting 1}. */
    public String countsText() {
        return "ready " + ready + ", starting " + starting;
    }
}
