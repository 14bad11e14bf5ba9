package io.salvo.coordinator.cluster;

import com.hazelcast.core.HazelcastInstanceNotActiveException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Writes the reports that the leader merged on arrival to their run's report map in batches, one
 * asynchronous {@code setAll} per run every {@value #FLUSH_DELAY_MILLIS} ms at most, instead of one
 * synchronous partition round trip per report (see ADR 0006).
 *
 * <p>Assumptions and guarantees:
 * <ul>
 *   <li>Only reports the leader has already checked and merged come here, so the map's
 *       put-if-absent is not needed to refuse a second copy: the merger refused it already.</li>
 *   <li>A report is in the map, with its backup, at most about {@value #FLUSH_DELAY_MILLIS} ms plus a
 *       partition round trip after it arrived. If the leader dies in between, the report is lost
 *       from the state but not from the run: every worker re-sends the reports of its last 20 s to
 *       the coordinator it reconnects to, which stores them.</li>
 *   <li>{@link #pending} answers for reports not yet acknowledged by the cluster, so a second copy
 *       can be compared with the first before the first is readable from the map.</li>
 *   <li>A failed write is retried with backoff; only a member that is shutting down gives up.</li>
 * </ul>
 */
public final class ReportBatcher {

    private static final Logger LOG = Logger.getLogger(ReportBatcher.class.getName());
    static final long FLUSH_DELAY_MILLIS = 50;
    private static final int MAX_ATTEMPTS = 10;

    private final CoordinatorCluster cluster;
    private final ScheduledExecutorService scheduler;
    private final Map<String, RunBatch> batches = new ConcurrentHashMap<>();

    public ReportBatcher(CoordinatorCluster cluster, ScheduledExecutorService scheduler) {
        this.cluster = cluster;
        this.scheduler = scheduler;
    }

    /** Queues a report for the run's report map under its key. */
    public void store(String runId, String key, byte[] report) {
        RunBatch batch = batches.computeIfAbsent(runId, RunBatch::new);
        batch.unacknowledged.put(key, report);
        batch.queued.add(Map.entry(key, report));
        if (batch.flushScheduled.compareAndSet(false, true)) {
            try {
                // flush handles its own failures (a retry, then a logged loss): nothing to learn from the future
                ScheduledFuture<?> unused =
                        scheduler.schedule(() -> flush(batch), FLUSH_DELAY_MILLIS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                batch.flushScheduled.set(false); // shutting down: nothing is written any more
            }
        }
    }

    /** The report queued under this key and not yet acknowledged by the cluster, else null. */
    /** An archived run: nothing of it is written any more, queued or not. */
    public void forget(String runId) {
        batches.remove(runId);
    }

    public byte[] pending(String runId, String key) {
        RunBatch batch = batches.get(runId);
        return batch == null ? null : batch.unacknowledged.get(key);
    }

    /** Reports queued or in flight, for tests and diagnostics. */
    public int unacknowledged() {
        int n = 0;
        for (RunBatch batch : batches.values()) {
            n += batch.unacknowledged.size();
        }
        return n;
    }

    private void flush(RunBatch batch) {
        // Cleared before draining: a report queued from here on schedules the next flush itself.
        batch.flushScheduled.set(false);
        Map<String, byte[]> entries = new HashMap<>();
        for (Map.Entry<String, byte[]> e; (e = batch.queued.poll()) != null; ) {
            entries.put(e.getKey(), e.getValue());
        }
        if (!entries.isEmpty()) {
            write(batch, entries, 1);
        }
    }

    private void write(RunBatch batch, Map<String, byte[]> entries, int attempt) {
        try {
            cluster.reports(batch.runId).setAllAsync(entries).whenComplete((ignored, error) -> {
                if (error == null) {
                    entries.forEach(batch.unacknowledged::remove);
                } else {
                    retry(batch, entries, attempt, error);
                }
            });
        } catch (RuntimeException e) {
            retry(batch, entries, attempt, e);
        }
    }

    private void retry(RunBatch batch, Map<String, byte[]> entries, int attempt, Throwable error) {
        if (error instanceof HazelcastInstanceNotActiveException
                || error.getCause() instanceof HazelcastInstanceNotActiveException) {
            LOG.fine(() ->
                    "run " + batch.runId + ": " + entries.size() + " reports not stored; the member is shutting down");
            return;
        }
        if (attempt >= MAX_ATTEMPTS) {
            LOG.log(
                    Level.SEVERE,
                    "run " + batch.runId + ": " + entries.size() + " merged reports could not be stored "
                            + "in the replicated state after " + attempt + " attempts; a takeover would miss them",
                    error);
            entries.forEach(batch.unacknowledged::remove);
            return;
        }
        LOG.warning(() ->
                "run " + batch.runId + ": storing " + entries.size() + " reports failed (" + error + "); retrying");
        try {
            ScheduledFuture<?> unused = scheduler.schedule(
                    () -> write(batch, entries, attempt + 1), 100L << Math.min(attempt, 5), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // Shutting down.
        }
    }

    private static final class RunBatch {
        final String runId;
        final ConcurrentLinkedQueue<Map.Entry<String, byte[]>> queued = new ConcurrentLinkedQueue<>();
        /** Queued or in flight; removed once the cluster acknowledged the write. */
        final Map<String, byte[]> unacknowledged = new ConcurrentHashMap<>();

        final AtomicBoolean flushScheduled = new AtomicBoolean();

        RunBatch(String runId) {
            this.runId = runId;
        }
    }
}
