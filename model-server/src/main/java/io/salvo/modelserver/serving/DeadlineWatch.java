package io.salvo.modelserver.serving;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Expires admitted requests whose deadline has passed, on one thread that sleeps until the earliest deadline.
 *
 * <p>Why not a sweep every few milliseconds: on a 2-vCPU VM every wake-up of a sleeping thread costs a VM exit, and a
 * 5 ms sweep woke this thread 200 times a second, in the middle of inferences, for requests that were never late.
 * Why not a timer per request: scheduling a timer that is earlier than the one the timer thread waits for wakes that
 * thread, once per request.
 *
 * <p>Assumptions and guarantees:
 * <ul>
 *   <li>Every entry's deadline is its arrival plus the one {@code timeoutNanos} this watch was made with. The thread
 *       waits until {@code min(earliest deadline it saw, time of that look + timeoutNanos)}, and an entry added after
 *       the look has a later deadline than that, so {@link #add} never needs to wake the thread.</li>
 *   <li>An entry is expired at most a few milliseconds after its deadline (thread scheduling; plus the microseconds
 *       between an entry's arrival stamp and its {@link #add}, when the two race with a look).</li>
 *   <li>While requests flow and none is late the thread wakes about once per timeout period; idle, the same.</li>
 * </ul>
 */
final class DeadlineWatch implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(DeadlineWatch.class.getName());

    /** An admitted request that has not been answered yet. */
    interface Entry {
        long deadlineNanos();

        /** Called once, on the watch's thread, when the deadline has passed and the entry is still registered. */
        void expire();
    }

    private final long timeoutNanos;
    // The concurrent type, not Set: watch() removes entries while iterating over them, which the weakly consistent
    // iterators of a concurrent set allow
    private final ConcurrentHashMap.KeySetView<Entry, Boolean> entries = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private final AtomicLong wakeUps = new AtomicLong();
    private volatile boolean closed;

    DeadlineWatch(long timeoutNanos, String threadName) {
        if (timeoutNanos <= 0) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeoutNanos + " ns");
        }
        this.timeoutNanos = timeoutNanos;
        this.thread = new Thread(this::watch, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    long timeoutNanos() {
        return timeoutNanos;
    }

    /** Registers an entry whose deadline is its arrival plus this watch's timeout. */
    void add(Entry entry) {
        entries.add(entry);
    }

    /** The entry was answered; it will not be expired. */
    void remove(Entry entry) {
        entries.remove(entry);
    }

    /** How often the thread has woken up so far, for tests that check it does not poll. */
    long wakeUps() {
        return wakeUps.get();
    }

    private void watch() {
        while (!closed) {
            long now = System.nanoTime();
            long wakeAt = now + timeoutNanos;
            for (Entry entry : entries) {
                long deadline = entry.deadlineNanos();
                if (now - deadline >= 0) {
                    if (entries.remove(entry)) {
                        try {
                            entry.expire();
                        } catch (RuntimeException e) {
                            LOG.log(Level.SEVERE, "expiring an overdue request failed", e);
                        }
                    }
                } else if (deadline - wakeAt < 0) {
                    wakeAt = deadline;
                }
            }
            long wait = wakeAt - System.nanoTime();
            if (wait > 0) {
                // parkNanos may return early (spuriously or on close); the loop re-checks either way
                LockSupport.parkNanos(this, wait);
            }
            wakeUps.incrementAndGet();
        }
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
