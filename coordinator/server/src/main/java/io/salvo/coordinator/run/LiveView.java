package io.salvo.coordinator.run;

import io.salvo.coordinator.cluster.RunStore;
import io.salvo.coordinator.merge.IntervalMerger;
import io.salvo.detect.DetectionEvent;
import io.salvo.detect.LiveDetectors;
import io.salvo.proto.v1.LiveEvent;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.RunState;
import java.util.Map;
import java.util.logging.Logger;

/**
 * A run's live view: the intervals that became complete, in index order, each as one snapshot with the
 * detectors' events of that interval, published to the run's store under consecutive sequence numbers.
 * Watchers on any coordinator read that sequence; a coordinator taking the run over continues it without
 * showing an interval twice.
 *
 * <p>Not thread-safe: the run calls it under one lock, so snapshots are published in index order and none
 * after the terminal one.
 */
final class LiveView {

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

    LiveView(String runId, IntervalMerger merger, LiveDetectors detectors, RunStore store) {
        this.runId = runId;
        this.merger = merger;
        this.detectors = detectors;
        this.store = store;
    }

    /** After a takeover: continues the sequence the previous leader published, after the last interval it showed. */
    void resumeFromStore() {
        for (Map.Entry<Long, byte[]> e : store.snapshots().entrySet()) {
            nextSequence = Math.max(nextSequence, e.getKey() + 1);
            try {
                LiveSnapshot s = LiveSnapshot.parseFrom(e.getValue());
                shownBeforeTakeover = Math.max(shownBeforeTakeover, s.getIntervalIndex());
                lastShownIndex = shownBeforeTakeover;
            } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
                LOG.warning(() -> "run " + runId + ": unreadable snapshot " + e.getKey() + " in the replicated state");
            }
        }
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
                long intervalMicros = snapshot.getIntervalMillis() * 1000L;
                for (DetectionEvent event : detectors.accept(shown.merged())) {
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
                publish(snapshot.build());
            }
        }
    }

    /** The terminal snapshot: the run's final state and message, after every interval it showed. */
    void showEnd(RunState finalState, String message) {
        publish(LiveSnapshot.newBuilder()
                .setRunId(runId)
                .setState(finalState)
                .setMessage(message)
                .setIntervalIndex(Math.max(0, lastShownIndex))
                .build());
    }

    private void publish(LiveSnapshot snapshot) {
        lastShownIndex = Math.max(lastShownIndex, snapshot.getIntervalIndex());
        store.publishSnapshot(nextSequence++, snapshot);
    }
}
