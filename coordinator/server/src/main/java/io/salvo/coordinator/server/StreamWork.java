package io.salvo.coordinator.server;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One worker stream's work, in arrival order. A worker's messages are handled on the transport
 * thread that received them when that cannot wait on anything (a heartbeat, a report the leader
 * merges on arrival): no hand-off to another thread and back per message, which for a thousand
 * workers was a measurable part of the coordinator's CPU. Work that may wait on the cluster goes to
 * a pool, and so does everything the stream delivers after it until the pool has caught up, so a
 * stream's messages still take effect in the order they were sent.
 *
 * <p>Assumptions: {@link #idle} and {@link #submit} are called by the stream's transport callbacks,
 * which gRPC never runs concurrently for one call.
 */
final class StreamWork {

    private static final Logger LOG = Logger.getLogger(StreamWork.class.getName());

    private final Executor pool;
    private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
    private boolean draining;

    StreamWork(Executor pool) {
        this.pool = pool;
    }

    /** True when nothing of this stream is queued or running on the pool: the caller may work inline. */
    synchronized boolean idle() {
        return !draining;
    }

    /** Runs {@code work} on the pool after everything submitted before it. */
    void submit(Runnable work) {
        synchronized (this) {
            queue.addLast(work);
            if (draining) {
                return;
            }
            draining = true;
        }
        try {
            pool.execute(this::drain);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // The coordinator is shutting down: what was queued is dropped with the stream.
            synchronized (this) {
                queue.clear();
                draining = false;
            }
        }
    }

    private void drain() {
        while (true) {
            Runnable next;
            synchronized (this) {
                next = queue.pollFirst();
                if (next == null) {
                    draining = false;
                    return;
                }
            }
            try {
                next.run();
            } catch (RuntimeException e) {
                // The handlers deal with their own failures; this only keeps the stream's queue moving.
                LOG.log(Level.SEVERE, "worker stream task failed", e);
            }
        }
    }
}
