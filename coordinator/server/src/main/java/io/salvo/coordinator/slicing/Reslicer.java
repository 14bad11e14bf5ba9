package io.salvo.coordinator.slicing;

import io.salvo.coordinator.slicing.SlicePlanner.Participant;
import io.salvo.core.rate.RateProfile;
import io.salvo.proto.v1.Reslice;
import io.salvo.proto.v1.ResliceCause;
import io.salvo.proto.v1.Slice;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides a re-slice: the losses, joins and takeovers since the last one in; the next epoch, every live
 * worker's new slice and one re-slice record per change out. Pure: the caller owns the workers, the clock
 * and the sending.
 *
 * <p>Every change since the last re-slice is handled at once, so when a region's workers drop together
 * the run moves one epoch and sends one assignment per survivor, not one of each per lost worker (at
 * 1,000 workers that would be a million assignments).
 */
public final class Reslicer {

    private Reslicer() {}

    /**
     * A change in who carries the load.
     *
     * @param lostShare         for a loss: the lost worker's share of the rate (0..1), else 0
     * @param coveredUntilNanos for a loss: the load offset (since the run's start) up to which the lost
     *                          worker's reports account for its share
     * @param region            the worker's region label ("" for a takeover)
     */
    public record Change(ResliceCause cause, String workerId, double lostShare, long coveredUntilNanos, String region) {

        public static Change lost(String workerId, double share, long coveredUntilNanos) {
            return lost(workerId, "", share, coveredUntilNanos);
        }

        public static Change lost(String workerId, String region, double share, long coveredUntilNanos) {
            return new Change(ResliceCause.RESLICE_CAUSE_WORKER_LOST, workerId, share, coveredUntilNanos, region);
        }

        public static Change joined(String workerId) {
            return joined(workerId, "");
        }

        public static Change joined(String workerId, String region) {
            return new Change(ResliceCause.RESLICE_CAUSE_WORKER_JOINED, workerId, 0, 0, region);
        }

        /** A new leader re-assigns every worker after taking the run over. */
        public static Change takeover() {
            return new Change(ResliceCause.RESLICE_CAUSE_TAKEOVER, "", 0, 0, "");
        }
    }

    /**
     * What to do.
     *
     * @param epoch         the epoch from now on (unchanged when nothing is re-assigned)
     * @param slices        the new slice of every live worker, by id; empty when nothing is re-assigned
     * @param reslices      the records for the run's report, one per change (stamped with {@code epoch})
     * @param joinedTooLate workers that joined when no load was left to give them: they finish at once
     * @param noWorkerLeft  load remains but nobody is left to carry it
     */
    public record Outcome(
            long epoch,
            Map<String, Slice> slices,
            List<Reslice> reslices,
            List<String> joinedTooLate,
            boolean noWorkerLeft) {

        public boolean reassigned() {
            return !slices.isEmpty();
        }
    }

    /**
     * Decides the re-slice for {@code changes}.
     *
     * @param epoch            the current epoch
     * @param live             the workers carrying load now (joined ones included), in any order
     * @param atUnixNanos      when the re-slice happens
     * @param elapsedLoadNanos how far into the load profile the run is now (0 .. its duration)
     * @param loadToCome       whether load remains to divide (the run goes on, was not asked to stop, and its
     *                         load has not ended)
     * @param seed             the run's seed; each epoch's arrival streams derive from it
     */
    public static Outcome reslice(
            long epoch,
            List<Participant> live,
            List<Change> changes,
            long atUnixNanos,
            long elapsedLoadNanos,
            boolean loadToCome,
            RateProfile profile,
            long seed) {
        return reslice(epoch, live, changes, atUnixNanos, elapsedLoadNanos, loadToCome, profile, seed, null, Map.of());
    }

