package io.salvo.coordinator.run;

import io.salvo.coordinator.slicing.RegionSlicer;
import io.salvo.coordinator.slicing.Reslicer;
import io.salvo.coordinator.slicing.SlicePlanner;
import io.salvo.coordinator.slicing.SlicePlanner.Participant;
import io.salvo.core.rate.RateProfile;
import io.salvo.proto.v1.Assignment;
import io.salvo.proto.v1.CoordinatorMessage;
import io.salvo.proto.v1.LeaderTerm;
import io.salvo.proto.v1.RequestHeaderSets;
import io.salvo.proto.v1.RequestHeadersUpdate;
import io.salvo.proto.v1.Reslice;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.Slice;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Who sends which share of a run's load, under which epoch: the current epoch, the losses and joins
 * waiting to be re-sliced, every re-slice so far, and the assignment messages that tell workers their
 * slice. Re-slicing decisions are the {@link Reslicer}'s; this applies them to the run's workers.
 *
 * <p>Not thread-safe: the run calls it under its lock. {@link #reslices()} may be read from any thread.
 */
final class Assignments {

    private final String runId;
    private final RunPlan plan;
    /** The plan's bodies, sent once per worker stream; null when the plan has none. */
    private final BodyDelivery bodies;

    private final long startUnixNanos;
    private final RateProfile profile;
    private final long seed;
    private final Roster roster;
    /** The plan's regions as a fixed division of the weight space; null for a plan without regions. */
    private final RegionSlicer.Layout layout;
    /** Workers whose slice the last re-slice changed: only they are sent a new assignment. */
    private final Set<String> changedByLastReslice = new HashSet<>();

    private final List<Reslice> reslices = new CopyOnWriteArrayList<>();
    private final List<Reslicer.Change> pending = new ArrayList<>();
    private long epoch = 1;
    /** The header sets the run's requests carry now: the plan's until a client pushes a higher generation. */
    private RequestHeaderSets headerSets;

    private volatile LeaderTerm term = LeaderTerm.getDefaultInstance();
    /** Set by a takeover: once every worker is back (or lost), the new leader re-assigns under a new epoch. */
    private boolean takeoverDue;

    Assignments(RunSpec spec, RateProfile profile, Roster roster) {
        this.runId = spec.id();
        this.plan = spec.plan();
        this.bodies = BodyDelivery.of(runId, plan);
        this.startUnixNanos = spec.startUnixNanos();
        this.profile = profile;
        this.seed = spec.seed();
        this.roster = roster;
        this.layout = RegionSlicer.Layout.of(plan.getRegionsList());
        this.headerSets = plan.getRequest().getHeaderSets();
    }

    /**
     * Takes {@code sets} as the run's header sets from now on if their generation is above the current one: later
     * assignments carry them, and {@link #headersUpdate()} tells the workers that have them already.
     *
     * @return whether they replaced the current ones
     */
    boolean replaceHeaderSets(RequestHeaderSets sets) {
        if (sets.getGeneration() <= headerSets.getGeneration()) {
            return false;
        }
        headerSets = sets;
        return true;
    }

    /** The generation of the current header sets (0: none). */
    long headerGeneration() {
        return headerSets.getGeneration();
    }

    /** The message that gives a running worker the current header sets. */
    CoordinatorMessage headersUpdate() {
        return CoordinatorMessage.newBuilder()
                .setRequestHeadersUpdate(
                        RequestHeadersUpdate.newBuilder().setRunId(runId).setHeaderSets(headerSets))
                .build();
    }

    private RunPlan withCurrentHeaderSets(RunPlan base) {
        if (headerSets.getGeneration() == base.getRequest().getHeaderSets().getGeneration()) {
            return base;
        }
        return base.toBuilder()
                .setRequest(base.getRequest().toBuilder().setHeaderSets(headerSets))
                .build();
    }

    /** The plan's regions as laid out for slicing; null for a plan without regions. */
    RegionSlicer.Layout layout() {
        return layout;
    }

    /** Continues where a stored record left off; {@code takeoverDue}: re-assign everyone once they are back. */
    void restore(long storedEpoch, List<Reslice> storedReslices, boolean reassignAfterTakeover) {
        epoch = storedEpoch;
        reslices.addAll(storedReslices);
        takeoverDue = reassignAfterTakeover;
    }

    long epoch() {
        return epoch;
    }

    /** Every re-slice so far, in order. */
    List<Reslice> reslices() {
        return reslices;
    }

    /** Whether a takeover re-assignment is still to come (until then a returning worker is not told its slice). */
    boolean takeoverDue() {
        return takeoverDue;
    }

    void cancelTakeover() {
        takeoverDue = false;
    }

    /** A worker was lost; its reports cover its share up to {@code coveredUntilNanos} into the load. */
    void lost(AssignedWorker w, long coveredUntilNanos) {
        pending.add(Reslicer.Change.lost(w.workerId, w.region(), SlicePlanner.share(w.slice), coveredUntilNanos));
    }

    void joined(AssignedWorker w) {
        pending.add(Reslicer.Change.joined(w.workerId, w.region()));
    }

    /** Re-slices for every change since the last call; null when there was none. */
    Reslicer.Outcome reslicePending(long nowUnixNanos, boolean loadToCome) {
        if (pending.isEmpty()) {
            return null;
        }
        List<Reslicer.Change> changes = List.copyOf(pending);
        pending.clear();
        return reslice(changes, nowUnixNanos, loadToCome);
    }

    /**
     * The single re-assignment after a takeover, once no worker is still reconnecting; null while one is,
     * or when there is none due. {@code loadToCome} false: the load ends before it would matter.
     */
    Reslicer.Outcome resliceAfterTakeover(long nowUnixNanos, boolean loadToCome) {
        if (!takeoverDue || roster.awaitingReconnect()) {
            return null;
        }
        takeoverDue = false;
        return loadToCome ? reslice(List.of(Reslicer.Change.takeover()), nowUnixNanos, true) : null;
    }

    /** Decides and applies a re-slice: new slices and epoch when the rate is re-divided, records always. */
    private Reslicer.Outcome reslice(List<Reslicer.Change> changes, long nowUnixNanos, boolean loadToCome) {
        takeoverDue = false;
        List<Participant> live = roster.live().stream()
                .map(w -> new Participant(w.workerId, w.weight(), w.region()))
                .toList();
        Map<String, Slice> current = new HashMap<>();
        for (AssignedWorker w : roster.live()) {
            current.put(w.workerId, w.slice);
        }
        long elapsedLoadNanos = Math.max(0, Math.min(nowUnixNanos - startUnixNanos, profile.durationNanos()));
        Reslicer.Outcome outcome = Reslicer.reslice(
                epoch, live, changes, nowUnixNanos, elapsedLoadNanos, loadToCome, profile, seed, layout, current);
        reslices.addAll(outcome.reslices());
        changedByLastReslice.clear();
        if (outcome.reassigned()) {
            epoch = outcome.epoch();
            for (AssignedWorker w : roster.live()) {
                Slice slice = outcome.slices().getOrDefault(w.workerId, Slice.getDefaultInstance());
                if (!slice.equals(w.slice)) {
                    changedByLastReslice.add(w.workerId);
                }
                w.slice = slice;
            }
        }
        return outcome;
    }

    /** Tells every live worker that has a stream its current assignment (it ignores an epoch it already has). */
    void sendToLive() {
        for (AssignedWorker w : roster.live()) {
            send(w);
        }
    }

    /** The leadership term assignments carry from now on. */
    void term(LeaderTerm leaderTerm) {
        this.term = leaderTerm;
    }

    /**
     * Tells the live workers whose slice the last re-slice changed their new assignment. In a run with regions the
     * other regions' workers keep their slice and are left alone (their epoch stays older, which workers and
     * reports do not mind); without regions every slice changes.
     */
    void sendResliced() {
        for (AssignedWorker w : roster.live()) {
            if (changedByLastReslice.contains(w.workerId)) {
                send(w);
            }
        }
    }

    /** Tells the worker its current assignment, if it has a stream. */
    void send(AssignedWorker w) {
        WorkerChannel channel = w.channel;
        if (channel == null) {
            return;
        }
        Assignment.Builder assignment = Assignment.newBuilder()
                .setRunId(runId)
                .setEpoch(epoch)
                .setSlice(w.slice)
                .setStartCoordinatorUnixNanos(startUnixNanos)
                .setWorkerClockOffsetNanos(channel.clockOffsetNanos())
                .setTerm(term);
        if (bodies == null) {
            assignment.setPlan(withCurrentHeaderSets(plan));
        } else {
            // Once per stream: a reconnected worker, or one now held by another coordinator, gets them again.
            if (w.bodiesSentOn != channel) {
                for (CoordinatorMessage chunk : bodies.chunks()) {
                    channel.send(chunk);
                }
                w.bodiesSentOn = channel;
            }
            assignment
                    .setPlan(withCurrentHeaderSets(bodies.planWithoutBodies()))
                    .setBodySetSha256(bodies.digest());
        }
        channel.send(CoordinatorMessage.newBuilder().setAssignment(assignment).build());
    }
}
