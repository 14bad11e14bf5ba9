package io.salvo.coordinator.run;

import io.salvo.detect.DetectionEvent;
import io.salvo.detect.DetectionEvent.ColdStart;
import io.salvo.detect.DetectionEvent.FirstSuccess;
import io.salvo.detect.DetectionEvent.InstancesInInterval;
import io.salvo.detect.DetectionEvent.SteadyStateReached;
import java.util.Locale;

/** One human-readable line per detector event, for the live view. */
final class EventLines {

    private EventLines() {}

    /** The line for an event, or null for events the live view does not show (per-interval counts). */
    static String describe(DetectionEvent event) {
        if (event instanceof ColdStart c) {
            StringBuilder line = new StringBuilder("cold start: instance ")
                    .append(c.instanceId())
                    .append(" first answered in interval ")
                    .append(c.intervalIndex());
            if (c.firstResponseLatencyMicros() != null) {
                line.append(String.format(
                        Locale.ROOT, ", first response %.1f ms", c.firstResponseLatencyMicros() / 1000.0));
            }
            if (c.modelLoadMillis() != null) {
                line.append(", model load ").append(c.modelLoadMillis()).append(" ms");
            }
            return line.append(" [").append(c.sourceLabel()).append(']').toString();
        }
        if (event instanceof FirstSuccess f) {
            var t = f.result();
            return String.format(
                    Locale.ROOT,
                    "first successful response after %.1f ms (%s resolution, %d errors before)",
                    t.micros() / 1000.0,
                    t.resolution().name().toLowerCase(Locale.ROOT),
                    t.errorsBefore());
        }
        if (event instanceof SteadyStateReached s) {
            var st = s.result();
            return String.format(
                    Locale.ROOT,
                    "steady state reached at %.1f s (interval %d, p95 %.2f..%.2f ms over %d intervals)",
                    st.startOffsetMicros() / 1e6,
                    st.startInterval(),
                    st.windowMinP95Micros() / 1000.0,
                    st.windowMaxP95Micros() / 1000.0,
                    st.settings().steadyWindowIntervals());
        }
        if (event instanceof InstancesInInterval) {
            return null;
        }
        return event.toString();
    }
}