    /**
     * Decides the re-slice for {@code changes} in a run whose plan has regions ({@code layout} not null): only the
     * regions of the workers lost or joined are re-sliced, over their own live workers; every other worker keeps its
     * slice from {@code current} (a takeover re-slices every region). A region left without workers keeps its share
     * unsent, and its re-slice records say so ({@code region_unserved}). With a null layout, as
     * {@link #reslice(long, List, List, long, long, boolean, RateProfile, long)}.
     */
    public static Outcome reslice(
            long epoch,
            List<Participant> live,
            List<Change> changes,
            long atUnixNanos,
            long elapsedLoadNanos,
            boolean loadToCome,
            RateProfile profile,
            long seed,
            RegionSlicer.Layout layout,
            Map<String, Slice> current) {
        List<String> joinedTooLate = new ArrayList<>(0);
        List<Reslice.Builder> records = new ArrayList<>(changes.size());
        for (Change c : changes) {
            if (c.cause() == ResliceCause.RESLICE_CAUSE_WORKER_JOINED && !loadToCome) {
                joinedTooLate.add(c.workerId());
                continue;
            }
            double uncovered = c.lostShare() == 0
                    ? 0
                    : c.lostShare()
                            * profile.expectedCount(
                                    c.coveredUntilNanos(), Math.max(c.coveredUntilNanos(), elapsedLoadNanos));
            records.add(Reslice.newBuilder()
                    .setAtUnixNanos(atUnixNanos)
                    .setCause(c.cause())
                    .setWorkerId(c.workerId())
                    .setRegion(layout == null ? "" : c.region())
                    .setUncoveredIntendedRequests(uncovered));
        }
        if (layout != null && loadToCome && live.isEmpty()) {
            for (Reslice.Builder r : records) {
                r.setRegionUnserved(!r.getRegion().isEmpty());
            }
        }
        if (records.isEmpty() || !loadToCome || live.isEmpty()) {
            // Losses stay on record with what went unsent, but there is no load, or nobody, to divide it over.
            return new Outcome(
                    epoch, Map.of(), stamp(records, epoch, List.of()), joinedTooLate, loadToCome && !records.isEmpty());
        }
        long next = epoch + 1;
        List<Participant> sorted = new ArrayList<>(live);
        sorted.sort(Comparator.comparing(Participant::workerId));
        Map<String, Slice> slices;
        if (layout == null) {
            slices = SlicePlanner.plan(sorted, seed + next);
        } else {
            Set<String> regions = new HashSet<>();
            for (Change c : changes) {
                if (c.cause() == ResliceCause.RESLICE_CAUSE_TAKEOVER) {
                    regions.addAll(layout.regions());
                } else {
                    regions.add(c.region());
                }
            }
            slices = RegionSlicer.plan(layout, sorted, current, regions, seed + next);
            for (Reslice.Builder r : records) {
                String region = r.getRegion();
                boolean served = sorted.stream().anyMatch(p -> p.region().equals(region));
                r.setRegionUnserved(!region.isEmpty() && !served);
            }
        }
        List<String> after = sorted.stream().map(Participant::workerId).toList();
        return new Outcome(next, slices, stamp(records, next, after), joinedTooLate, false);
    }

    /** A re-slice in a few words, for logs and notes: "worker w-3 lost", "takeover". */
    public static String describe(Reslice r) {
        String where = r.getRegion().isEmpty() ? "" : " (" + r.getRegion() + ")";
        String what = switch (r.getCause()) {
            case RESLICE_CAUSE_WORKER_LOST -> "worker " + r.getWorkerId() + where + " lost";
            case RESLICE_CAUSE_WORKER_JOINED -> "worker " + r.getWorkerId() + where + " joined";
            case RESLICE_CAUSE_TAKEOVER -> "takeover";
            case RESLICE_CAUSE_UNSPECIFIED, UNRECOGNIZED -> "re-slice";
        };
        return r.getRegionUnserved()
                ? what + "; region " + r.getRegion() + " has no worker left: its share is not sent"
                : what;
    }

    private static List<Reslice> stamp(List<Reslice.Builder> records, long epoch, List<String> workersAfter) {
        List<Reslice> stamped = new ArrayList<>(records.size());
        for (Reslice.Builder r : records) {
            stamped.add(r.setEpoch(epoch).addAllWorkerIds(workersAfter).build());
        }
        return stamped;
    }
}
