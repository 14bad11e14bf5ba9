package io.salvo.coordinator.run;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Work that many threads may ask for at once and that need only run once for all requests made before it
 * starts: a request made while one is queued rides along with it. Runs on the executor given with the
 * request (the run's ticker), never on the requesting thread.
 */
final class CoalescedTask {

    private static final Logger LOG = Logger.getLogger(CoalescedTask.class.getName());

    private final String name;
    private final Runnable work;
    private final AtomicBoolean queued = new AtomicBoolean();

    CoalescedTask(String name, Runnable work) {
        this.name = name;
        this.work = work;
    }

    /** Asks for a run on {@code executor}; false when there is no executor (yet) to run it. */
    boolean request(Executor executor) {
        if (executor == null) {
            return false;
        }
        if (!queued.compareAndSet(false, true)) {
            return true;
        }
        try {
            executor.execute(() -> {
                queued.set(false);
                try {
                    work.run();
                } catch (RuntimeException e) {
                    LOG.log(Level.SEVERE, name + " failed", e);
                }
            });
        } catch (RejectedExecutionException e) {
            queued.set(false); // shutting down; the work goes with the coordinator
        }
        return true;
    }
}
