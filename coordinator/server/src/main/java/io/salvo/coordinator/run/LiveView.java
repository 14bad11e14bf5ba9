package io.salvo.coordinator.run;

import io.salvo.coordinator.cluster.RunStore;
import io.salvo.coordinator.merge.IntervalMerger;
import io.salvo.detect.DetectionEvent;
import io.salvo.detect.IntervalObservation;
import io.salvo.detect.LiveDetectors;
import io.salvo.proto.v1.CoordinatorTakeover;
import io.salvo.proto.v1.InstanceFirstResponse;
import io.salvo.proto.v1.LiveEvent;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.MergedInterval;
import io.salvo.proto.v1.Reslice;
import io.salvo.proto.v1.RunState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * A run's live view: the intervals that became complete, in index order, each as one snapshot with the
 * detectors' events of that interval, published to the run's store under consecutive sequence numbers.
 * Watchers on any coordinator read that sequence; a coordinator taking the run over continues it without
 * showing an interval twice.
 *
 * <p>Besides the detectors' events, each snapshot carries the run's own (a worker lost, a re-slice, a
 * takeover) in the interval they happened in, and the run's cumulative counts (workers lost, cold starts), for the
 * whole run and, in a run with regions, for each region (with its connected workers and responding instances).
 * Which of the run's events were shown is read back from the published snapshots after a takeover, and the
 * run's record holds the events themselves, so a new leader shows exactly those its predecessor did not.
 *
 * <p>Not thread-safe: the run calls it under one lock, so snapshots are published in index order and none
 * after the terminal one.
 */
final class LiveView {

    /**
     * A worker the run declared lost: its region (as its hello said), when (Unix ns) and why ("" when a new leader
     * no longer knows).
     */
    record LostWorker(String workerId, String region, long atUnixNanos, String how) {}

    /**
     * The run's own events as its state has them when an interval is shown, taken under the run's lock:
     * the lists only grow, in the order things happened (reslices and takeovers are the run's record).
     */
    record RunEvents(
            int workersConnected,
            Map<String, Integer> workersConnectedByRegion,
            List<LostWorker> lost,
            List<Reslice> reslices,
            List<CoordinatorTakeover> takeovers) {}

    private static final Logger LOG = Logger.getLogger(LiveView.class.getName());

    private final String runId;
    private final IntervalMerger merger;
    /** Fed each interval as it is shown; the final report re-runs them over all data, late reports included. */
    private final LiveDetectors detectors;

    private final RunStore store;
    private long nextSequence;
    /** Intervals up to this index were shown by a previous leader: fed to the detectors again, not re-published. */
    private long shownBeforeTakeover = -1;

    private long lastShownIndex = -1;

    private final long startUnixNanos;
    private final long intervalNanos;
    private final Supplier<RunEvents> runEvents;
    /** What the client driving the platform under test reported, for the next snapshot; thread-safe on its own. */
    private final PlatformFeed platform = new PlatformFeed();
    /** Workers whose loss was shown (its count is the snapshots' {@code workers_lost}). */
    private final Set<String> lostShown = new HashSet<>();
    /** How many of the run's re-slices and takeovers were shown: both lists only grow, in order. */
    private int reslicesShown;

    private int takeoversShown;
    /** Cold starts the detectors found so far, shown intervals re-fed after a takeover included. */
    private long coldStarts;
    /** The count the previous leader published last: never shown lower, should a replay find fewer. */
    private long coldStartsBeforeTakeover;
    /** The response header naming the instance that served a response (the detectors' setting). */
    private final String instanceHeader;
    /**
     * Each instance's region: the region whose workers got its first response (the earliest by the workers' marks
     * when several regions first saw it in one interval, else the first in plan order). A cold start counts there.
     */
    private final Map<String, String> instanceRegion = new HashMap<>();
    /** Per region, as {@link #coldStarts} and {@link #coldStartsBeforeTakeover}. */
    private final Map<String, Long> coldStartsByRegion = new HashMap<>();

    private final Map<String, Long> coldStartsByRegionBeforeTakeover = new HashMap<>();
    /** The plan's regions as the shown snapshots name them, in plan order; empty for a run without regions. */
    private List<String> regionNames = List.of();

    LiveView(
            String runId,
            long startUnixNanos,
            long intervalNanos,
            IntervalMerger merger,
            LiveDetectors detectors,
            String instanceHeader,
            RunStore store,
            Supplier<RunEvents> runEvents) {
        this.runId = runId;
        this.instanceHeader = instanceHeader;
        this.startUnixNanos = startUnixNanos;
        this.intervalNanos = intervalNanos;
        this.merger = merger;
        this.detectors = detectors;
        this.store = store;
        this.runEvents = runEvents;
    }

