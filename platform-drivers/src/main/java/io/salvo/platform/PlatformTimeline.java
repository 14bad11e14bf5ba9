package io.salvo.platform;

import java.util.List;

/**
 * What a platform can say about a run beyond instance counts: each cold start broken down into its phases, and the
 * platform's own events (scheduling failures, node scale-ups, image pulls), both in time order.
 */
public record PlatformTimeline(List<ColdStartPhases> coldStarts, List<PlatformEvent> events) {

    public static final PlatformTimeline EMPTY = new PlatformTimeline(List.of(), List.of());

    public PlatformTimeline {
        coldStarts = List.copyOf(coldStarts);
        events = List.copyOf(events);
    }
}
