package io.salvo.coordinator.run;

import io.salvo.proto.v1.LiveEvent;
import io.salvo.proto.v1.LiveEventKind;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.PlatformEventReport;
import io.salvo.proto.v1.PlatformInstances;
import io.salvo.proto.v1.ReportPlatformRequest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What a client driving the platform under test reported for a run ({@code ReportPlatform}), waiting for the run's
 * next snapshot: the latest instance counts, which every snapshot after them repeats, and the events not shown yet,
 * which exactly one snapshot shows.
 *
 * <p>Assumptions and guarantees: thread-safe (the gRPC thread offers, the run's show path drains; both are short
 * and under this object's monitor). Held in this coordinator's memory only: reports reach the run's leader, and a
 * takeover starts empty (the client's next report refills the counts; events not shown yet are lost, and the
 * report's platform section, written by the client from its driver, still has them). At most {@link #MAX_PENDING}
 * events wait; beyond that the oldest are dropped and counted in the text of the next one shown.
 */
final class PlatformFeed {

    /** Events waiting for a snapshot; a client that reports once per interval sends a handful at most. */
    static final int MAX_PENDING = 200;

    private PlatformInstances latest;
    private final List<PlatformEventReport> pending = new ArrayList<>();
    private long dropped;

    /** Takes a client's report. */
    synchronized void offer(ReportPlatformRequest report) {
        if (report.hasInstances()) {
            latest = report.getInstances();
        }
        for (PlatformEventReport e : report.getEventsList()) {
            if (pending.size() >= MAX_PENDING) {
                pending.remove(0);
                dropped++;
            }
            pending.add(e);
        }
    }

    /**
     * Sets the latest counts on {@code snapshot} and adds the waiting events as live events (offsets from
     * {@code startUnixNanos}) with their lines; returns how many events were added.
     */
    synchronized int drainInto(LiveSnapshot.Builder snapshot, long startUnixNanos) {
        if (latest != null) {
            snapshot.setPlatform(latest);
        }
        if (pending.isEmpty()) {
            return 0;
        }
        List<PlatformEventReport> due = new ArrayList<>(pending);
        pending.clear();
        due.sort(Comparator.comparingLong(PlatformEventReport::getAtUnixNanos));
        for (int i = 0; i < due.size(); i++) {
            PlatformEventReport e = due.get(i);
            String text = line(e);
            if (i == 0 && dropped > 0) {
                text += " (" + dropped + " earlier platform event(s) dropped: more than " + MAX_PENDING
                        + " waited for a snapshot)";
                dropped = 0;
            }
            LiveEvent live = LiveEvent.newBuilder()
                    .setKind(LiveEventKind.LIVE_EVENT_KIND_PLATFORM)
                    .setOffsetMicros((e.getAtUnixNanos() - startUnixNanos) / 1000)
                    .setText(text)
                    .setPlatformEvent(e)
                    .build();
            snapshot.addEvents(text).addLiveEvents(live);
        }
        return due.size();
    }

    /** {@code platform: Warning FailedScheduling pod/x: 0/3 nodes are available: 3 Insufficient cpu.} */
    static String line(PlatformEventReport e) {
        return "platform: " + e.getSeverity() + " " + e.getReason() + " " + e.getObject()
                + (e.getMessage().isEmpty() ? "" : ": " + e.getMessage());
    }
}
