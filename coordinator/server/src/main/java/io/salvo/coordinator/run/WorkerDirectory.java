package io.salvo.coordinator.run;

import java.util.List;

/**
 * Every worker of the coordinator cluster, wherever its stream is held: what runs are started on and
 * told about. The coordinator's worker registry implements it; tests implement it without a network.
 */
public interface WorkerDirectory {

    /** What happens to workers, for the leader's runs. Called on cluster or stream threads. */
    interface Listener {
        /** A new stream for this worker, local or remote, is ready (its clock has been probed). */
        void attached(WorkerChannel worker);

        /** The worker's stream ended while the coordinator holding it lives: the worker is gone. */
        void streamClosed(WorkerChannel worker);

        /** The coordinator holding the worker's stream left the cluster: the worker will reconnect elsewhere. */
        void holderLeft(WorkerChannel worker);
    }

    /** Sets the one listener. */
    void listener(Listener listener);

    /** Every connected worker. */
    List<? extends WorkerChannel> all();

    /**
     * Waits until at least {@code count} workers are idle or {@code timeoutMillis} has passed; returns the
     * idle ones, sorted by id so run plans are reproducible.
     */
    List<? extends WorkerChannel> awaitIdle(int count, long timeoutMillis) throws InterruptedException;

    /**
     * Waits until the idle workers satisfy {@code enough} or {@code timeoutMillis} has passed; returns the idle ones,
     * sorted by id. This default asks once and does not wait: a directory whose workers come and go overrides it.
     */
    default List<? extends WorkerChannel> awaitIdle(
            java.util.function.Predicate<List<? extends WorkerChannel>> enough, long timeoutMillis)
            throws InterruptedException {
        return awaitIdle(0, 0);
    }
}