    /** After a takeover: continues the sequence the previous leader published, after the last interval it showed. */
    void resumeFromStore() {
        for (Map.Entry<Long, byte[]> e : store.snapshots().entrySet()) {
            nextSequence = Math.max(nextSequence, e.getKey() + 1);
            try {
                LiveSnapshot s = LiveSnapshot.parseFrom(e.getValue());
                shownBeforeTakeover = Math.max(shownBeforeTakeover, s.getIntervalIndex());
                lastShownIndex = shownBeforeTakeover;
                coldStartsBeforeTakeover = Math.max(coldStartsBeforeTakeover, s.getColdStarts());
                for (LiveSnapshot region : s.getRegionsList()) {
                    coldStartsByRegionBeforeTakeover.merge(region.getRegion(), region.getColdStarts(), Math::max);
                }
                for (LiveEvent event : s.getLiveEventsList()) {
                    switch (event.getKind()) {
                        case LIVE_EVENT_KIND_WORKER_LOST -> lostShown.add(event.getWorkerId());
                        case LIVE_EVENT_KIND_RESLICE -> reslicesShown++;
                        case LIVE_EVENT_KIND_TAKEOVER -> takeoversShown++;
                        default -> {}
                    }
                }
            } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
                LOG.warning(() -> "run " + runId + ": unreadable snapshot " + e.getKey() + " in the replicated state");
            }
        }
    }

    /** Where {@code ReportPlatform} puts the platform's counts and events; safe from any thread. */
    PlatformFeed platform() {
        return platform;
    }

    /** Whether an interval is due to be shown at {@code nowUnixNanos}; cheap enough for every tick. */
    boolean due(long nowUnixNanos) {
        return merger.showDue(nowUnixNanos);
    }

    /** Shows every interval complete at {@code nowUnixNanos} (all of them with {@link Long#MAX_VALUE}). */
    void showCompleted(long nowUnixNanos, RunState state) {
        for (IntervalMerger.ShownInterval shown : merger.pollShown(nowUnixNanos)) {
            long index = shown.snapshot().getIntervalIndex();
            boolean alreadyShown = index <= shownBeforeTakeover;
            LiveSnapshot.Builder snapshot =
                    shown.snapshot().toBuilder().setRunId(runId).setState(state);
            try {
                observeRegions(shown.merged(), snapshot);
                long intervalMicros = snapshot.getIntervalMillis() * 1000L;
                for (DetectionEvent event : detectors.accept(shown.merged())) {
                    if (event instanceof DetectionEvent.ColdStart coldStart) {
                        coldStarts++;
                        String region = instanceRegion.get(coldStart.instanceId());
                        if (region != null) {
                            coldStartsByRegion.merge(region, 1L, Long::sum);
                        }
                    }
                    if (event instanceof DetectionEvent.InstancesInInterval instances) {
                        snapshot.setRespondingInstances(instances.respondingInstances())
                                .setNewInstances(instances.newInstances());
                    }
                    LiveEvent live = EventLines.toLiveEvent(event, intervalMicros);
                    if (live != null && !alreadyShown) {
                        snapshot.addEvents(live.getText()).addLiveEvents(live);
                        LOG.info(() -> "run " + runId + ": " + live.getText());
                    }
                }
            } catch (RuntimeException e) {
                // A detector problem must never cost the run its live view.
                LOG.warning(() -> "run " + runId + ": detectors failed on interval " + index + ": " + e);
            }
            if (!alreadyShown) {
                addRunEvents(snapshot, index);
                publish(snapshot.build());
            }
        }
    }

    /**
     * The regions' own instance figures for one interval: each region snapshot's responding instances (those that
     * answered the region's workers), and the region of every instance first seen now, which its cold start, once
     * the detectors decide it, counts in.
     */
    private void observeRegions(MergedInterval merged, LiveSnapshot.Builder snapshot) {
        if (merged.getRegionsCount() == 0) {
            return;
        }
        Map<String, Long> firstResponseOffset = new HashMap<>();
        Map<String, String> firstSeenIn = new HashMap<>();
        Map<String, Integer> respondingByRegion = new HashMap<>();
        for (MergedInterval region : merged.getRegionsList()) {
            Set<String> instances = IntervalObservation.responsesByInstance(region, instanceHeader)
                    .keySet();
            respondingByRegion.put(region.getRegion(), instances.size());
            for (String instance : instances) {
                if (!instanceRegion.containsKey(instance)) {
                    firstSeenIn.putIfAbsent(instance, region.getRegion());
                }
            }
            for (InstanceFirstResponse first : region.getInstanceFirstResponsesList()) {
                String instance = first.getInstanceId();
                if (instanceRegion.containsKey(instance)) {
                    continue;
                }
                Long earliest = firstResponseOffset.get(instance);
                if (earliest == null || first.getCompletedOffsetMicros() < earliest) {
                    firstResponseOffset.put(instance, first.getCompletedOffsetMicros());
                    firstSeenIn.put(instance, region.getRegion());
                }
            }
        }
        instanceRegion.putAll(firstSeenIn);
        regionNames =
                merged.getRegionsList().stream().map(MergedInterval::getRegion).toList();
        for (LiveSnapshot.Builder region : snapshot.getRegionsBuilderList()) {
            region.setRespondingInstances(respondingByRegion.getOrDefault(region.getRegion(), 0));
        }
    }

    /** The terminal snapshot: the run's final state and message, after every interval it showed. */
    void showEnd(RunState finalState, String message) {
        LiveSnapshot.Builder end = LiveSnapshot.newBuilder()
                .setRunId(runId)
                .setState(finalState)
                .setMessage(message)
                .setIntervalIndex(Math.max(0, lastShownIndex));
        // each region's final counts (workers, losses, cold starts), so that views of a region end as the run does
        for (String region : regionNames) {
            end.addRegions(LiveSnapshot.newBuilder().setRegion(region).setState(finalState));
        }
        addRunEvents(end, Long.MAX_VALUE);
        publish(end.build());
    }

    /**
     * Adds the run's events not shown yet that happened up to the end of interval {@code index}, and the
     * run's counts after them. An event waits for the snapshot of the interval it happened in, so a marker
     * drawn at the snapshot's interval is drawn where it belongs.
     */
    private void addRunEvents(LiveSnapshot.Builder snapshot, long index) {
        RunEvents now;
        try {
            now = runEvents.get();
        } catch (RuntimeException e) {
            // Like a detector problem, this must never cost the run its live view.
            LOG.warning(() -> "run " + runId + ": run events unavailable for interval " + index + ": " + e);
            return;
        }
        List<LiveEvent> due = new ArrayList<>();
        for (LostWorker w : now.lost()) {
            if (!lostShown.contains(w.workerId()) && intervalOf(w.atUnixNanos()) <= index) {
                lostShown.add(w.workerId());
                due.add(EventLines.workerLost(w.workerId(), w.how(), offsetMicros(w.atUnixNanos())));
            }
        }
        while (reslicesShown < now.reslices().size()) {
            Reslice r = now.reslices().get(reslicesShown);
            if (intervalOf(r.getAtUnixNanos()) > index) {
                break;
            }
            reslicesShown++;
            due.add(EventLines.reslice(r, offsetMicros(r.getAtUnixNanos())));
        }
        while (takeoversShown < now.takeovers().size()) {
            CoordinatorTakeover t = now.takeovers().get(takeoversShown);
            if (intervalOf(t.getAtUnixNanos()) > index) {
                break;
            }
            takeoversShown++;
            due.add(EventLines.takeover(t, offsetMicros(t.getAtUnixNanos())));
        }
        due.sort(Comparator.comparingLong(LiveEvent::getOffsetMicros));
        for (LiveEvent e : due) {
            snapshot.addEvents(e.getText()).addLiveEvents(e);
            LOG.info(() -> "run " + runId + ": " + e.getText());
        }
        // the platform's events come last: they are the platform's view, reported by a client, not the run's
        platform.drainInto(snapshot, startUnixNanos);
        snapshot.setWorkersConnected(now.workersConnected())
                .setWorkersLost(lostShown.size())
                .setColdStarts(Math.max(coldStarts, coldStartsBeforeTakeover));
        Map<String, Integer> lostByRegion = new HashMap<>();
        for (LostWorker w : now.lost()) {
            if (lostShown.contains(w.workerId())) {
                lostByRegion.merge(w.region(), 1, Integer::sum);
            }
        }
        for (LiveSnapshot.Builder region : snapshot.getRegionsBuilderList()) {
            String name = region.getRegion();
            region.setWorkersConnected(now.workersConnectedByRegion().getOrDefault(name, 0))
                    .setWorkersLost(lostByRegion.getOrDefault(name, 0))
                    .setColdStarts(Math.max(
                            coldStartsByRegion.getOrDefault(name, 0L),
                            coldStartsByRegionBeforeTakeover.getOrDefault(name, 0L)));
        }
    }

    private long offsetMicros(long atUnixNanos) {
        return (atUnixNanos - startUnixNanos) / 1000;
    }

    /** The interval an instant falls in; instants before the start count as interval 0. */
    private long intervalOf(long atUnixNanos) {
        return Math.max(0, atUnixNanos - startUnixNanos) / intervalNanos;
    }

    private void publish(LiveSnapshot snapshot) {
        lastShownIndex = Math.max(lastShownIndex, snapshot.getIntervalIndex());
        store.publishSnapshot(nextSequence++, snapshot);
    }
}
