package io.salvo.platform;

/**
 * A driver's teardown, run once in the regular way or by a JVM shutdown hook on Ctrl-C. Drivers arm the hook before
 * they create anything, so an interrupted deploy still removes what it made, and tear down through it, which
 * removes the hook.
 */
public final class TeardownHook {

    private final String threadName;
    private final Runnable teardown;
    /** The installed shutdown hook, or null when none is armed. */
    private Thread thread;

    /**
     * @param threadName the shutdown hook thread's name
     * @param teardown   what tears the deployment down; it must be safe to run more than once and never throw
     */
    public TeardownHook(String threadName, Runnable teardown) {
        this.threadName = threadName;
        this.teardown = teardown;
    }

    /** Runs the teardown on JVM shutdown from now on, until {@link #tearDownNow()}; once armed, arming again is a no-op. */
    public synchronized void arm() {
        if (thread == null) {
            thread = new Thread(teardown, threadName);
            Runtime.getRuntime().addShutdownHook(thread);
        }
    }

    /** Runs the teardown in the caller's thread, then removes the shutdown hook if one is armed. */
    public void tearDownNow() {
        Thread armed;
        synchronized (this) {
            armed = thread;
            thread = null;
        }
        teardown.run();
        if (armed != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(armed);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs or ran: it tears down
            }
        }
    }
}
