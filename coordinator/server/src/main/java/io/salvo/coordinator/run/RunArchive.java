package io.salvo.coordinator.run;

import io.salvo.coordinator.clock.WallClock;
import io.salvo.coordinator.cluster.CoordinatorCluster;
import io.salvo.coordinator.cluster.RunRecord;
import io.salvo.core.result.ReportedBy;
import io.salvo.proto.v1.RunResult;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Archives ended runs once {@link RunSettings#finishedRunRetention} has passed, in two steps: it stores the
 * final result (rebuilt from the replicated reports when another coordinator led the run's end, so late
 * reports that reached this one count too) and marks the run in {@code salvo.archived-runs}; a few seconds
 * ({@link #settle}) later it drops the run's per-interval maps. At 1,000 workers the reports alone grow by
 * ~1 MB a second of run, and a long-lived coordinator would otherwise keep every run's. The record and the
 * result stay, so the run remains queryable; reports that arrive later are refused as archived.
 *
 * <p>Only the leader archives; a new leader finishes what the old one left ({@link #resume}). Both steps run on
 * the archiver, under this object's lock: the run manager's own monitor is held while a start waits for
 * workers, and the cluster-events thread must stay free to report them.
 */
public final class RunArchive {

    private static final Logger LOG = Logger.getLogger(RunArchive.class.getName());

    /** {@code salvo.archived-runs} value of a run whose maps are gone; any other value is when it was marked. */
    public static final long DONE = 0;

    private final CoordinatorCluster cluster;
    private final WallClock clock;
    private final ScheduledExecutorService ticker;
    private final Executor archiver;
    private final Duration retention;
    private final String coordinatorId;
    /** The runs this coordinator leads or led; an archived one leaves it. */
    private final Map<String, Run> runs;
    /** A run that ended under another leader, rebuilt from the replicated state. */
    private final Function<RunRecord, Run> copyOf;

    RunArchive(
            CoordinatorCluster cluster,
            WallClock clock,
            ScheduledExecutorService ticker,
            Executor archiver,
            Duration retention,
            String coordinatorId,
            Map<String, Run> runs,
            Function<RunRecord, Run> copyOf) {
        this.cluster = cluster;
        this.clock = clock;
        this.ticker = ticker;
        this.archiver = archiver;
        this.retention = retention;
        this.coordinatorId = coordinatorId;
        this.runs = runs;
        this.copyOf = copyOf;
    }

    /** Archives the run when the retention after its end has passed. */
    void scheduleArchive(String runId, long endUnixNanos) {
        long delayNanos = Math.max(0, endUnixNanos + retention.toNanos() - clock.unixNanos());
        // archive logs its own failures; a new leader archives what an old one left
        ScheduledFuture<?> unused =
                ticker.schedule(() -> archiver.execute(() -> archive(runId)), delayNanos, TimeUnit.NANOSECONDS);
    }

    /** A new leader found an ended run: it carries on wherever the old leader left off (not archived, or marked). */
    void resume(RunRecord ended) {
        Long archived = cluster.archivedRuns().get(ended.runId());
        if (archived == null) {
            scheduleArchive(ended.runId(), ended.endUnixNanos());
        } else if (archived != DONE) {
            scheduleDrop(ended.runId(), archived);
        }
    }

    /** Whether the run ended and was archived: its per-interval data is gone or going, its result stays. */
    boolean archived(String runId) {
        return !runId.isEmpty()
                && runId.length() <= 200
                && cluster.archivedRuns().containsKey(runId);
    }

    /**
     * Between marking a run archived and dropping its maps: every coordinator hears of the mark within
     * milliseconds and stops writing; batched writes already under way land in maps about to go. Ten seconds,
     * or half the retention when that is shorter (tests).
     */
    private Duration settle() {
        Duration half = retention.dividedBy(2);
        return half.compareTo(Duration.ofSeconds(10)) < 0 ? half : Duration.ofSeconds(10);
    }

    private void scheduleDrop(String runId, long markedUnixNanos) {
        long delayNanos = Math.max(0, markedUnixNanos + settle().toNanos() - clock.unixNanos());
        ScheduledFuture<?> unused =
                ticker.schedule(() -> archiver.execute(() -> dropRunData(runId)), delayNanos, TimeUnit.NANOSECONDS);
    }

    /** Step one: the final result stored, the run marked archived. */
    synchronized void archive(String runId) {
        if (!cluster.isLeader() || cluster.archivedRuns().containsKey(runId)) {
            return;
        }
        try {
            byte[] recordBytes = cluster.runs().get(runId);
            RunRecord record = recordBytes == null ? null : RunRecord.decode(recordBytes);
            if (record == null || !record.terminal()) {
                return;
            }
            Run run = runs.get(runId);
            if (run != null) {
                run.archiveNow();
            } else {
                storeResultOfRunLedElsewhere(record);
            }
            long marked = Math.max(DONE + 1, clock.unixNanos());
            cluster.archivedRuns().set(runId, marked);
            runs.remove(runId);
            scheduleDrop(runId, marked);
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "run " + runId + ": archiving failed; its data stays in the cluster", e);
        }
    }

    /**
     * The run ended under another leader. Its stored result has everything that leader merged, which may
     * include reports its last batch never wrote to the cluster; the replicated reports may include late ones
     * that reached this coordinator after the takeover. Whichever covers the other is kept; when each has
     * reports the other lacks (a late report after the takeover, plus an unwritten batch), the stored result
     * stays and says what it could not merge.
     */
    private void storeResultOfRunLedElsewhere(RunRecord record) {
        String runId = record.runId();
        RunResult rebuilt = copyOf.apply(record).result();
        byte[] storedBytes = cluster.results().get(runId);
        RunResult stored;
        try {
            stored = storedBytes == null ? null : RunResult.parseFrom(storedBytes);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            stored = null;
        }
        if (stored == null) {
            cluster.results().set(runId, rebuilt.toByteArray());
            return;
        }
        Set<String> inStored = reportedIntervals(stored);
        Set<String> inRebuilt = reportedIntervals(rebuilt);
        Set<String> onlyRebuilt = new TreeSet<>(inRebuilt);
        onlyRebuilt.removeAll(inStored);
        if (onlyRebuilt.isEmpty()) {
            return;
        }
        if (inRebuilt.containsAll(inStored)) {
            cluster.results().set(runId, rebuilt.toByteArray());
            return;
        }
        String message = (stored.getMessage().isEmpty() ? "" : stored.getMessage() + "; ") + onlyRebuilt.size()
                + " late report(s) that reached coordinator " + coordinatorId + " after the takeover could not be "
                + "merged into this result (interval/worker: " + String.join(", ", onlyRebuilt) + ")";
        LOG.warning(() -> "run " + runId + ": " + message);
        cluster.results()
                .set(runId, stored.toBuilder().setMessage(message).build().toByteArray());
    }

    private static Set<String> reportedIntervals(RunResult result) {
        Set<String> keys = new HashSet<>();
        for (var interval : result.getIntervalsList()) {
            for (String worker : ReportedBy.workerIds(result, interval)) {
                keys.add(interval.getIntervalIndex() + "/" + worker);
            }
        }
        return keys;
    }

    /** Step two: the run's per-interval maps dropped on every member. */
    private synchronized void dropRunData(String runId) {
        Long state = cluster.archivedRuns().get(runId);
        if (!cluster.isLeader() || state == null || state == DONE) {
            return;
        }
        try {
            cluster.destroyRunData(runId);
            cluster.archivedRuns().set(runId, DONE);
            LOG.info(() -> "run " + runId + ": per-interval data dropped " + retention.toSeconds()
                    + " s after the end; its record and result stay");
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "run " + runId + ": dropping its data failed; a new leader tries again", e);
        }
    }
}
