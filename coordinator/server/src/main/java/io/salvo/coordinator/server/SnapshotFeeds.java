package io.salvo.coordinator.server;

import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.salvo.coordinator.cluster.CoordinatorCluster;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.RunState;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * WatchRun on any coordinator: the leader writes each live snapshot to the run's replicated
 * snapshot map under a sequence number, and every coordinator streams that map to its watchers in
 * sequence order. A watcher therefore never depends on which coordinator leads the run, and a
 * takeover continues the same sequence. The n-th snapshot a watcher receives (from 0) is the one stored under
 * sequence n, so a watcher that counts can resume after any of them.
 */
public final class SnapshotFeeds {

    private static final Logger LOG = Logger.getLogger(SnapshotFeeds.class.getName());

    /** Snapshots read back from the map per call when a watcher attaches mid-run. */
    private static final int REPLAY_BATCH = 256;

    private final CoordinatorCluster cluster;
    private final Map<String, Feed> feeds = new ConcurrentHashMap<>();

    SnapshotFeeds(CoordinatorCluster cluster) {
        this.cluster = cluster;
        // An archived run's snapshot map is gone; so goes its feed and the history it kept in memory.
        cluster.archivedRuns()
                .addEntryListener(
                        (EntryAddedListener<String, Long>) e -> {
                            Feed feed = feeds.remove(e.getKey());
                            if (feed != null) {
                                feed.close();
                            }
                        },
                        false);
    }

    /**
     * Replays the run's snapshots so far, then streams new ones until the run ends (then {@code onCompleted}). The
     * returned handle detaches the watcher early, for a watcher that is not a gRPC call (whose cancellation detaches
     * it by itself): the dashboard's event streams, the Prometheus metrics. The watcher is called under the feed's lock: it must hand its work off, never block.
     */
    public Runnable watch(String runId, StreamObserver<LiveSnapshot> watcher) {
        Feed feed;
        try {
            feed = feeds.computeIfAbsent(runId, Feed::new);
        } catch (RuntimeException e) {
            LOG.warning(
                    () -> "run " + runId + ": its live snapshots could not be read for a watcher: " + e.getMessage());
            watcher.onError(Status.UNAVAILABLE
                    .withDescription("the run's live snapshots could not be read: " + e.getMessage())
                    .asRuntimeException());
            return () -> {};
        }
        feed.add(watcher);
        return () -> feed.remove(watcher);
    }

    private final class Feed implements EntryAddedListener<Long, byte[]>, EntryUpdatedListener<Long, byte[]> {
        private final String runId;
        /**
         * The snapshots streamed so far: sequences 0 to this, exclusive. A watcher that attaches later gets them
         * from the replicated map, where they are anyway; a copy kept here cost each coordinator ~2 KB per
         * interval for as long as the run lasted.
         */
        private long streamed;
        /** Arrived ahead of a gap (entry events of different keys may overtake each other). */
        private final TreeMap<Long, LiveSnapshot> early = new TreeMap<>();

        private final CopyOnWriteArrayList<StreamObserver<LiveSnapshot>> watchers = new CopyOnWriteArrayList<>();
        private boolean ended;

        private final UUID registration;
        /** Kept: looking the map up again after the run is archived would re-create it. */
        private final IMap<Long, byte[]> map;

        Feed(String runId) {
            this.runId = runId;
            this.map = cluster.snapshots(runId);
            // Listen first, then read what is there: an entry seen twice is ignored, none is missed.
            registration = map.addEntryListener(this, true);
            try {
                for (Map.Entry<Long, byte[]> e : map.entrySet()) {
                    offer(e.getKey(), e.getValue());
                }
                // Then what was spilled to disk: a snapshot that left the map after it was read above was on this
                // member's disk before it left.
                cluster.spill().snapshots(runId).forEach(this::offer);
            } catch (RuntimeException e) {
                // No feed then (the watcher is told); the next watcher builds it again.
                map.removeEntryListener(registration);
                throw e;
            }
        }

        @Override
        public void entryAdded(com.hazelcast.core.EntryEvent<Long, byte[]> event) {
            offer(event.getKey(), event.getValue());
        }

        @Override
        public void entryUpdated(com.hazelcast.core.EntryEvent<Long, byte[]> event) {
            offer(event.getKey(), event.getValue());
        }

