package io.salvo.coordinator.server;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.grpc.stub.StreamObserver;
import io.salvo.coordinator.clock.WallClock;
import io.salvo.coordinator.cluster.CoordinatorCluster;
import io.salvo.coordinator.cluster.Liveness;
import io.salvo.coordinator.cluster.WorkerEnvelope;
import io.salvo.coordinator.cluster.WorkerLocation;
import io.salvo.coordinator.run.WorkerChannel;
import io.salvo.coordinator.run.WorkerDirectory;
import io.salvo.proto.v1.CoordinatorMessage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Every worker of the coordinator cluster as this coordinator sees it, by id: local sessions for the
 * streams it holds, remote ones for streams other coordinators hold (mirrored from
 * {@code salvo.workers}). The leader plans runs over all of them and talks to remote ones through
 * the cluster; which coordinator a worker is connected to does not matter to a run.
 */
public final class WorkerRegistry implements WorkerDirectory {

    private static final Logger LOG = Logger.getLogger(WorkerRegistry.class.getName());

    private static final Listener IGNORE = new Listener() {
        @Override
        public void attached(WorkerChannel worker) {}

        @Override
        public void streamClosed(WorkerChannel worker) {}

        @Override
        public void holderLeft(WorkerChannel worker) {}
    };

    /** Concurrent: sessions are removed while it is scanned. */
    private final ConcurrentHashMap<String, WorkerSession> sessions = new ConcurrentHashMap<>();

    private final CoordinatorCluster cluster;
    private final WallClock clock;
    /** Serializes cluster-side changes (entry events, member departures) so they apply in order. */
    private final ExecutorService clusterEvents;

    private volatile Listener listener = IGNORE;

    WorkerRegistry(CoordinatorCluster cluster, WallClock clock, ExecutorService clusterEvents) {
        this.cluster = cluster;
        this.clock = clock;
        this.clusterEvents = clusterEvents;
        cluster.workers().addEntryListener(new LocationListener(), true);
        cluster.onMemberLeft(this::onMemberLeft);
        cluster.onMerged(this::republishAfterMerge);
        cluster.liveness().addMessageListener(message -> onLiveness(Liveness.decode(message.getMessageObject())));
        cluster.toWorkers().addMessageListener(message -> forward(WorkerEnvelope.decode(message.getMessageObject())));
    }

    @Override
    public void listener(Listener listener) {
        this.listener = listener;
    }

    // ---------------------------------------------------------------------------------------
    // Streams this coordinator holds
    // ---------------------------------------------------------------------------------------

    /**
     * Registers a local session; false when a live local stream already uses that worker id. A
     * previous local session that is closed, or silent for longer than {@code staleAfterNanos} (a
     * half-open connection the transport has not noticed yet), gives way to the new one: the worker
     * is reconnecting. So does a remote one: the worker left another coordinator for this one.
     */
    boolean register(WorkerSession session, long nowUnixNanos, long staleAfterNanos) {
        WorkerSession previous;
        synchronized (this) {
            previous = sessions.get(session.workerId());
            if (previous != null
                    && previous.local()
                    && !previous.closed()
                    && nowUnixNanos - previous.lastHeardUnixNanos() <= staleAfterNanos) {
                return false;
            }
            sessions.put(session.workerId(), session);
        }
        if (previous != null) {
            // Superseded, not lost: the new stream takes over the worker's run once it is published.
            if (previous.local()) {
                previous.close(io.grpc.Status.ABORTED
                        .withDescription("replaced by a new stream of the same worker")
                        .asRuntimeException());
            } else {
                previous.markClosed();
            }
        }
        notifyWaiters();
        return true;
    }

    /**
     * Makes a local session known to the cluster once its clock has been probed, and tells the
     * leader's runs it is there.
     */
    void publish(WorkerSession session) {
        if (session.closed() || sessions.get(session.workerId()) != session) {
            return;
        }
        cluster.workers().set(session.workerId(), session.location().encode());
        session.markPublished();
        listener.attached(session);
    }

