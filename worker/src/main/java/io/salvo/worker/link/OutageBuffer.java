package io.salvo.worker.link;

import io.salvo.proto.v1.WorkerMessage;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.function.Consumer;

/**
 * What the worker keeps for the coordinator across an outage: the reports and events recorded while no coordinator
 * has welcomed the worker, and the reports and terminal events written lately, which a coordinator that died may have
 * taken with it unprocessed. After the next Welcome both go out again, the recently sent first, then the held ones,
 * each under its original interval index (the cluster keeps only the first copy of each).
 *
 * <p>Assumptions and guarantees:
 * <ul>
 *   <li>Not thread-safe: the caller guards it (the agent's {@link LinkOutbound} holds it under its lock).</li>
 *   <li>At most {@code maxReports} interval reports are held; one more evicts the oldest held report (events are
 *       never evicted) and counts it in {@link #droppedReports()}, which only ever grows.</li>
 *   <li>A sent message is remembered for resending for {@code resendWindowNanos}, and only the latest
 *       {@code maxRecent} of them; only interval reports and finished or failed events are remembered.</li>
 *   <li>Time is the caller's: every method that needs it takes {@link System#nanoTime()}-clock nanoseconds.</li>
 * </ul>
 */
final class OutageBuffer {

    private record Sent(long sentNanos, WorkerMessage message) {}

    private final int maxReports;
    private final int maxRecent;
    private final long resendWindowNanos;
    private final ArrayDeque<WorkerMessage> held = new ArrayDeque<>();
    private final ArrayDeque<Sent> recentlySent = new ArrayDeque<>();
    private int heldReports;
    private long droppedReports;

    OutageBuffer(int maxReports, int maxRecent, long resendWindowNanos) {
        this.maxReports = maxReports;
        this.maxRecent = maxRecent;
        this.resendWindowNanos = resendWindowNanos;
    }

    /** Keeps a report or event that cannot go out now, for {@link #redeliver}. */
    void hold(WorkerMessage message) {
        if (message.hasIntervalReport()) {
            if (heldReports == maxReports) {
                evictOldestReport();
            }
            heldReports++;
        }
        held.addLast(message);
    }

    /** Notes that {@code message} was written to a stream at {@code nowNanos}, in case it has to go again. */
    void sent(WorkerMessage message, long nowNanos) {
        boolean worthResending = message.hasIntervalReport()
                || (message.hasEvent()
                        && (message.getEvent().hasFinished()
                                || message.getEvent().hasFailed()));
        if (worthResending) {
            recentlySent.addLast(new Sent(nowNanos, message));
            forgetOldSent(nowNanos);
        }
    }

    /**
     * Hands {@code out} what the previous coordinator may have received but not kept, then what was held during the
     * outage, oldest first; the held messages then count as sent at {@code nowNanos} and are held no more.
     */
    void redeliver(Consumer<WorkerMessage> out, long nowNanos) {
        forgetOldSent(nowNanos);
        for (Sent sent : recentlySent) {
            out.accept(sent.message());
        }
        for (WorkerMessage message : held) {
            out.accept(message);
            sent(message, nowNanos);
        }
        held.clear();
        heldReports = 0;
    }

    /** Interval reports held for the next Welcome. */
    int heldReports() {
        return heldReports;
    }

    /** Interval reports evicted because {@code maxReports} were already held, since the start. */
    long droppedReports() {
        return droppedReports;
    }

    private void forgetOldSent(long nowNanos) {
        while (!recentlySent.isEmpty()
                && (recentlySent.size() > maxRecent
                        || nowNanos - recentlySent.peekFirst().sentNanos() > resendWindowNanos)) {
            recentlySent.removeFirst();
        }
    }

    private void evictOldestReport() {
        for (Iterator<WorkerMessage> it = held.iterator(); it.hasNext(); ) {
            if (it.next().hasIntervalReport()) {
                it.remove();
                heldReports--;
                droppedReports++;
                return;
            }
        }
    }
}
