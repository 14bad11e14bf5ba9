package io.salvo.cli.live;

import io.salvo.platform.PlatformEvent;
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

    /** {@code ready 2, starting 1}. */
    public String countsText() {
        return "ready " + ready + ", starting " + starting;
    }
}