    /**
     * This coordinator's side of a partition merged into the other: Hazelcast merged its worker entries without
     * telling anyone's listeners (and the other side's leader dropped them when this member left), so every stream
     * held here is published again, for the leader to see.
     */
    private void republishAfterMerge() {
        for (WorkerSession s : sessions.values()) {
            if (s.local() && s.published() && !s.closed()) {
                try {
                    cluster.workers().set(s.workerId(), s.location().encode());
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "could not publish worker " + s.workerId() + " again after a merge", e);
                }
            }
        }
    }

    /** Refreshes the published clock estimate after more probe replies. */
    void republishClock(WorkerSession session) {
        if (session.published() && !session.closed() && sessions.get(session.workerId()) == session) {
            cluster.workers().set(session.workerId(), session.location().encode());
        }
    }

    /** A local stream ended. */
    void unregister(WorkerSession session) {
        boolean current = sessions.remove(session.workerId(), session);
        if (current && session.published()) {
            // A superseded stream leaves the entry to its successor, which overwrites it.
            removeLocation(session.workerId(), session.connectionId());
        }
        notifyWaiters();
        if (current) {
            listener.streamClosed(session);
        }
    }

    /** Removes the worker's entry only if it still names this stream: a newer stream elsewhere wins. */
    private void removeLocation(String workerId, String connectionId) {
        try {
            IMap<String, byte[]> workers = cluster.workers();
            byte[] value = workers.get(workerId);
            if (value != null && WorkerLocation.decode(value).connectionId().equals(connectionId)) {
                workers.remove(workerId, value);
            }
        } catch (com.hazelcast.core.HazelcastInstanceNotActiveException e) {
            // This coordinator is shutting down; the next leader clears its entries.
        }
    }

    /** Every second: how long each worker whose stream this coordinator holds has been silent. */
    void publishLiveness() {
        if (cluster.alone()) {
            return; // only the other coordinators need it: this one judges its own streams directly
        }
        long now = clock.unixNanos();
        List<Liveness.Entry> entries = new ArrayList<>();
        for (WorkerSession s : sessions.values()) {
            if (s.local() && s.published() && !s.closed()) {
                entries.add(new Liveness.Entry(s.workerId(), s.connectionId(), s.silentNanos(now)));
            }
        }
        if (!entries.isEmpty()) {
            cluster.liveness().publish(new Liveness(cluster.memberId(), entries).encode());
        }
    }

    /** A message for a worker whose stream this coordinator holds, from the leader elsewhere. */
    private void forward(WorkerEnvelope envelope) {
        if (!envelope.holderMemberId().equals(cluster.memberId())) {
            return;
        }
        WorkerSession session = sessions.get(envelope.workerId());
        if (session == null || !session.local() || !session.connectionId().equals(envelope.connectionId())) {
            return; // the stream is gone; the leader learns that from salvo.workers
        }
        CoordinatorMessage message = envelope.message();
        if (message.hasAssignment()) {
            // The leader stated the start in its clock; the worker's offset is to ours. Bridge the two
            // coordinators' clocks through Hazelcast's cluster clock.
            long leaderMinusUsNanos =
                    (envelope.senderClusterTimeOffsetMillis() - cluster.clusterTimeOffsetMillis()) * 1_000_000L;
            message = message.toBuilder()
                    .setAssignment(message.getAssignment().toBuilder()
                            .setWorkerClockOffsetNanos(session.clockOffsetNanos() - leaderMinusUsNanos))
                    .build();
        }
        session.send(message);
    }

    // ---------------------------------------------------------------------------------------
    // Streams other coordinators hold
    // ---------------------------------------------------------------------------------------

    /** Relays a remote session's messages to the coordinator that holds its stream. */
    private StreamObserver<CoordinatorMessage> relayTo(WorkerLocation location) {
        return new StreamObserver<>() {
            @Override
            public void onNext(CoordinatorMessage message) {
                cluster.toWorkers()
                        .publish(new WorkerEnvelope(
                                        location.holderMemberId(),
                                        location.hello().getWorkerId(),
                                        location.connectionId(),
                                        cluster.clusterTimeOffsetMillis(),
                                        message)
                                .encode());
            }

            @Override
            public void onError(Throwable t) {
                // Only the holder can end the worker's stream.
            }

            @Override
            public void onCompleted() {
                // Only the holder can end the worker's stream.
            }
        };
    }

    private final class LocationListener
            implements EntryAddedListener<String, byte[]>,
                    EntryUpdatedListener<String, byte[]>,
                    EntryRemovedListener<String, byte[]> {
        @Override
        public void entryAdded(EntryEvent<String, byte[]> event) {
            byte[] value = event.getValue();
            clusterEvents.execute(() -> onLocation(value));
        }

        @Override
        public void entryUpdated(EntryEvent<String, byte[]> event) {
            byte[] value = event.getValue();
            clusterEvents.execute(() -> onLocation(value));
        }

        @Override
        public void entryRemoved(EntryEvent<String, byte[]> event) {
            byte[] old = event.getOldValue();
            if (old != null) {
                clusterEvents.execute(() -> onLocationRemoved(old));
            }
        }
    }

    private void onLocation(byte[] value) {
        WorkerLocation location;
        try {
            location = WorkerLocation.decode(value);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "unreadable worker entry in the cluster state", e);
            return;
        }
        if (location.holderMemberId().equals(cluster.memberId())
                || !cluster.memberIds().contains(location.holderMemberId())) {
            return; // our own stream, or an entry of a coordinator that already left
        }
        WorkerSession created;
        synchronized (this) {
            WorkerSession existing = sessions.get(location.hello().getWorkerId());
            if (existing != null && !existing.local() && existing.connectionId().equals(location.connectionId())) {
                existing.updateRemote(location);
                return;
            }
            created = WorkerSession.remote(location, relayTo(location), clock.unixNanos());
            sessions.put(created.workerId(), created);
            if (existing != null) {
                // Last connection wins: the worker reconnected to another coordinator.
                existing.markClosed();
            }
        }
        notifyWaiters();
        listener.attached(created);
    }

    private void onLocationRemoved(byte[] old) {
        WorkerLocation location = WorkerLocation.decode(old);
        if (location.holderMemberId().equals(cluster.memberId())) {
            return;
        }
        WorkerSession existing = sessions.get(location.hello().getWorkerId());
        if (existing != null
                && !existing.local()
                && existing.connectionId().equals(location.connectionId())
                && sessions.remove(existing.workerId(), existing)) {
            existing.markClosed();
            notifyWaiters();
            listener.streamClosed(existing);
        }
    }

    private void onMemberLeft(String memberId) {
        // On the membership thread, before leadership is re-evaluated: a new leader must see these
        // workers as waiting to reconnect, never as lost.
        List<WorkerSession> detached = new ArrayList<>();
        synchronized (this) {
            for (WorkerSession s : sessions.values()) {
                if (!s.local() && s.holderMemberId().equals(memberId) && sessions.remove(s.workerId(), s)) {
                    s.markClosed();
                    detached.add(s);
                }
            }
        }
        notifyWaiters();
        detached.forEach(listener::holderLeft);
        // The departed coordinator cannot remove its own entries; the leader does, once.
        clusterEvents.execute(() -> {
            if (!cluster.isLeader()) {
                return;
            }
            IMap<String, byte[]> workers = cluster.workers();
            for (Map.Entry<String, byte[]> e : workers.entrySet()) {
                if (WorkerLocation.decode(e.getValue()).holderMemberId().equals(memberId)) {
                    workers.remove(e.getKey(), e.getValue());
                }
            }
        });
    }

    private void onLiveness(Liveness liveness) {
        if (liveness.holderMemberId().equals(cluster.memberId())) {
            return;
        }
        long now = clock.unixNanos();
        for (Liveness.Entry e : liveness.entries()) {
            WorkerSession s = sessions.get(e.workerId());
            if (s != null && !s.local() && s.connectionId().equals(e.connectionId())) {
                s.heardRemotely(e.silentForNanos(), now);
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // Queries
    // ---------------------------------------------------------------------------------------

    public WorkerSession get(String workerId) {
        return sessions.get(workerId);
    }

    /** Every worker session, local and remote. */
    @Override
    public List<WorkerSession> all() {
        return new ArrayList<>(sessions.values());
    }

    /** Connected workers not assigned to a run, sorted by id so run plans are reproducible. */
    public List<WorkerSession> idle() {
        List<WorkerSession> idle = new ArrayList<>();
        for (WorkerSession s : sessions.values()) {
            if (!s.closed() && s.runId() == null) {
                idle.add(s);
            }
        }
        idle.sort(Comparator.comparing(WorkerSession::workerId));
        return idle;
    }

    /** Workers connected to any coordinator of the cluster. */
    public int connected() {
        return sessions.size();
    }

    /** Waits until at least {@code count} workers are idle or the time is up; returns the idle list. */
    @Override
    public List<WorkerSession> awaitIdle(int count, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        synchronized (this) {
            while (true) {
                List<WorkerSession> idle = idle();
                long remainingMillis = (deadline - System.nanoTime()) / 1_000_000L;
                if (idle.size() >= count || remainingMillis <= 0) {
                    return idle;
                }
                wait(Math.min(remainingMillis, 100));
            }
        }
    }

    /** Waits until the idle workers satisfy {@code enough} or the time is up; returns the idle list. */
    @Override
    public List<WorkerSession> awaitIdle(
            java.util.function.Predicate<List<? extends WorkerChannel>> enough, long timeoutMillis)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        synchronized (this) {
            while (true) {
                List<WorkerSession> idle = idle();
                long remainingMillis = (deadline - System.nanoTime()) / 1_000_000L;
                if (enough.test(idle) || remainingMillis <= 0) {
                    return idle;
                }
                wait(Math.min(remainingMillis, 100));
            }
        }
    }

    private synchronized void notifyWaiters() {
        notifyAll();
    }
}
