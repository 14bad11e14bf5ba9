package io.salvo.testkit;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock that moves only when a test moves it, and the scheduled executor that goes with it (the
 * way grpc-java's {@code FakeClock} pairs a ticker with an executor). Code under test reads the time
 * from {@link #unixNanos()} or {@link #nanoTime()} and schedules on this executor; the test calls
 * {@link #forward} and every task that falls due runs, in due order, on the test's thread.
 *
 * <p>Assumptions and guarantees:
 * <ul>
 *   <li>Time starts at {@link #START} and never goes back. Wall and monotonic time move together.</li>
 *   <li>A task runs at its due instant: while it runs, the clock reads exactly that instant. Tasks due at
 *       the same instant run in the order they were scheduled; {@link #execute} is due now.</li>
 *   <li>A periodic task is due again one period after its due instant (fixed rate) or after its run
 *       (fixed delay, the same thing here since a run takes no fake time). A run that throws ends it, as
 *       with {@link java.util.concurrent.ScheduledThreadPoolExecutor}; the failure is kept in its future.</li>
 *   <li>Thread-safe: other threads may schedule while the test moves time; tasks still run only on the
 *       thread that calls {@link #forward} or {@link #runDueTasks}.</li>
 *   <li>After {@link #shutdown} new tasks are refused; tasks already scheduled still run when due.</li>
 * </ul>
 */
public final class FakeClock extends AbstractExecutorService implements ScheduledExecutorService {

    /** 2026-01-01T00:00:00Z: a realistic instant, so run ids and log lines look like real ones. */
    public static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    private static final long START_UNIX_NANOS = START.getEpochSecond() * 1_000_000_000L;

    private final PriorityQueue<Task<?>> queue = new PriorityQueue<>();
    private final AtomicLong sequence = new AtomicLong();
    private volatile long elapsedNanos;
    private volatile boolean shutdown;
    /** Only one thread moves time at once; a task that moves time itself would break due order. */
    private final Object mover = new Object();

    /** Nanoseconds since the Unix epoch: the wall clock. */
    public long unixNanos() {
        return START_UNIX_NANOS + elapsedNanos;
    }

    /** A monotonic reading, like {@link System#nanoTime()}: only differences mean anything. */
    public long nanoTime() {
        return elapsedNanos;
    }

    /** How far the test has moved time since the clock was made. */
    public Duration elapsed() {
        return Duration.ofNanos(elapsedNanos);
    }

    /**
     * Moves time forward by {@code amount}, running every task that falls due on the way, in due order.
     *
     * @return how many task runs happened
     */
    public int forward(Duration amount) {
        if (amount.isNegative()) {
            throw new IllegalArgumentException("time does not go back: " + amount);
        }
        return forwardNanos(amount.toNanos());
    }

    /** {@link #forward(Duration)} in nanoseconds. */
    public int forwardNanos(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("time does not go back: " + nanos + " ns");
        }
        synchronized (mover) {
            long target = elapsedNanos + nanos;
            int runs = 0;
            while (true) {
                Task<?> next;
                synchronized (queue) {
                    next = queue.peek();
                    if (next == null || next.dueNanos > target) {
                        break;
                    }
                    queue.poll();
                }
                elapsedNanos = Math.max(elapsedNanos, next.dueNanos);
                runs++;
                next.runAndReschedule();
            }
            elapsedNanos = target;
            return runs;
        }
    }

    /** Runs the tasks due now (those {@link #execute}d since time last moved, for one) without moving time. */
    public int runDueTasks() {
        return forwardNanos(0);
    }

    /** Tasks scheduled and not yet run or cancelled (a periodic task counts once). */
    public int pendingTasks() {
        synchronized (queue) {
            return (int) queue.stream().filter(t -> !t.isCancelled()).count();
        }
    }

    /** When the next pending task is due, relative to now, or null when none is pending. */
    public Duration nextDueIn() {
        synchronized (queue) {
            return queue.stream().filter(t -> !t.isCancelled()).mapToLong(t -> t.dueNanos - elapsedNanos).min().stream()
                    .mapToObj(Duration::ofNanos)
                    .findFirst()
                    .orElse(null);
        }
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        return enqueue(new Task<Void>(new Work<>(command, null), dueIn(delay, unit), 0));
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
        return enqueue(new Task<>(new Work<>(callable), dueIn(delay, unit), 0));
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
        return periodic(command, initialDelay, period, unit);
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
        return periodic(command, initialDelay, delay, unit);
    }

    private ScheduledFuture<?> periodic(Runnable command, long initialDelay, long period, TimeUnit unit) {
        if (period <= 0) {
            throw new IllegalArgumentException("period must be positive, got " + period);
        }
        return enqueue(new Task<Void>(new Work<>(command, null), dueIn(initialDelay, unit), unit.toNanos(period)));
    }

    // As ScheduledThreadPoolExecutor.execute does: the future is dropped, so a task's failure stays in it
    @SuppressWarnings("FutureReturnValueIgnored")
    @Override
    public void execute(Runnable command) {
        schedule(command, 0, TimeUnit.NANOSECONDS);
    }

    private long dueIn(long delay, TimeUnit unit) {
        return elapsedNanos + Math.max(0, unit.toNanos(delay));
    }

    private <V> Task<V> enqueue(Task<V> task) {
        if (shutdown) {
            throw new RejectedExecutionException("the fake clock's executor is shut down");
        }
        synchronized (queue) {
            queue.add(task);
        }
        return task;
    }

    @Override
    public void shutdown() {
        shutdown = true;
    }

    @Override
    public List<Runnable> shutdownNow() {
        shutdown = true;
        List<Task<?>> pending;
        synchronized (queue) {
            pending = new ArrayList<>(queue);
            queue.clear();
        }
        List<Runnable> work = new ArrayList<>(pending.size());
        for (Task<?> task : pending) {
            task.future.cancel(false);
            work.add(task.future);
        }
        return work;
    }

    @Override
    public boolean isShutdown() {
        return shutdown;
    }

    @Override
    public boolean isTerminated() {
        return shutdown && pendingTasks() == 0;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        return isTerminated();
    }

    private final class Task<V> implements ScheduledFuture<V> {
        final Work<V> future;
        final long periodNanos;
        final long order = sequence.getAndIncrement();
        volatile long dueNanos;

        Task(Work<V> future, long dueNanos, long periodNanos) {
            this.future = future;
            this.dueNanos = dueNanos;
            this.periodNanos = periodNanos;
        }

        // Only the thread that holds `mover` writes dueNanos, so the read-add-write cannot race with another write;
        // volatile is for the threads that read it (getDelay, compareTo)
        @SuppressWarnings("NonAtomicVolatileUpdate")
        void runAndReschedule() {
            if (periodNanos == 0) {
                future.run();
                return;
            }
            if (!future.runPeriod()) {
                return; // it threw or was cancelled: a periodic task ends there
            }
            dueNanos += periodNanos;
            synchronized (queue) {
                if (!shutdown) {
                    queue.add(this);
                }
            }
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(dueNanos - elapsedNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed other) {
            if (other instanceof Task<?> task) {
                int byDue = Long.compare(dueNanos, task.dueNanos);
                return byDue != 0 ? byDue : Long.compare(order, task.order);
            }
            return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean cancelled = future.cancel(false);
            synchronized (queue) {
                queue.remove(this);
            }
            return cancelled;
        }

        @Override
        public boolean isCancelled() {
            return future.isCancelled();
        }

        @Override
        public boolean isDone() {
            return future.isDone();
        }

        /** The result once the task ran; before that there is nothing to wait for but the test moving time. */
        @Override
        public V get() throws InterruptedException, ExecutionException {
            if (!future.isDone()) {
                throw new IllegalStateException("the task is due in " + getDelay(TimeUnit.MILLISECONDS)
                        + " ms of fake time: move the clock forward first");
            }
            return future.get();
        }

        @Override
        public V get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
            return get();
        }
    }

    /** A task's work and outcome; a periodic task's work runs again after each period. */
    private static final class Work<V> extends FutureTask<V> {
        Work(Callable<V> callable) {
            super(callable);
        }

        Work(Runnable runnable, V result) {
            super(runnable, result);
        }

        /** Runs once without completing; false when the run threw or the task was cancelled. */
        boolean runPeriod() {
            return runAndReset();
        }
    }
}
