package io.salvo.coordinator.run;

import io.salvo.coordinator.slicing.Reslicer;
import io.salvo.detect.DetectionEvent;
import io.salvo.detect.DetectionEvent.ColdStart;
import io.salvo.detect.DetectionEvent.FirstSuccess;
import io.salvo.detect.DetectionEvent.InstancesInInterval;
import io.salvo.detect.DetectionEvent.SteadyStateReached;
import io.salvo.proto.v1.CoordinatorTakeover;
import io.salvo.proto.v1.LiveEvent;
import io.salvo.proto.v1.LiveEventKind;
import io.salvo.proto.v1.Reslice;
import java.util.Locale;

/** One human-readable line per detector event and per event of the run itself, for the live view. */
final class EventLines {

    private EventLines() {}

    /**
     * The event as the live view shows it: kind, instant and line; null for events it does not show
     * (per-interval counts). A cold start is placed at the start of the interval of its first response.
     */
    static LiveEvent toLiveEvent(DetectionEvent event, long intervalMicros) {
        String text = describe(event);
        if (text == null) {
            return null;
        }
        LiveEvent.Builder live = LiveEvent.newBuilder().setText(text);
        if (event instanceof ColdStart c) {
            live.setKind(LiveEventKind.LIVE_EVENT_KIND_COLD_START).setOffsetMicros(c.intervalIndex() * intervalMicros);
        } else if (event instanceof FirstSuccess f) {
            live.setKind(LiveEventKind.LIVE_EVENT_KIND_FIRST_SUCCESS)
                    .setOffsetMicros(f.result().firstSuccessOffsetMicros());
        } else if (event instanceof SteadyStateReached s) {
            live.setKind(LiveEventKind.LIVE_EVENT_KIND_STEADY_STATE)
                    .setOffsetMicros(s.result().startOffsetMicros());
        }
        return live.build();
    }

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

    /** A worker declared lost; {@code how} may be empty (a new leader found it lost in the record). */
    static LiveEvent workerLost(String workerId, String how, long offsetMicros) {
        return LiveEvent.newBuilder()
                .setKind(LiveEventKind.LIVE_EVENT_KIND_WORKER_LOST)
                .setOffsetMicros(offsetMicros)
                .setWorkerId(workerId)
                .setText("worker " + workerId + " lost" + (how.isEmpty() ? "" : " (" + how + ")"))
                .build();
    }

    /** A re-slice: why, and over how many workers the rate is divided from its epoch on. */
    static LiveEvent reslice(Reslice r, long offsetMicros) {
        int workers = r.getWorkerIdsCount();
        String text = workers == 0
                ? Reslicer.describe(r) + ": rate not re-divided (no load or no worker left)"
                : String.format(
                        Locale.ROOT,
                        "%s: rate re-sliced over %d worker%s (epoch %d)",
                        Reslicer.describe(r),
                        workers,
                        workers == 1 ? "" : "s",
                        r.getEpoch());
        return LiveEvent.newBuilder()
                .setKind(LiveEventKind.LIVE_EVENT_KIND_RESLICE)
                .setOffsetMicros(offsetMicros)
                .setWorkerId(r.getWorkerId())
                .setWorkers(workers)
                .setResliceCause(r.getCause())
                .setEpoch(r.getEpoch())
                .setText(text)
                .build();
    }

    static LiveEvent takeover(CoordinatorTakeover t, long offsetMicros) {
        return LiveEvent.newBuilder()
                .setKind(LiveEventKind.LIVE_EVENT_KIND_TAKEOVER)
                .setOffsetMicros(offsetMicros)
                .setText("coordinator " + t.getToCoordinatorId() + " took the run over from " + t.getFromCoordinatorId()
                        + " (" + t.getReportsRestored() + " interval reports restored)")
                .build();
    }
}
