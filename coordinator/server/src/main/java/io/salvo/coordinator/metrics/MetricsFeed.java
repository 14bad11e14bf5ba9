package io.salvo.coordinator.metrics;

import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import io.grpc.stub.StreamObserver;
import io.salvo.coordinator.cluster.CoordinatorCluster;
import io.salvo.coordinator.server.SnapshotFeeds;
import io.salvo.proto.v1.LiveSnapshot;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps a {@link PrometheusMetrics} fed with every run of the coordinator cluster, whichever coordinator leads it:
 * it learns of runs from the cluster's replicated run records (those there when attached, then each new one) and
 * follows each run's snapshot feed, which replays the run's history and then streams it live, across takeovers.
 * Archived runs are not followed (their snapshots are gone).
 *
 * <p>Wiring, for the coordinator's HTTP router: {@code MetricsFeed.attach(server.cluster(), server.snapshotFeeds(),
 * metrics)} once, and {@code /metrics} answers {@code metrics.scrape()} with {@link PrometheusMetrics#contentType()}.
 */
public final class MetricsFeed implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(MetricsFeed.class.getName());

    private final CoordinatorCluster cluster;
    private final SnapshotFeeds feeds;
    private final PrometheusMetrics metrics;
    private final IMap<String, byte[]> runs;
    private final UUID registration;
    /** Runs followed (ended ones included), with the handle that stops following. */
    private final Map<String, Runnable> followed = new ConcurrentHashMap<>();

    private volatile boolean closed;

    private final ExecutorService followers = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "salvo-metrics-feed");
        t.setDaemon(true);
        return t;
    });

    private MetricsFeed(CoordinatorCluster cluster, SnapshotFeeds feeds, PrometheusMetrics metrics) {
        this.cluster = cluster;
        this.feeds = feeds;
        this.metrics = metrics;
        this.runs = cluster.runs();
        // Listen first, then read what is there: a run seen twice is followed once, none is missed. Following
        // registers a listener of its own, a cluster call that is not made on Hazelcast's event thread.
        this.registration = runs.addEntryListener(
                (EntryAddedListener<String, byte[]>) e -> {
                    try {
                        followers.execute(() -> follow(e.getKey()));
                    } catch (RejectedExecutionException closing) {
                        // closed meanwhile: nothing more to follow
                    }
                },
                false);
        for (String runId : runs.keySet()) {
            follow(runId);
        }
    }

    /** Feeds {@code metrics} with every run of {@code cluster} from now on, until closed. */
    public static MetricsFeed attach(CoordinatorCluster cluster, SnapshotFeeds feeds, PrometheusMetrics metrics) {
        return new MetricsFeed(cluster, feeds, metrics);
    }

    private void follow(String runId) {
        if (closed || cluster.archivedRuns().containsKey(runId)) {
            return;
        }
        followed.computeIfAbsent(runId, id -> {
            try {
                return feeds.watch(id, new Recorder(id));
            } catch (RuntimeException e) {
                // A run the cluster cannot give a feed for (shutting down) must not stop the others.
                LOG.log(Level.WARNING, "run " + id + ": not followed for /metrics", e);
                return () -> {};
            }
        });
    }

    /** Whether the feed follows {@code runId}. */
    public boolean follows(String runId) {
        return followed.containsKey(runId);
    }

    @Override
    public void close() {
        closed = true;
        runs.removeEntryListener(registration);
        followers.shutdownNow();
        followed.values().forEach(Runnable::run);
        followed.clear();
    }

    private final class Recorder implements StreamObserver<LiveSnapshot> {
        private final String runId;

        Recorder(String runId) {
            this.runId = runId;
        }

        @Override
        public void onNext(LiveSnapshot s) {
            metrics.record(runId, s);
        }

        @Override
        public void onError(Throwable t) {
            LOG.log(Level.FINE, "run " + runId + ": snapshot feed failed", t);
        }

        @Override
        public void onCompleted() {
            // The run ended or was archived. It stays in `followed` (calling back into the map here could be
            // inside its computeIfAbsent), so it is never followed again.
        }
    }
}