        private synchronized void offer(long seq, byte[] bytes) {
            if (seq < streamed || early.containsKey(seq)) {
                return;
            }
            LiveSnapshot snapshot = parse(seq, bytes);
            if (snapshot == null) {
                return;
            }
            early.put(seq, snapshot);
            while (!ended && !early.isEmpty() && early.firstKey() == streamed) {
                LiveSnapshot next = early.pollFirstEntry().getValue();
                streamed++;
                boolean last = terminal(next.getState());
                for (StreamObserver<LiveSnapshot> watcher : watchers) {
                    try {
                        watcher.onNext(next);
                        if (last) {
                            watcher.onCompleted();
                        }
                    } catch (RuntimeException e) {
                        watchers.remove(watcher);
                        LOG.log(Level.FINE, "watcher gone", e);
                    }
                }
                if (last) {
                    ended = true;
                    watchers.clear();
                }
            }
        }

        synchronized void close() {
            map.removeEntryListener(registration);
            for (StreamObserver<LiveSnapshot> watcher : watchers) {
                try {
                    watcher.onCompleted();
                } catch (RuntimeException e) {
                    LOG.log(Level.FINE, "watcher gone", e);
                }
            }
            watchers.clear();
        }

        /**
         * Sends the watcher the snapshots of sequences {@code first} to {@code end} (exclusive), read back from the
         * map in order, a batch at a time. False when that failed: the snapshots are no longer all there (the run
         * was archived meanwhile; the watcher was completed) or the map could not be read (the watcher was given
         * the error).
         */
        private boolean replay(StreamObserver<LiveSnapshot> watcher, long first, long end) {
            for (long from = first; from < end; from += REPLAY_BATCH) {
                Set<Long> keys = new HashSet<>();
                for (long seq = from; seq < Math.min(end, from + REPLAY_BATCH); seq++) {
                    keys.add(seq);
                }
                Map<Long, byte[]> batch;
                try {
                    batch = new HashMap<>(map.getAll(keys));
                    if (batch.size() < keys.size()) {
                        // Older snapshots are on this coordinator's disk: read after the map, so one spilled
                        // in between is found there.
                        keys.removeAll(batch.keySet());
                        batch.putAll(cluster.spill().snapshots(runId, keys));
                    }
                } catch (RuntimeException e) {
                    LOG.warning(() -> "run " + runId + ": replaying live snapshots to a watcher failed: " + e);
                    watcher.onError(Status.UNAVAILABLE
                            .withDescription("the run's live snapshots could not be read: " + e.getMessage())
                            .asRuntimeException());
                    return false;
                }
                for (long seq = from; seq < Math.min(end, from + REPLAY_BATCH); seq++) {
                    byte[] bytes = batch.get(seq);
                    LiveSnapshot snapshot = bytes == null ? null : parse(seq, bytes);
                    if (snapshot == null) {
                        long missing = seq;
                        LOG.warning(() -> "run " + runId + ": live snapshot " + missing + " is gone from the "
                                + "replicated state and this coordinator's disk; a watcher's replay ends there");
                        watcher.onCompleted();
                        return false;
                    }
                    watcher.onNext(snapshot);
                }
            }
            return true;
        }

        private LiveSnapshot parse(long seq, byte[] bytes) {
            try {
                return LiveSnapshot.parseFrom(bytes);
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                LOG.warning(() -> "run " + runId + ": unreadable live snapshot " + seq);
                return null;
            }
        }

        void remove(StreamObserver<LiveSnapshot> watcher) {
            watchers.remove(watcher);
        }

        void add(StreamObserver<LiveSnapshot> watcher) {
            long replayed;
            synchronized (this) {
                replayed = streamed;
            }
            // The bulk of the replay outside the feed's lock: snapshot events (a Hazelcast event thread, shared
            // with other listeners) keep flowing meanwhile. The watcher is not streamed to before it is added.
            if (!replay(watcher, 0, replayed)) {
                return;
            }
            synchronized (this) {
                if (!replay(watcher, replayed, streamed)) {
                    return;
                }
                if (ended) {
                    watcher.onCompleted();
                    return;
                }
                watchers.add(watcher);
            }
            if (watcher instanceof ServerCallStreamObserver<LiveSnapshot> call) {
                call.setOnCancelHandler(() -> watchers.remove(watcher));
            }
        }
    }

    private static boolean terminal(RunState state) {
        return state == RunState.RUN_STATE_COMPLETED
                || state == RunState.RUN_STATE_STOPPED
                || state == RunState.RUN_STATE_FAILED;
    }
}
